"""The register: entries by rating, one entry on one screen, and every change to it."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response
from wtforms import BooleanField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from portal.cases import register as register_cases
from portal.cases.operation import Actor
from portal.common import errors
from portal.common.auth import CASEWORK, READ_REGISTER, signed_in_staff, staff_only
from portal.common.forms import DateField, long_text, short_text
from portal.common.i18n import lazy_gettext as _l
from portal.data import register as entries
from portal.data.consent import status_for
from portal.data.requests import find_request, messages_for
from portal.data.staff import Role, StaffUser
from portal.data.stats import live_total
from portal.domain.ratings import Rating
from portal.domain.reviews import red_until
from portal.staff import bp
from portal.staff.casework import refuse_if_archived
from portal.staff.forms import RATING_CHOICES, VersionedForm, page_number, stale
from portal.staff.keyworkers import (
    chosen_keyworker_id,
    keyworker_account_field,
    keyworker_form_data,
)
from portal.staff.partners import action_agency_field, chosen_agency_id

CLOSING_CHOICES = [
    SelectChoice("turned_18_adult_register", _l("Turned 18 and referred to the adult register")),
    SelectChoice("consent_withdrawn", _l("Consent withdrawn")),
    SelectChoice("risk_reduced", _l("Risk reduced: the register is no longer needed")),
    SelectChoice("moved_area", _l("Moved to another area")),
    SelectChoice("childs_view", _l("The child does not want to be on the register, and the "
                                   "team agreed")),
]


class RatingForm(VersionedForm):
    rating = RadioField(_l("New rating"), choices=RATING_CHOICES,
                        validators=[InputRequired(_l("Select a rating"))])
    reason = long_text(_l("Why is the rating changing?"), what=_l("The reason"),
                       validators=[InputRequired(_l("Enter why the rating is changing"))])
    below_red = BooleanField(_l("I know they left hospital less than two weeks ago, and "
                                "the team has agreed a lower rating"))


class DetailsForm(VersionedForm):
    keyworker_staff = keyworker_account_field()
    keyworker = short_text(_l("Keyworker"), what=_l("Keyworker"))
    keyworker_contact = short_text(_l("How the family can reach the keyworker"),
                                   what=_l("How to reach the keyworker"))
    next_review_on = DateField(_l("Next review"), what=_l("the next review date"),
                               what_capital=_l("Next review date"))
    cetr_last_on = DateField(_l("Last C(E)TR (optional)"), what=_l("the last C(E)TR date"),
                             what_capital=_l("Last C(E)TR date"), optional=True)
    cetr_next_on = DateField(_l("Next C(E)TR (optional)"), what=_l("the next C(E)TR date"),
                             what_capital=_l("Next C(E)TR date"), optional=True)


class ActionForm(VersionedForm):
    description = long_text(_l("What will be done?"), what=_l("The action"),
                            validators=[InputRequired(_l("Enter the action"))])
    owner = short_text(_l("Who will do it?"), what=_l("Who will do it"),
                       validators=[InputRequired(_l("Enter who will do it"))])
    due_on = DateField(_l("By when?"), what=_l("the due date"), what_capital=_l("Due date"))
    agency = action_agency_field()


class NoteForm(VersionedForm):
    body = long_text(_l("Note"), what=_l("The note"),
                     validators=[InputRequired(_l("Enter the note"))])


class CloseForm(VersionedForm):
    reason = RadioField(_l("Why is the entry closing?"), choices=CLOSING_CHOICES,
                        validators=[InputRequired(_l("Select why the entry is closing"))])


def _entry(entry_id: int) -> entries.RegisterEntry:
    entry = entries.find_entry(entry_id)
    if entry is None:
        abort(404)
    refuse_if_archived(entry.archived_at)
    return entry


PAGE = 50


@bp.get("/register")
@staff_only(*READ_REGISTER)
def register_list() -> str:
    rating = request.args.get("rating") or None
    if rating not in {None, *entries.SEVERITY}:
        rating = None
    page = page_number()
    rows = entries.active_entries_page((page - 1) * PAGE, PAGE, rating)
    total = live_total(rating)
    return render_template("staff/register.html", rows=rows, total=total, page=page,
                           pages=max(1, -(-total // PAGE)), rating=rating, today=date.today())


@bp.get("/register/<int:entry_id>")
@staff_only(*READ_REGISTER)
def register_entry(entry_id: int) -> str:
    user = signed_in_staff()
    entry = _entry(entry_id)
    register_cases.viewed(entry, Actor.for_staff(user))
    return _render(entry, user, _blank_forms(entry), None, None)


FORMS: dict[str, type[VersionedForm]] = {
    "rating": RatingForm, "details": DetailsForm, "action": ActionForm, "note": NoteForm,
    "close": CloseForm}


def _blank_forms(entry: entries.RegisterEntry) -> dict[str, Any]:
    """Every form on the entry page, each with its own prefix so ids never clash."""
    forms = {name: cls(formdata=None, prefix=name, data={"version": entry.version_id})
             for name, cls in FORMS.items()}
    forms["details"] = DetailsForm(formdata=None, prefix="details", data={
        "version": entry.version_id, "keyworker": entry.keyworker,
        "keyworker_contact": entry.keyworker_contact,
        "next_review_on": entry.next_review_on, "cetr_last_on": entry.cetr_last_on,
        "cetr_next_on": entry.cetr_next_on, **keyworker_form_data(entry)})
    return forms


def _render(entry: entries.RegisterEntry, user: StaffUser, forms: dict[str, Any],
            conflict: str | None, open_form: str | None, below_red: Any = None) -> str:
    req = find_request(entry.request_id)
    today = date.today()
    return render_template(
        "staff/entry.html", entry=entry, req=req,
        history=entries.rating_history(entry.id), actions=entries.actions_for(entry.id),
        notes=entries.notes_for(entry.id), forms=forms, conflict=conflict,
        open_form=open_form, today=today, below_red=below_red,
        red_until=red_until(entry.discharged_on, _red_days()),
        status=status_for(req) if req else None,
        messages=messages_for(req.id) if req and user.role != Role.PARTNER else [],
        can_edit=user.role in {Role.TRIAGE, Role.MANAGER} and entry.closed_at is None,
        can_release=user.role == Role.MANAGER and entry.closed_at is None,
        already=request.args.get("already") == "1",
    )


def _red_days() -> int:
    return int(current_app.config["RED_AFTER_DISCHARGE_DAYS"])


def _edit(entry_id: int, which: str, form_class: type[VersionedForm],
          apply: Any) -> Response | str:
    user = signed_in_staff()
    entry = _entry(entry_id)
    if entry.closed_at is not None:
        abort(409)
    form = form_class(prefix=which)
    conflict = below_red = None
    made_from = form.version.data

    def changed_meanwhile() -> str:
        # Someone saved the entry while this save was on its way (both began from the
        # same version): their save stands, and this page says so, with what was typed.
        fresh = _entry(entry_id)
        form.version.data = made_from
        message = stale(form, fresh, "register_entry")
        form.version.data = fresh.version_id
        forms = _blank_forms(fresh)
        forms[which] = form
        return _render(fresh, user, forms, message, which)

    errors.on_changed_meanwhile(changed_meanwhile)
    if form.validate_on_submit():
        conflict = stale(form, entry, "register_entry")
        if conflict is None:
            try:
                apply(entry, Actor.for_staff(user), form)
            except register_cases.BelowRedAfterDischarge as floor:
                below_red = floor.until
            else:
                return redirect(url_for("staff.register_entry", entry_id=entry.id)
                                + f"#{which}")
        form.version.data = entry.version_id
    forms = _blank_forms(entry)
    forms[which] = form
    return _render(entry, user, forms, conflict, which, below_red)


@bp.post("/register/<int:entry_id>/rating")
@staff_only(*CASEWORK)
def register_rating(entry_id: int) -> Response | str:
    return _edit(entry_id, "rating", RatingForm, lambda e, actor, f: register_cases.change_rating(
        e, actor, Rating(f.rating.data), f.reason.data, confirmed=bool(f.below_red.data)))


@bp.post("/register/<int:entry_id>/details")
@staff_only(*CASEWORK)
def register_details(entry_id: int) -> Response | str:
    def apply(entry: entries.RegisterEntry, actor: Actor, form: DetailsForm) -> None:
        register_cases.change_details(
            entry, actor, keyworker=form.keyworker.data,
            keyworker_contact=form.keyworker_contact.data,
            next_review_on=form.next_review_on.data, cetr_last_on=form.cetr_last_on.data,
            cetr_next_on=form.cetr_next_on.data,
            keyworker_staff_id=chosen_keyworker_id(form.keyworker_staff.data))
    return _edit(entry_id, "details", DetailsForm, apply)


@bp.post("/register/<int:entry_id>/actions")
@staff_only(*CASEWORK)
def register_action(entry_id: int) -> Response | str:
    return _edit(entry_id, "action", ActionForm, lambda e, actor, f: register_cases.add_action(
        e, actor, f.description.data, f.owner.data, f.due_on.data,
        agency_id=chosen_agency_id(f.agency.data)))


@bp.post("/register/<int:entry_id>/actions/<int:action_id>/done")
@staff_only(*CASEWORK)
def register_action_done(entry_id: int, action_id: int) -> Response:
    entry = _entry(entry_id)
    action = entries.find_action(action_id)
    if action is None or action.entry_id != entry.id:
        abort(404)
    register_cases.action_done(entry, action, Actor.for_staff(signed_in_staff()))
    return redirect(url_for("staff.register_entry", entry_id=entry.id) + "#actions")


@bp.post("/register/<int:entry_id>/notes")
@staff_only(*CASEWORK)
def register_note(entry_id: int) -> Response | str:
    return _edit(entry_id, "note", NoteForm, lambda e, actor, f: register_cases.add_note(
        e, actor, f.body.data))


@bp.post("/register/<int:entry_id>/close")
@staff_only(*CASEWORK)
def register_close(entry_id: int) -> Response | str:
    return _edit(entry_id, "close", CloseForm,
                 lambda e, actor, f: register_cases.close(e, actor, f.reason.data))


@bp.post("/register/<int:entry_id>/release")
@staff_only(Role.MANAGER)
def register_release(entry_id: int) -> Response:
    """Register managers choose when the family can see the rating."""
    entry = _entry(entry_id)
    if entry.closed_at is not None:
        abort(409)
    register_cases.release_rating(entry, Actor.for_staff(signed_in_staff()),
                                  request.form.get("release") == "1")
    return redirect(url_for("staff.register_entry", entry_id=entry.id))
