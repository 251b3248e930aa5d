"""Full addresses for emails, built the same way in a request and in a command."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for


def external_url(endpoint: str, **values: Any) -> str:
    if has_request_context():
        path = url_for(endpoint, **values)
    else:
        with current_app.test_request_context():
            path = url_for(endpoint, **values)
    return str(current_app.config["BASE_URL"]) + path


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
