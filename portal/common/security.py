"""Security headers with a per-response CSP nonce."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, Response, g, request

# A page with an emailed link's token in its address (and the redirect it answers with)
# lets a Referer carry only our origin, never the path: the token never leaves in a
# Referer, to us or anyone. Not "no-referrer": the page's own form POSTs back over https,
# where the CSRF check needs a Referer of our origin.
TOKEN_PAGE_REFERRER_POLICY = "strict-origin"  # noqa: S105 (a header value)


def _token_page() -> bool:
    return bool((request.view_args or {}).get("token"))


def csp_nonce() -> str:
    nonce = getattr(g, "csp_nonce", None)
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(16)
    return nonce


@contextmanager
def nonce_placeholder(placeholder: str) -> Iterator[None]:
    """Render with a placeholder nonce (for a cached page), then restore the real one."""
    real = getattr(g, "csp_nonce", None)
    g.csp_nonce = placeholder
    try:
        yield
    finally:
        if real is None:
            g.pop("csp_nonce", None)
        else:
            g.csp_nonce = real


def init_app(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    # Browsers remember to use https only: everywhere but a developer's own machine
    # (test runs behind https as production does).
    https_only = app.config["PORTAL_ENV"] != "development"

    @app.after_request
    def _headers(response: Response) -> Response:
        nonce = getattr(g, "csp_nonce", None)
        script_src = f"'self' 'nonce-{nonce}'" if nonce else "'self'"
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; "
            f"script-src {script_src}; "
            "style-src 'self'; img-src 'self' data:; font-src 'self'; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = (
            TOKEN_PAGE_REFERRER_POLICY if _token_page() else "same-origin")
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if https_only:
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if request.endpoint != "static" and "Cache-Control" not in response.headers:
            # Pages can hold a child's details: never keep them in a shared cache or history.
            response.headers["Cache-Control"] = "no-store"
        return response
