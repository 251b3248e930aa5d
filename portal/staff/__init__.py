"""The back office: triage, the register, reviews. Staff only, by role."""

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.context_processor
def _staff_user() -> dict[str, object]:
    from portal.common.auth import current_staff

    return {"staff_user": current_staff()}


from portal.staff import (  # noqa: E402,F401
    admin,
    agencies,
    audit_log,
    casework,
    cetr,
    consent,
    decisions,
    emails,
    find,
    handover,
    keyworkers,
    oversight,
    partners,
    queue,
    referrals,
    register,
    returns,
    sign_in,
)
