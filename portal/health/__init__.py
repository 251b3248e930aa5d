"""For the people and machines running the service: /healthz (the process answers),
/readyz (it can serve: database, schema, email queue) and /metrics (Prometheus)."""

from flask import Blueprint

bp = Blueprint("health", __name__)

from portal.health import views  # noqa: E402,F401
