"""Moving to the adult register at 18: the transition plan, the young person's link, the
hand-over summary (a PDF, only with their yes), the referral and its outcome, and closing
the entry on the 18th birthday. Thin: every change is in portal.cases.handover."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Response, abort, redirect, render_template, url_for
from werkzeug.wrappers import Response as BaseResponse
from wtforms import RadioField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from portal.cases import handover as handover_cases
from portal.cases.operation import Actor
from portal.common import errors
from portal.common.auth import CASEWORK, signed_in_staff, staff_only
from portal.common.forms import BaseForm, DateField, long_text, short_text
from portal.common.i18n import gettext
from portal.common.i18n import lazy_gettext as _l
from portal.data import handover as store
from portal.data import register as entries
from portal.data.requests import find_request
from portal.data.staff import Role
from portal.domain.consent import add_months
from portal.staff import bp
from portal.staff.casework import refuse_if_archived
from portal.staff.forms import VersionedForm, last_changed_by

LIST_LIMIT = 50
NEW = "new"  # the version a form carries when there was no row yet

OUTCOME_CHOICES = [
    SelectChoice("waiting", _l("Waiting for an answer")),
    SelectChoice("accepted", _l("Accepted onto the adult register")),
    SelectChoice("not_accepted", _l("Not accepted")),
]


class PlanForm(VersionedForm):
    adult_needs = long_text(_l("What does the adult register need to know?"),
                            what=_l("What the adult register needs to know"),
                            validators=[InputRequired(_l(
                                "Enter what the adult register needs to know"))])
    lead_name = short_text(_l("Who leads the move to adult services?"), what=_l("Who leads"),
                           validators=[InputRequired(_l("Enter who leads the move"))])
    lead_organisation = short_text(_l("Their organisation"), what=_l("Their organisation"),
                                   validators=[InputRequired(_l(
                                       "Enter the organisation of the person who leads"))])
    adult_services = long_text(_l("Adult services involved (optional)"),
                               what=_l("Adult services involved"))
    wishes = long_text(_l("What the young person wants (optional)"),
                       what=_l("What the young person wants"))
    target_referral_on = DateField(_l("Referral planned by (optional)"),
                                   what=_l("the date the referral is planned by"),
                                   what_capital=_l("The date the referral is planned by"),
                                   optional=True)


class LinkForm(BaseForm):
    email = short_text(_l("The young person's own email address"),
                       what=_l("The email address"), limit=254,
                       validators=[InputRequired(_l(
                           "Enter the young person's own email address"))])

    def validate_email(self, field: Any) -> None:
        value = field.data or ""
        if "@" not in value or " " in value or value.startswith("@") or value.endswith("@"):
            raise ValidationError(_l("Enter an email address like name@example.com"))


class ReferralForm(VersionedForm):
    sent_on = DateField(_l("Date sent"), what=_l("the date it was sent"),
                        what_capital=_l("The date it was sent"))
    sent_to = short_text(_l("Sent to"), what=_l("Who it was sent to"),
                         validators=[InputRequired(_l("Enter who it was sent to"))])
    outcome = RadioField(_l("Outcome"), choices=OUTCOME_CHOICES,
                         validators=[InputRequired(_l("Select the outcome"))])
    outcome_on = DateField(_l("Date of the answer"), what=_l("the date of the answer"),
                           what_capital=_l("The date of the answer"), optional=True)
    note = long_text(_l("Note (optional)"), what=_l("The note"))

    def validate_sent_on(self, field: DateField) -> None:
        if field.data is not None and field.data > date.today():
            raise ValidationError(_l("The date it was sent must be today or in the past"))

    def validate_outcome_on(self, field: DateField) -> None:
        if self.outcome.data in {"accepted", "not_accepted"} and field.data is None \
                and not field.errors:
            raise ValidationError(_l("Enter the date of the answer"))
        if field.data is not None and field.data > date.today():
            raise ValidationError(_l("The date of the answer must be today or in the past"))


# What the entry page and the attention list show ------------------------------------------

@dataclass(frozen=True)
class Handover:
    entry: entries.RegisterEntry
    plan: store.TransitionPlan | None
    answer: store.AdultReferralAnswer | None
    referral: store.AdultReferral | None
    plan_from: date
    birthday: date
    due: bool  # 17 and a half or older
    adult: bool  # 18 or older

    @property
    def consented(self) -> bool:
        return self.answer is not None and self.answer.decision == "yes"


def handover_for(entry: entries.RegisterEntry, today: date | None = None) -> Handover:
    today = today or date.today()
    return Handover(entry, store.plan_for(entry.id), store.answer_for(entry.id),
                    store.referral_for(entry.id), handover_cases.planning_from(entry),
                    handover_cases.eighteenth_birthday(entry),
                    handover_cases.planning_due(entry, today),
                    handover_cases.is_18(entry, today))


def handover_attention(today: date) -> tuple[list[Handover], int]:
    """Live entries of those 17 and a half or older, with where their hand-over is."""
    rows, total = store.live_born_on_or_before(
        add_months(today, -handover_cases.PLAN_FROM_MONTHS), LIST_LIMIT)
    plans, answers, referrals = store.for_entries([e.id for e in rows])
    return [Handover(e, plans.get(e.id), answers.get(e.id), referrals.get(e.id),
                     handover_cases.planning_from(e), handover_cases.eighteenth_birthday(e),
                     True, handover_cases.is_18(e, today)) for e in rows], total


@bp.context_processor
def _handover() -> dict[str, Any]:
    """The entry page (staff/_entry_handover.html) and the attention list read these."""
    return {"handover_for": handover_for, "handover_attention": handover_attention}


# Finding the records -------------------------------------------------------------------

def _entry(entry_id: int, *, open_only: bool = True) -> entries.RegisterEntry:
    entry = entries.find_entry(entry_id)
    if entry is None:
        abort(404)
    refuse_if_archived(entry.archived_at)
    if open_only and entry.closed_at is not None:
        abort(409)
    return entry


def _back(entry: entries.RegisterEntry) -> BaseResponse:
    return redirect(url_for("staff.register_entry", entry_id=entry.id) + "#handover")


def _version(row: Any) -> str:
    return str(row.version_id) if row is not None else NEW


def _stale(form: VersionedForm, row: Any, entry: entries.RegisterEntry) -> str | None:
    if str(form.version.data) == _version(row):
        return None
    form.version.data = _version(row)
    return gettext("%(name)s changed this while you were working on it. Check what they "
                   "did below. What you typed is still here.",
                   name=last_changed_by("register_entry", entry.id))


def _versioned(entry: entries.RegisterEntry, form: VersionedForm, template: str,
               find: Callable[[], Any], save: Callable[[Actor], Any],
               **extra: Any) -> BaseResponse | str:
    """A form on a versioned row (the plan, the referral): a save made from an older
    version is refused, with what was typed kept."""
    made_from = form.version.data

    def page(conflict: str | None) -> str:
        return render_template(template, entry=entry, form=form, conflict=conflict,
                               req=find_request(entry.request_id), **extra)

    def changed_meanwhile() -> str:
        fresh = entries.find_entry(entry.id)
        assert fresh is not None
        form.version.data = made_from
        return page(_stale(form, find(), fresh))

    errors.on_changed_meanwhile(changed_meanwhile)
    conflict = None
    if form.validate_on_submit():
        conflict = _stale(form, find(), entry)
        if conflict is None:
            save(Actor.for_staff(signed_in_staff()))
            return _back(entry)
    return page(conflict)


# Pages ---------------------------------------------------------------------------------

@bp.route("/register/<int:entry_id>/adult-register/plan", methods=["GET", "POST"])
@staff_only(*CASEWORK)
def handover_plan(entry_id: int) -> BaseResponse | str:
    entry = _entry(entry_id)
    plan = store.plan_for(entry.id)
    data: dict[str, Any] = {"version": _version(plan)}
    if plan is not None:
        data.update(adult_needs=plan.adult_needs, lead_name=plan.lead_name,
                    lead_organisation=plan.lead_organisation,
                    adult_services=plan.adult_services, wishes=plan.wishes,
                    target_referral_on=plan.target_referral_on)
    form = PlanForm(data=data)

    def save(actor: Actor) -> None:
        handover_cases.save_plan(
            entry, actor, adult_needs=form.adult_needs.data or "",
            lead_name=form.lead_name.data or "",
            lead_organisation=form.lead_organisation.data or "",
            adult_services=form.adult_services.data, wishes=form.wishes.data,
            target_referral_on=form.target_referral_on.data)

    return _versioned(entry, form, "staff/handover_plan.html",
                      lambda: store.plan_for(entry.id), save, plan=plan,
                      handover=handover_for(entry))


@bp.route("/register/<int:entry_id>/adult-register/link", methods=["GET", "POST"])
@staff_only(*CASEWORK)
def handover_link(entry_id: int) -> BaseResponse | str:
    entry = _entry(entry_id)
    req = find_request(entry.request_id)
    form = LinkForm()
    if form.validate_on_submit():
        try:
            handover_cases.send_link(entry, Actor.for_staff(signed_in_staff()),
                                     form.email.data or "")
        except handover_cases.TooYoung:
            form.email.errors = [gettext(
                "They are under 16: their parent or carer decides for them. Their own link "
                "is for 16 and over")]
        except handover_cases.ParentsAddress:
            form.email.errors = [gettext(
                "This is the parent's or carer's address. Enter the young person's own "
                "email address: only they can answer")]
        else:
            return render_template("staff/handover_link_sent.html", entry=entry, req=req,
                                   address=form.email.data)
    return render_template("staff/handover_link.html", entry=entry, req=req, form=form,
                           handover=handover_for(entry))


@bp.get("/register/<int:entry_id>/adult-register/summary.pdf")
@staff_only(*CASEWORK)
def handover_summary(entry_id: int) -> Response | tuple[str, int]:
    entry = _entry(entry_id, open_only=False)
    req = find_request(entry.request_id)
    try:
        handover_cases.summary_issued(entry, Actor.for_staff(signed_in_staff()))
    except handover_cases.NoConsent:
        return render_template("staff/handover_no_consent.html", entry=entry, req=req), 409
    from weasyprint import HTML  # slow to import: only when a PDF is asked for

    from portal.data.cetr import reviews_for

    html = render_template(
        "staff/handover_summary_pdf.html", entry=entry, req=req, h=handover_for(entry),
        history=entries.rating_history(entry.id),
        actions=[a for a in entries.actions_for(entry.id) if a.done_at is None],
        reviews=reviews_for(entry.id), today=date.today())
    # Tagged (PDF/UA-1): headings, lists and tables a screen reader can follow, the
    # document's language and its title.
    pdf = HTML(string=html).write_pdf(pdf_variant="pdf/ua-1", pdf_tags=True)
    reference = req.reference if req else str(entry.id)
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="hand-over-summary-{reference}.pdf"'})


@bp.route("/register/<int:entry_id>/adult-register/referral", methods=["GET", "POST"])
@staff_only(*CASEWORK)
def handover_referral(entry_id: int) -> BaseResponse | str | tuple[str, int]:
    entry = _entry(entry_id)
    referral = store.referral_for(entry.id)
    if referral is None and handover_cases.consented(entry) is None:
        req = find_request(entry.request_id)
        return render_template("staff/handover_no_consent.html", entry=entry, req=req), 409
    data: dict[str, Any] = {"version": _version(referral), "outcome": "waiting",
                            "sent_on": date.today()}
    if referral is not None:
        data.update(sent_on=referral.sent_on, sent_to=referral.sent_to,
                    outcome=referral.outcome, outcome_on=referral.outcome_on,
                    note=referral.note)
    form = ReferralForm(data=data)

    def save(actor: Actor) -> None:
        handover_cases.record_referral(
            entry, actor, sent_on=form.sent_on.data, sent_to=form.sent_to.data or "",
            outcome=form.outcome.data or "waiting", outcome_on=form.outcome_on.data,
            note=form.note.data)

    return _versioned(entry, form, "staff/handover_referral.html",
                      lambda: store.referral_for(entry.id), save, referral=referral)


@bp.post("/register/<int:entry_id>/adult-register/close")
@staff_only(Role.MANAGER)
def handover_close(entry_id: int) -> BaseResponse:
    """A register manager closes the entry on the 18th birthday (the daily job does the
    same, once a day)."""
    entry = _entry(entry_id)
    form = BaseForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        handover_cases.close_at_18(entry, Actor.for_staff(signed_in_staff()))
    except handover_cases.NotYet18:
        abort(409)
    return _back(entry)
