"""A request on one screen, and the triage decisions: more information, decline, accept."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response
from wtforms import HiddenField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from portal.common.auth import CASEWORK, current_staff, staff_only
from portal.common.forms import BaseForm, DateField, long_text, short_text
from portal.common.i18n import gettext
from portal.common.i18n import lazy_gettext as _l
from portal.data import audit
from portal.data import consent as consent_store
from portal.data.register import entry_for_request
from portal.data.requests import SupportRequest, find_request, messages_for
from portal.data.staff import StaffUser, find_staff
from portal.domain.ratings import Rating
from portal.domain.request_states import ALLOWED, State
from portal.public.consent import records
from portal.public.request import forms as request_forms
from portal.staff import bp, decisions

RATING_CHOICES = [
    SelectChoice("red", _l("Red"), render_kw={"hint": _l(
        "Immediate risk of admission or breakdown: urgent, coordinated crisis response")}),
    SelectChoice("amber", _l("Amber"), render_kw={"hint": _l(
        "High risk of crisis or placement breakdown: multi-agency planning now")}),
    SelectChoice("green", _l("Green"), render_kw={"hint": _l(
        "Struggling, but can stay safely where they are with the right support")}),
    SelectChoice("blue", _l("Blue"), render_kw={"hint": _l(
        "In a mental-health hospital now")}),
]


class VersionedForm(BaseForm):
    version = HiddenField()


class QuestionForm(VersionedForm):
    question = long_text(_l("What do you need to know?"), what=_l("Your question"),
                         validators=[InputRequired(_l("Enter your question for the family"))])


class MessageForm(VersionedForm):
    body = long_text(_l("Message to the family"), what=_l("Your message"),
                     validators=[InputRequired(_l("Enter your message"))])


class DeclineForm(VersionedForm):
    reason = long_text(_l("Why are they not being added?"), what=_l("The reason"),
                       validators=[InputRequired(_l("Enter the reason, in plain words"))])
    help_text = long_text(_l("Where else can they get help?"), what=_l("Where else to get help"),
                          validators=[InputRequired(_l("Enter where else they can get help"))])


class AcceptForm(VersionedForm):
    rating = RadioField(_l("Rating"), choices=RATING_CHOICES,
                        validators=[InputRequired(_l("Select a rating"))])
    reason = long_text(_l("Why this rating?"), what=_l("The reason for the rating"),
                       validators=[InputRequired(_l("Enter why you chose this rating"))])
    keyworker = short_text(_l("Keyworker (optional)"), what=_l("Keyworker"))
    first_review = DateField(_l("First review"), what=_l("the first review date"),
                             what_capital=_l("First review date"))

    def validate_first_review(self, field: DateField) -> None:
        from wtforms import ValidationError

        if field.data is not None and field.data < date.today():
            raise ValidationError(_l("First review date must be today or in the future"))


def _labels(choices: list[SelectChoice]) -> dict[str, Any]:
    return {c.value: c.label for c in choices}


def answer_rows(req: SupportRequest) -> list[tuple[Any, list[Any]]]:
    """Every answer the family gave, labelled as they saw it."""
    f = request_forms
    living, diagnosis = _labels(f.LIVING_CHOICES), _labels(f.DIAGNOSIS_CHOICES)
    risks, services = _labels(f.RISK_CHOICES), _labels(f.SERVICE_CHOICES)
    who, method = _labels(f.WHO_CHOICES), _labels(f.CONTACT_METHOD_CHOICES)
    yes_no = {True: _l("Yes"), False: _l("No")}
    return [
        (_l("Child's name"), [req.child_name] + (
            [gettext("Likes to be called %(name)s", name=req.child_preferred_name)]
            if req.child_preferred_name else [])),
        (_l("Date of birth"), [req.child_date_of_birth]),
        (_l("NHS number"), [req.nhs_number or ""]),
        (_l("Postcode"), [req.postcode]),
        (_l("Where they live"), [living.get(req.living_situation, req.living_situation)]),
        (_l("School, college or placement"), [req.education_setting]),
        (_l("Autism"), [diagnosis.get(req.autism, req.autism)]),
        (_l("Learning disability"), [diagnosis.get(req.learning_disability,
                                                   req.learning_disability)]),
        (_l("In hospital now"), [yes_no[req.in_hospital]]),
        (_l("What is happening"), [risks.get(r, r) for r in req.risks]
         + ([req.risks_in_own_words] if req.risks_in_own_words else [])),
        (_l("Services involved"), [services.get(s, s) for s in req.services]),
        (_l("What has been tried"), [req.tried or ""]),
        (_l("What would help"), [req.would_help or ""]),
        (_l("Communication needs"), [req.communication_needs or ""]),
        (_l("Language"), [req.preferred_language] + (
            [_l("Would like an interpreter")] if req.needs_interpreter else [])),
        (_l("Who asked"), [who.get(req.requester_role, req.requester_role),
                           req.requester_name] + ([req.requester_relationship]
                                                  if req.requester_relationship else [])),
        (_l("Contact"), [v for v in (req.contact_email, req.contact_phone) if v]
         + [method.get(req.contact_method, req.contact_method)]),
    ]


def reason_labels(codes: list[str]) -> list[Any]:
    risks = _labels(request_forms.RISK_CHOICES)
    special = {"in_hospital": _l("In a mental-health hospital now"),
               "many_risks": _l("Four or more risks, at least two of them serious"),
               "no_listed_risks": _l("None of the listed risks")}
    return [special.get(code) or risks.get(code, code) for code in codes]


def load(request_id: int, user: StaffUser, *, viewed: bool = False) -> SupportRequest:
    req = find_request(request_id)
    if req is None:
        abort(404)
    if viewed:  # every look at a child's record is on the record
        audit.record(actor_type="staff", actor_id=str(user.id), action="request.viewed",
                     subject_type="request", subject_id=str(req.id))
    return req


def last_changed_by(subject_type: str, subject_id: int) -> str:
    """The member of staff who last changed a record (looking at it is not a change)."""
    events = audit.events_for(subject_type, str(subject_id))
    changer = next((e for e in reversed(events) if e.actor_type == "staff"
                    and not e.action.endswith(".viewed")), None)
    who = find_staff(int(changer.actor_id)) if changer and changer.actor_id else None
    return who.name if who else gettext("Someone else")


def stale(form: VersionedForm, req: SupportRequest) -> str | None:
    """None if the form was made from the current version, else who changed it since."""
    if str(form.version.data) == str(req.version_id):
        return None
    return gettext("%(name)s changed this request while you were working on it. Check what "
                   "they did below. What you typed is still here.",
                   name=last_changed_by("request", req.id))


@bp.get("/requests/<int:request_id>")
@staff_only(*CASEWORK)
def request_view(request_id: int) -> str:
    user = current_staff()
    assert user is not None
    req = load(request_id, user, viewed=True)
    return render_template(
        "staff/request.html", req=req, rows=answer_rows(req), status=records.status_for(req),
        reasons=reason_labels(req.suggestion_reasons),
        consents=consent_store.consents_for(req.id),
        findings=consent_store.findings_for(req.id),
        history=audit.events_for("request", str(req.id)), messages=messages_for(req.id),
        entry=entry_for_request(req.id),
        assignee=find_staff(req.assigned_to_id) if req.assigned_to_id else None,
        can_decide=State.ACCEPTED in ALLOWED[State(req.state)],
        can_ask=State.MORE_INFO_REQUESTED in ALLOWED[State(req.state)],
    )


@bp.post("/requests/<int:request_id>/assign")
@staff_only(*CASEWORK)
def request_assign(request_id: int) -> Response:
    user = current_staff()
    assert user is not None
    req = load(request_id, user)
    decisions.assign(req, user)
    return redirect(request.form.get("back") == "queue" and url_for("staff.queue")
                    or url_for("staff.request_view", request_id=req.id))


def _action(request_id: int, form_class: type[VersionedForm], template: str,
            act: Any, allowed: State | None) -> Response | str:
    user = current_staff()
    assert user is not None
    req = load(request_id, user)
    if allowed is not None and allowed not in ALLOWED[State(req.state)]:
        return redirect(url_for("staff.request_view", request_id=req.id))
    form = form_class(data={"version": req.version_id, **_defaults(form_class, req)})
    conflict = None
    if form.validate_on_submit():
        conflict = stale(form, req)
        if conflict is None:  # the action may say where to go next
            return act(req, user, form) or redirect(url_for("staff.request_view",
                                                            request_id=req.id))
        form.version.data = req.version_id  # saving again means "I have checked"
    return render_template(template, form=form, req=req, conflict=conflict)


def _defaults(form_class: type[VersionedForm], req: SupportRequest) -> dict[str, Any]:
    if form_class is AcceptForm:
        rating = Rating(req.suggested_rating)
        return {"rating": rating.value,
                "first_review": decisions.review_date(rating, date.today())}
    return {}


@bp.route("/requests/<int:request_id>/more-information", methods=["GET", "POST"])
@staff_only(*CASEWORK)
def request_more_info(request_id: int) -> Response | str:
    return _action(request_id, QuestionForm, "staff/more_info.html",
                   lambda req, user, form: decisions.ask_for_information(
                       req, user, form.question.data), State.MORE_INFO_REQUESTED)


@bp.route("/requests/<int:request_id>/message", methods=["GET", "POST"])
@staff_only(*CASEWORK)
def request_message(request_id: int) -> Response | str:
    return _action(request_id, MessageForm, "staff/message.html",
                   lambda req, user, form: decisions.send_message(req, user, form.body.data),
                   None)


@bp.route("/requests/<int:request_id>/decline", methods=["GET", "POST"])
@staff_only(*CASEWORK)
def request_decline(request_id: int) -> Response | str:
    return _action(request_id, DeclineForm, "staff/decline.html",
                   lambda req, user, form: decisions.decline(
                       req, user, form.reason.data, form.help_text.data), State.DECLINED)


@bp.route("/requests/<int:request_id>/accept", methods=["GET", "POST"])
@staff_only(*CASEWORK)
def request_accept(request_id: int) -> Response | str:
    def act(req: SupportRequest, user: StaffUser, form: AcceptForm) -> Response:
        try:
            entry = decisions.accept(req, user, rating=Rating(form.rating.data),
                                     keyworker=form.keyworker.data,
                                     first_review=form.first_review.data,
                                     reason=form.reason.data)
        except decisions.AlreadyOnRegister as already:
            return redirect(url_for("staff.register_entry", entry_id=already.entry.id,
                                    already=1))
        return redirect(url_for("staff.register_entry", entry_id=entry.id))

    return _action(request_id, AcceptForm, "staff/accept.html", act, State.ACCEPTED)
