"""Families follow their requests: sign in by email link, status, rating, messages."""

from flask import Blueprint

bp = Blueprint("family", __name__, url_prefix="/account")


@bp.context_processor
def _family_context() -> dict[str, object]:
    from portal.common.auth import current_family_email
    from portal.family.words import words

    return {"family_email": current_family_email(), "words": words}


from portal.family import referrals, sign_in, views  # noqa: E402,F401
