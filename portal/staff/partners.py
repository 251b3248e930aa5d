"""Partner agencies at work: the actions given to their agency (accept, progress notes,
close), updates on an entry and contributions to the monthly meeting. Another agency's
action answers 404. Thin: every change is in portal.cases.partners."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, redirect, render_template, url_for
from werkzeug.wrappers import Response
from wtforms import SelectField
from wtforms.validators import DataRequired

from portal.cases import partners as partner_cases
from portal.cases.operation import Actor
from portal.common.auth import CASEWORK, signed_in_staff, staff_only
from portal.common.forms import BaseForm, long_text
from portal.common.i18n import lazy_gettext as _l
from portal.data import partners as store
from portal.data import register as entries
from portal.data.staff import Role, StaffUser
from portal.staff import bp
from portal.staff.agencies import agency_choices_or_none
from portal.staff.casework import refuse_if_archived


class UpdateForm(BaseForm):
    body = long_text(_l("What does your agency know, or what has it done?"),
                     what=_l("The update"),
                     validators=[DataRequired(_l("Enter the update"))])


class ContributionForm(BaseForm):
    body = long_text(_l("What should the meeting know?"), what=_l("The contribution"),
                     validators=[DataRequired(_l("Enter what the meeting should know"))])


class ProgressForm(BaseForm):
    body = long_text(_l("Progress note"), what=_l("The progress note"),
                     validators=[DataRequired(_l("Enter the progress note"))])


class CloseForm(BaseForm):
    note = long_text(_l("What was done?"), what=_l("What was done"),
                     validators=[DataRequired(_l("Enter what was done"))])


def action_agency_field() -> SelectField:
    """On the casework "Add an action" form: the partner agency it is given to, if any."""
    return SelectField(_l("Give it to a partner agency (optional)"),
                       choices=agency_choices_or_none, default="")


def chosen_agency_id(raw: Any) -> int | None:
    text = str(raw or "")
    agency = store.find_agency(int(text)) if text.isdigit() else None
    return agency.id if agency is not None else None


@bp.context_processor
def _partner_sections() -> dict[str, Any]:
    """The entry page's and the meeting's partner sections read these."""
    return {"partner_section": _entry_section}


def _people(rows: list[Any]) -> dict[int, StaffUser]:
    return store.people({row.author_id for row in rows})


def _entry_section(entry_id: int) -> dict[str, Any]:
    updates = store.updates_for(entry_id)
    contributions = store.contributions_for(entry_id)
    return {"updates": updates, "contributions": contributions,
            "actions": store.agency_actions_of_entry(entry_id),
            "agencies": store.agency_names(),
            "people": _people([*updates, *contributions])}


def meeting_sections(entry_ids: list[int], on: Any) -> dict[int, dict[str, Any]]:
    """Partner agencies' contributions for each entry on a page of the meeting, read in
    at most three queries however many entries the page holds."""
    found = store.contributions_for_meeting(entry_ids, on)
    if not found:
        return {}
    rows = [row for items in found.values() for row in items]
    agencies, people = store.agency_names(), _people(rows)
    return {entry_id: {"contributions": items, "agencies": agencies, "people": people}
            for entry_id, items in found.items()}


# Finding the records ----------------------------------------------------------------------

def _my_agency() -> store.Agency | None:
    return store.agency_of(signed_in_staff())


def _entry(entry_id: int) -> entries.RegisterEntry:
    entry = entries.find_entry(entry_id)
    if entry is None:
        abort(404)
    refuse_if_archived(entry.archived_at)
    return entry


def _action(action_id: int) -> tuple[entries.RegisterAction, entries.RegisterEntry,
                                     store.Agency]:
    """The action, if it is given to the signed-in partner's own agency; else 404."""
    agency = _my_agency()
    action = entries.find_action(action_id)
    if agency is None or action is None or action.agency_id != agency.id:
        abort(404)
    return action, _entry(action.entry_id), agency


def _action_page(action: entries.RegisterAction, entry: entries.RegisterEntry,
                 agency: store.Agency, progress: ProgressForm | None = None,
                 closing: CloseForm | None = None, open_form: str | None = None) -> str:
    notes = store.notes_on_action(action.id)
    return render_template(
        "staff/partner_action.html", action=action, entry=entry, agency=agency,
        notes=notes, people=_people(notes),
        progress=progress or ProgressForm(formdata=None, prefix="progress"),
        closing=closing or CloseForm(formdata=None, prefix="close"), open_form=open_form,
        can_change=action.done_at is None and entry.closed_at is None)


# Pages ------------------------------------------------------------------------------------

@bp.get("/partner/actions")
@staff_only(Role.PARTNER)
def partner_actions() -> str:
    agency = _my_agency()
    rows = store.actions_for_agency(agency.id) if agency is not None else []
    return render_template("staff/partner_actions.html", agency=agency, rows=rows,
                           today=date.today())


@bp.get("/partner/actions/<int:action_id>")
@staff_only(Role.PARTNER)
def partner_action(action_id: int) -> str:
    return _action_page(*_action(action_id))


@bp.post("/partner/actions/<int:action_id>/accept")
@staff_only(Role.PARTNER)
def partner_action_accept(action_id: int) -> Response:
    action, entry, _agency = _action(action_id)
    if action.done_at is not None or entry.closed_at is not None:
        abort(409)
    partner_cases.accept_action(entry, action, Actor.for_staff(signed_in_staff()))
    return redirect(url_for("staff.partner_action", action_id=action.id))


@bp.post("/partner/actions/<int:action_id>/progress")
@staff_only(Role.PARTNER)
def partner_action_progress(action_id: int) -> Response | str:
    action, entry, agency = _action(action_id)
    if action.done_at is not None or entry.closed_at is not None:
        abort(409)
    form = ProgressForm(prefix="progress")
    if form.validate_on_submit():
        partner_cases.action_progress(entry, action, Actor.for_staff(signed_in_staff()),
                                      form.body.data or "")
        return redirect(url_for("staff.partner_action", action_id=action.id) + "#notes")
    return _action_page(action, entry, agency, progress=form, open_form="progress")


@bp.post("/partner/actions/<int:action_id>/close")
@staff_only(Role.PARTNER)
def partner_action_close(action_id: int) -> Response | str:
    action, entry, agency = _action(action_id)
    if action.done_at is not None or entry.closed_at is not None:
        abort(409)
    form = CloseForm(prefix="close")
    if form.validate_on_submit():
        partner_cases.close_action(entry, action, Actor.for_staff(signed_in_staff()),
                                   form.note.data or "")
        return redirect(url_for("staff.partner_action", action_id=action.id))
    return _action_page(action, entry, agency, closing=form, open_form="close")


def _add(entry_id: int, form_class: type[BaseForm], template: str, add: Any) -> Response | str:
    """A partner adds something to a live entry (needs an agency)."""
    entry = _entry(entry_id)
    agency = _my_agency()
    if agency is None:
        abort(403)
    if entry.closed_at is not None:
        abort(409)
    form = form_class()
    if form.validate_on_submit():
        add(entry, Actor.for_staff(signed_in_staff()), form.body.data or "")
        return redirect(url_for("staff.register_entry", entry_id=entry.id) + "#partners")
    return render_template(template, form=form, entry=entry, agency=agency)


@bp.route("/register/<int:entry_id>/partner-update", methods=["GET", "POST"])
@staff_only(Role.PARTNER)
def partner_update(entry_id: int) -> Response | str:
    return _add(entry_id, UpdateForm, "staff/partner_update.html", partner_cases.add_update)


@bp.route("/register/<int:entry_id>/meeting-contribution", methods=["GET", "POST"])
@staff_only(Role.PARTNER)
def partner_contribution(entry_id: int) -> Response | str:
    return _add(entry_id, ContributionForm, "staff/partner_contribution.html",
                partner_cases.add_contribution)


@bp.post("/register/<int:entry_id>/partner-updates/<int:update_id>/read")
@staff_only(*CASEWORK)
def partner_update_read(entry_id: int, update_id: int) -> Response:
    entry = _entry(entry_id)
    update = store.find_update(update_id)
    if update is None or update.entry_id != entry.id:
        abort(404)
    partner_cases.update_read(entry, update, Actor.for_staff(signed_in_staff()))
    return redirect(url_for("staff.register_entry", entry_id=entry.id) + "#partners")
