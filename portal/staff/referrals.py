"""The people involved in a child's care, on their entry: the professional who referred
them (recorded when the request was accepted, portal.cases.referrals)."""

from __future__ import annotations

from typing import Any

from portal.data.referrals import contacts_for
from portal.staff import bp


@bp.context_processor
def _people_involved() -> dict[str, Any]:
    return {"people_involved": contacts_for}
