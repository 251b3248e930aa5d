"""C(E)TRs: the list of those due and overdue, and one review from request to outcome
(request, book, papers, outcome, cancel). Thin: every change is in portal.cases.cetr."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from flask import abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response
from wtforms import RadioField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from portal.cases import cetr as cetr_cases
from portal.cases.operation import Actor
from portal.common import errors
from portal.common.auth import CASEWORK, signed_in_staff, staff_only
from portal.common.forms import DateField, long_text, short_text
from portal.common.i18n import gettext
from portal.common.i18n import lazy_gettext as _l
from portal.data import cetr as store
from portal.data import register as entries
from portal.data.base import utcnow
from portal.data.consent import status_for
from portal.data.requests import find_request
from portal.staff import bp
from portal.staff.casework import refuse_if_archived
from portal.staff.forms import VersionedForm, last_changed_by

LIST_LIMIT = 100
SOON_DAYS = 28  # the list shows what is due within four weeks, and everything overdue

KIND_CHOICES = [
    SelectChoice("inpatient", _l("Inpatient (in hospital now)"), render_kw={"hint": _l(
        "Due 3 months after the last one, unless you choose a date")}),
    SelectChoice("post_admission", _l("After an admission"), render_kw={"hint": _l(
        "Due 2 weeks after the admission, if no community C(E)TR was held")}),
    SelectChoice("community", _l("Community"), render_kw={"hint": _l(
        "When community services have been tried and are not enough. Choose the date it "
        "is due by")}),
]
TIME = re.compile(r"([01]?[0-9]|2[0-3])[:.]([0-5][0-9])")
RECOMMENDATION_SLOTS = 5


class RequestForm(VersionedForm):
    kind = RadioField(_l("Which kind of C(E)TR?"), choices=KIND_CHOICES,
                      validators=[InputRequired(_l("Select which kind of C(E)TR"))])
    reason = long_text(_l("Why is it needed?"), what=_l("Why it is needed"),
                       validators=[InputRequired(_l("Enter why the C(E)TR is needed"))])
    due_by = DateField(_l("Due by"), what=_l("the date it is due by"),
                       what_capital=_l("The date it is due by"), optional=True)
    admitted_on = DateField(_l("Day of the admission"), what=_l("the day of the admission"),
                            what_capital=_l("The day of the admission"), optional=True)

    def validate_admitted_on(self, field: DateField) -> None:
        if field.data is not None and field.data > date.today():
            raise ValidationError(_l("The day of the admission must be today or in the past"))


class BookForm(VersionedForm):
    day = DateField(_l("Date"), what=_l("the date of the C(E)TR"),
                    what_capital=_l("The date of the C(E)TR"))
    time = short_text(_l("Time"), what=_l("The time"), limit=5,
                      validators=[InputRequired(_l("Enter the time, like 14:30"))])
    panel = long_text(_l("Panel members"), what=_l("Panel members"),
                      validators=[InputRequired(_l("Enter who is on the panel"))])
    chair = short_text(_l("Chair"), what=_l("The chair"),
                       validators=[InputRequired(_l("Enter who chairs the panel"))])

    def validate_time(self, field: Any) -> None:
        if field.data and not TIME.fullmatch(field.data):
            raise ValidationError(_l("Enter the time on the 24-hour clock, like 14:30"))


class PapersForm(VersionedForm):
    pass


class OutcomeForm(VersionedForm):
    held_on = DateField(_l("Date held"), what=_l("the date it was held"),
                        what_capital=_l("The date it was held"))
    outcome = long_text(_l("What was agreed"), what=_l("What was agreed"),
                        validators=[InputRequired(_l("Enter what was agreed"))])
    panel_notes = long_text(_l("Panel's notes (optional)"), what=_l("The panel's notes"))

    def validate_held_on(self, field: DateField) -> None:
        if field.data is not None and field.data > date.today():
            raise ValidationError(_l("The date it was held must be today or in the past"))

    def slots(self) -> list[tuple[Any, Any, Any]]:
        return [(self[f"rec{n}_what"], self[f"rec{n}_who"], self[f"rec{n}_by"])
                for n in range(1, RECOMMENDATION_SLOTS + 1)]

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        for what, who, by in self.slots():
            typed = bool(what.data) or bool(who.data) or not by.parts.is_empty()
            if not typed:
                continue
            if not what.data and not what.errors:
                what.errors.append(gettext("Enter the recommendation"))
                valid = False
            if not who.data and not who.errors:
                who.errors.append(gettext("Enter who will do it"))
                valid = False
            if by.data is None and not by.errors:
                by.errors.append(gettext("Enter the date it is due by"))
                valid = False
        return valid

    def recommendations(self) -> list[tuple[str, str, date]]:
        return [(what.data, who.data, by.data) for what, who, by in self.slots()
                if what.data and who.data and by.data]


for _n in range(1, RECOMMENDATION_SLOTS + 1):
    setattr(OutcomeForm, f"rec{_n}_what", long_text(
        _l("What is recommended"), what=_l("The recommendation")))
    setattr(OutcomeForm, f"rec{_n}_who", short_text(_l("Who will do it"),
                                                    what=_l("Who will do it")))
    setattr(OutcomeForm, f"rec{_n}_by", DateField(
        _l("By when"), what=_l("the date it is due by"),
        what_capital=_l("The date it is due by"), optional=True))


class CancelForm(VersionedForm):
    reason = long_text(_l("Why is it cancelled?"), what=_l("Why it is cancelled"),
                       validators=[InputRequired(_l("Enter why the C(E)TR is cancelled"))])


@bp.context_processor
def _cetr_reviews() -> dict[str, Any]:
    """The entry page's C(E)TR section (templates/staff/_entry_cetr.html) reads them."""
    return {"cetr_reviews_for": store.reviews_for}


# Finding the records -------------------------------------------------------------------

def _entry(entry_id: int) -> entries.RegisterEntry:
    entry = entries.find_entry(entry_id)
    if entry is None:
        abort(404)
    refuse_if_archived(entry.archived_at)
    return entry


def _review(review_id: int) -> tuple[store.CetrReview, entries.RegisterEntry]:
    review = store.find_review(review_id)
    if review is None:
        abort(404)
    return review, _entry(review.entry_id)


def _stale(form: VersionedForm, review: store.CetrReview, entry: entries.RegisterEntry
           ) -> str | None:
    if str(form.version.data) == str(review.version_id):
        return None
    form.version.data = review.version_id
    return gettext("%(name)s changed this C(E)TR while you were working on it. Check what "
                   "they did below. What you typed is still here.",
                   name=last_changed_by("register_entry", entry.id))


def _page(review: store.CetrReview, entry: entries.RegisterEntry, template: str,
          form: Any, **extra: Any) -> str:
    req = find_request(entry.request_id)
    return render_template(template, review=review, entry=entry, form=form, req=req,
                           today=date.today(), **extra)


def _change(review_id: int, form_class: type[VersionedForm], template: str,
            apply: Callable[[store.CetrReview, entries.RegisterEntry, Actor, Any], Any],
            *, closed_too: bool = False, **extra: Any) -> Response | str:
    """One of a review's forms: shown, checked, saved (refused if the review moved on, or
    the entry closed unless `closed_too`)."""
    review, entry = _review(review_id)
    if not review.is_open or (entry.closed_at is not None and not closed_too):
        abort(409)
    form = form_class(data={"version": review.version_id})
    made_from = form.version.data

    def changed_meanwhile() -> str:
        fresh, fresh_entry = _review(review_id)
        form.version.data = made_from
        return _page(fresh, fresh_entry, template, form,
                     conflict=_stale(form, fresh, fresh_entry), **extra)

    errors.on_changed_meanwhile(changed_meanwhile)
    conflict = None
    if form.validate_on_submit():
        conflict = _stale(form, review, entry)
        if conflict is None:
            apply(review, entry, Actor.for_staff(signed_in_staff()), form)
            return redirect(url_for("staff.cetr_view", review_id=review.id))
    return _page(review, entry, template, form, conflict=conflict, **extra)


# Pages ---------------------------------------------------------------------------------

@bp.get("/cetrs")
@staff_only(*CASEWORK)
def cetr_list() -> str:
    today = date.today()
    due, total = store.due_within(today + timedelta(days=SOON_DAYS), LIST_LIMIT)
    blue, blue_total = store.blue_without_review(today + timedelta(days=SOON_DAYS),
                                                 LIST_LIMIT)
    return render_template("staff/cetr_list.html", due=due, total=total, blue=blue,
                           blue_total=blue_total, today=today, soon=SOON_DAYS)


@bp.route("/register/<int:entry_id>/cetrs/new", methods=["GET", "POST"])
@staff_only(*CASEWORK)
def cetr_request(entry_id: int) -> Response | str:
    entry = _entry(entry_id)
    if entry.closed_at is not None:
        abort(409)
    form = RequestForm(data={"kind": "inpatient" if entry.rating == "blue" else None})
    last = cetr_cases.last_held_on(entry)
    admitted = cetr_cases.admission_day(entry)
    if form.validate_on_submit():
        try:
            review = cetr_cases.request_review(
                entry, Actor.for_staff(signed_in_staff()), kind=form.kind.data or "",
                reason=form.reason.data or "", due_by=form.due_by.data,
                admitted_on=form.admitted_on.data)
        except cetr_cases.NothingToCountFrom:
            field = form.admitted_on if form.kind.data == "post_admission" else form.due_by
            field.errors = [gettext("Enter the day of the admission") if field is
                            form.admitted_on else gettext(
                                "Enter the date it is due by: there is no earlier C(E)TR "
                                "to count from")]
        else:
            return redirect(url_for("staff.cetr_view", review_id=review.id))
    return render_template("staff/cetr_request.html", entry=entry, form=form, last=last,
                           admitted=admitted, months=cetr_cases.months_blue(),
                           days=cetr_cases.post_admission_days())


@bp.get("/cetrs/<int:review_id>")
@staff_only(*CASEWORK)
def cetr_view(review_id: int) -> str:
    review, entry = _review(review_id)
    req = find_request(entry.request_id)
    return render_template(
        "staff/cetr_review.html", review=review, entry=entry, req=req, today=date.today(),
        recommendations=store.recommendations_of(review.id),
        can_change=review.is_open and entry.closed_at is None)


@bp.route("/cetrs/<int:review_id>/book", methods=["GET", "POST"])
@staff_only(*CASEWORK)
def cetr_book(review_id: int) -> Response | str:
    def apply(review: store.CetrReview, entry: entries.RegisterEntry, actor: Actor,
              form: BookForm) -> None:
        hour, minute = TIME.fullmatch(form.time.data or "").groups()  # type: ignore[union-attr]
        cetr_cases.book(review, entry, actor,
                        booked_for=cetr_cases.uk_moment(form.day.data, int(hour), int(minute)),
                        panel=form.panel.data or "", chair=form.chair.data or "")

    review, _entry_of = _review(review_id)
    if review.is_open and _entry_of.closed_at is None and review.booked_for is not None \
            and not _posted():
        # Moving a booking: the form starts from what is booked.
        local = review.booked_for.astimezone(cetr_cases.zone())
        form = BookForm(formdata=None, data={
            "version": review.version_id, "day": local.date(),
            "time": local.strftime("%H:%M"), "panel": review.panel, "chair": review.chair})
        return _page(review, _entry_of, "staff/cetr_book.html", form, conflict=None,
                     hours=cetr_cases.papers_hours())
    return _change(review_id, BookForm, "staff/cetr_book.html", apply,
                   hours=cetr_cases.papers_hours())


def _posted() -> bool:
    return request.method == "POST"


@bp.route("/cetrs/<int:review_id>/papers", methods=["GET", "POST"])
@staff_only(*CASEWORK)
def cetr_papers(review_id: int) -> Response | str:
    """The deadline for the papers, whether consent stands now, and "papers sent" (refused
    without valid consent; allowed late, and marked late)."""
    review, entry = _review(review_id)
    if review.booked_for is None:
        return redirect(url_for("staff.cetr_book", review_id=review.id))
    req = find_request(entry.request_id)
    consent = status_for(req) if req is not None else None
    form = PapersForm(data={"version": review.version_id})
    conflict = refused = None
    if form.validate_on_submit():
        conflict = _stale(form, review, entry)
        if conflict is None:
            actor = Actor.for_staff(signed_in_staff())
            try:
                cetr_cases.papers_sent(review, entry, actor)
            except cetr_cases.NoConsent:
                cetr_cases.papers_refused(review, entry, actor)
                refused = gettext("You cannot send the papers: there is no valid consent "
                                  "now. Send nothing to the panel until consent is given "
                                  "again.")
            except cetr_cases.NotOpen:
                refused = gettext("This child's entry is closed: the C(E)TR can only be "
                                  "cancelled now.")
            else:
                return redirect(url_for("staff.cetr_view", review_id=review.id))
    return _page(review, entry, "staff/cetr_papers.html", form, conflict=conflict,
                 consent=consent, refused=refused, now=utcnow())


@bp.route("/cetrs/<int:review_id>/outcome", methods=["GET", "POST"])
@staff_only(*CASEWORK)
def cetr_outcome(review_id: int) -> Response | str:
    def apply(review: store.CetrReview, entry: entries.RegisterEntry, actor: Actor,
              form: OutcomeForm) -> None:
        cetr_cases.record_outcome(review, entry, actor, held_on=form.held_on.data,
                                  outcome=form.outcome.data or "",
                                  panel_notes=form.panel_notes.data or None,
                                  recommendations=form.recommendations())

    return _change(review_id, OutcomeForm, "staff/cetr_outcome.html", apply)


@bp.route("/cetrs/<int:review_id>/cancel", methods=["GET", "POST"])
@staff_only(*CASEWORK)
def cetr_cancel(review_id: int) -> Response | str:
    return _change(review_id, CancelForm, "staff/cetr_cancel.html",
                   lambda review, entry, actor, form: cetr_cases.cancel(
                       review, entry, actor, form.reason.data or ""), closed_too=True)
