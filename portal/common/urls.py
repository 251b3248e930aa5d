"""Full addresses for emails, built the same way in a request and in a command."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, has_request_context, request, url_for


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
    if "\\" in target:
        return url_for("public.home")
    return target
