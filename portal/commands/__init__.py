"""`flask` commands for running the service, one module per concern.

portal.cli holds the original commands; these modules add theirs through `init_app`."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from portal.commands import jobs, records, schema

    jobs.init_app(app)
    records.init_app(app)
    schema.init_app(app)
