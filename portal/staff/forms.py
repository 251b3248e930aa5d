"""Pieces every staff form shares: the version check, ratings as choices, the page number."""

from __future__ import annotations

from typing import Any

from flask import abort, request
from wtforms import HiddenField
from wtforms.fields.choices import SelectChoice

from portal.common.forms import BaseForm
from portal.common.i18n import gettext
from portal.common.i18n import lazy_gettext as _l
from portal.data.audit import events_for
from portal.data.staff import find_staff

RATING_CHOICES = [
    SelectChoice("red", _l("Red"), render_kw={"hint": _l(
        "Immediate risk of admission or breakdown: urgent, coordinated crisis response")}),
    SelectChoice("amber", _l("Amber"), render_kw={"hint": _l(
        "High risk of crisis or placement breakdown: multi-agency planning now")}),
    SelectChoice("green", _l("Green"), render_kw={"hint": _l(
        "Struggling, but can stay safely where they are with the right support")}),
    SelectChoice("blue", _l("Blue"), render_kw={"hint": _l(
        "In a mental-health hospital or another inpatient unit now, including learning "
        "disability and autism units")}),
]


class VersionedForm(BaseForm):
    version = HiddenField()


def last_changed_by(subject_type: str, subject_id: int) -> str:
    """The member of staff who last changed a record (looking at it is not a change)."""
    events = events_for(subject_type, str(subject_id))
    changer = next((e for e in reversed(events) if e.actor_type == "staff"
                    and not e.action.endswith(".viewed")), None)
    who = find_staff(int(changer.actor_id)) if changer and changer.actor_id else None
    return who.name if who else gettext("Someone else")


def stale(form: VersionedForm, record: Any, subject_type: str) -> str | None:
    """None if the form was made from the record's current version, else who changed it."""
    if str(form.version.data) == str(record.version_id):
        return None
    name = last_changed_by(subject_type, record.id)
    if subject_type == "request":
        return gettext("%(name)s changed this request while you were working on it. Check "
                       "what they did below. What you typed is still here.", name=name)
    return gettext("%(name)s changed this entry while you were working on it. Check what "
                   "they did below. What you typed is still here.", name=name)


MAX_PAGE = 100_000


def page_number() -> int:
    """The `page` asked for (1 if none); a page that cannot be there is a 404."""
    raw = request.args.get("page", "").strip()
    if not raw:
        return 1
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 6 or not 1 <= int(raw) <= MAX_PAGE:
        abort(404)
    return int(raw)
