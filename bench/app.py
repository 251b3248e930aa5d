"""The portal with one extra bare route, so both are measured on the same server."""

from __future__ import annotations

from portal import create_app
from portal.common.access import public


def build():  # noqa: ANN201 - gunicorn factory
    app = create_app()

    @app.get("/bench/bare")
    @public
    def bare() -> str:
        return "ok"

    return app
