"""Full addresses for emails, built the same way in a request and in a command."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, has_request_context, request, url_for
from werkzeug.routing import IntegerConverter


def base_url() -> str:
    """Where emailed links and QR codes point: BASE_URL, except in development, where a
    page's links follow the address the browser used (`make run PORT=5001` works).
    Outside a request (commands, reminders) it is always BASE_URL."""
    if has_request_context() and current_app.config.get("PORTAL_ENV") == "development":
        return request.host_url.rstrip("/")
    return str(current_app.config["BASE_URL"]).rstrip("/")


def external_url(endpoint: str, **values: Any) -> str:
    if has_request_context():
        path = url_for(endpoint, **values)
    else:
        with current_app.test_request_context():
            path = url_for(endpoint, **values)
    return base_url() + path


def safe_next(target: str | None) -> str:
    """Only ever go back to a page of ours: a path, never another site."""
    if not target:
        return url_for("public.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("public.home")
    if "\\" in target or any(ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in target):
        return url_for("public.home")  # a control character could split the header
    return target


DATABASE_INT_MAX = 2**31 - 1  # the largest id an INTEGER column holds (PostgreSQL)


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: a number no row can have (larger than the database's
    integer) matches no route, so it is a 404 like any other id that is not there."""

    def __init__(self, map: Any, fixed_digits: int = 0, min: int | None = None,
                 max: int | None = None, signed: bool = False) -> None:
        super().__init__(map, fixed_digits, min, DATABASE_INT_MAX if max is None else max,
                         signed)
