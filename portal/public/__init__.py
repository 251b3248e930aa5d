"""Pages anyone can use without signing in."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from portal.public import content, eligibility  # noqa: E402,F401
from portal.public.consent import (  # noqa: E402,F401
    adult_referral,
    council,
    parent,
    record,
    withdrawal,
    young_person,
)
from portal.public.request import save_return  # noqa: E402,F401
from portal.public.request import views as request_views  # noqa: E402,F401
