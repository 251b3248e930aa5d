"""Friendly error pages in the person's language. No stack trace ever reaches a user."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)

PAGES = {400, 403, 404, 405, 410, 413, 429, 500}


def _render(status: int) -> tuple[str, int]:
    return render_template(f"errors/{status}.html"), status


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(_error: CSRFError) -> tuple[str, int]:
        return render_template("errors/csrf.html"), 400

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> tuple[str, int] | HTTPException:
        status = error.code or 500
        if status in PAGES:
            return _render(status)
        return error

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> tuple[str, int]:
        # Log the type and where, never the request's form data.
        log.exception("Unhandled error: %s", type(error).__name__)
        return _render(InternalServerError.code)
