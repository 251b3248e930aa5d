"""Tools for developing the service on your own machine, never part of the live service.

create_app() registers this blueprint only when PORTAL_ENV is "development", and every
page of it answers 404 whenever the setting says otherwise.
"""

from flask import Blueprint, abort, current_app

bp = Blueprint("devtools", __name__, url_prefix="/dev")


@bp.before_request
def _development_only() -> None:
    if current_app.config.get("PORTAL_ENV") != "development":
        abort(404)


from portal.devtools import emails  # noqa: E402,F401
