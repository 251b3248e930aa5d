"""Triage decisions on a request: more information, a message, decline, accept, and the
same child twice (close or join as a duplicate, correct an NHS number)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response
from wtforms import RadioField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from portal.cases import decisions as decision_cases
from portal.cases import requests as request_cases
from portal.cases.operation import Actor
from portal.cases.register import usual_review
from portal.common.auth import CASEWORK, staff_only
from portal.common.forms import DateField, long_text, short_text
from portal.common.i18n import lazy_gettext as _l
from portal.data.consent import status_for
from portal.data.requests import (
    LIVE_STATES,
    SupportRequest,
    find_request,
    find_request_by_reference,
)
from portal.domain import nhs_number, references
from portal.domain.ratings import Rating
from portal.domain.request_states import State
from portal.staff import bp
from portal.staff.casework import action_page, load
from portal.staff.forms import RATING_CHOICES, VersionedForm
from portal.staff.keyworkers import chosen_keyworker_id, keyworker_account_field


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
    keyworker_staff = keyworker_account_field()
    keyworker = short_text(_l("Keyworker (optional)"), what=_l("Keyworker"))
    first_review = DateField(_l("First review"), what=_l("the first review date"),
                             what_capital=_l("First review date"))

    def validate_first_review(self, field: DateField) -> None:
        if field.data is not None and field.data < date.today():
            raise ValidationError(_l("First review date must be today or in the future"))


class NhsForm(VersionedForm):
    nhs_number = short_text(_l("NHS number"), what=_l("NHS number"), limit=20)

    def validate_nhs_number(self, field: Any) -> None:
        if field.data and not nhs_number.is_valid(field.data):
            raise ValidationError(_l("Enter a real NHS number of 10 numbers, or leave it "
                                     "empty if it is not known"))


DUPLICATE_CHOICES = [
    SelectChoice("join", _l("Join it to the other request"), render_kw={"hint": _l(
        "What this family told us is read with the other request and its register entry")}),
    SelectChoice("close", _l("Close it"), render_kw={"hint": _l(
        "It adds nothing new: the family is told we already have a request for this child")}),
]


class DuplicateForm(VersionedForm):
    other = short_text(_l("Reference of the other request"), what=_l("The reference"),
                       limit=20, validators=[InputRequired(_l("Enter the other request's "
                                                                "reference"))])
    how = RadioField(_l("What to do with this request"), choices=DUPLICATE_CHOICES,
                     validators=[InputRequired(_l("Select join or close"))])
    note = long_text(_l("Note (optional)"), what=_l("The note"))

    def validate_other(self, field: Any) -> None:
        other = find_request_by_reference(references.normalise(field.data or ""))
        if other is None or other.state not in LIVE_STATES or other.archived_at is not None:
            raise ValidationError(_l("There is no open request or register entry with this "
                                     "reference"))
        self.other_request = other


@bp.route("/requests/<int:request_id>/more-information", methods=["GET", "POST"])
@staff_only(*CASEWORK)
def request_more_info(request_id: int) -> Response | str:
    return action_page(request_id, QuestionForm, "staff/more_info.html",
                       lambda req, actor, form: decision_cases.ask_for_information(
                           req, actor, form.question.data), State.MORE_INFO_REQUESTED)


@bp.route("/requests/<int:request_id>/message", methods=["GET", "POST"])
@staff_only(*CASEWORK)
def request_message(request_id: int) -> Response | str:
    def act(req: SupportRequest, actor: Actor, form: MessageForm) -> None:
        request_cases.message_from_staff(req, actor, form.body.data or "")

    return action_page(request_id, MessageForm, "staff/message.html", act, None)


@bp.route("/requests/<int:request_id>/decline", methods=["GET", "POST"])
@staff_only(*CASEWORK)
def request_decline(request_id: int) -> Response | str:
    return action_page(request_id, DeclineForm, "staff/decline.html",
                       lambda req, actor, form: decision_cases.decline(
                           req, actor, form.reason.data, form.help_text.data), State.DECLINED)


@bp.route("/requests/<int:request_id>/accept", methods=["GET", "POST"])
@staff_only(*CASEWORK)
def request_accept(request_id: int) -> Response | str:
    req = load(request_id)

    def act(req: SupportRequest, actor: Actor, form: AcceptForm) -> Response | str:
        try:
            entry = decision_cases.accept(
                req, actor, rating=Rating(form.rating.data), keyworker=form.keyworker.data,
                first_review=form.first_review.data, reason=form.reason.data,
                keyworker_staff_id=chosen_keyworker_id(form.keyworker_staff.data))
        except decision_cases.AlreadyOnRegister as already:
            return render_template("staff/accept.html", form=form, req=req, conflict=None,
                                   already=already.entry,
                                   other=find_request(already.entry.request_id))
        except decision_cases.NhsConflict as clash:
            return render_template("staff/accept.html", form=form, req=req, conflict=None,
                                   nhs_clash=clash.other)
        except decision_cases.ConsentNotReady:
            return redirect(url_for("staff.request_view", request_id=req.id))
        return redirect(url_for("staff.register_entry", entry_id=entry.id))

    status = status_for(req)
    if not status.valid or status.needs_staff_decision:  # consent first, and the child heard
        return redirect(url_for("staff.request_view", request_id=req.id))
    rating = Rating(req.suggested_rating)
    return action_page(request_id, AcceptForm, "staff/accept.html", act, State.ACCEPTED,
                       defaults={"rating": rating.value,
                                 "first_review": usual_review(rating, date.today())})


@bp.route("/requests/<int:request_id>/same-child", methods=["GET", "POST"])
@staff_only(*CASEWORK)
def request_duplicate(request_id: int) -> Response | str:
    """Close this request as the same child as another one, or join it to that one."""
    req = load(request_id)
    other = find_request(req.possible_duplicate_of_id) if req.possible_duplicate_of_id else None
    suggested = other.reference if other else None

    def act(req: SupportRequest, actor: Actor, form: DuplicateForm) -> None:
        decision_cases.close_as_duplicate(req, actor, form.other_request,
                                          join=form.how.data == "join",
                                          note=form.note.data or "")

    return action_page(request_id, DuplicateForm, "staff/duplicate.html", act,
                       State.DUPLICATE, defaults={"other": request.args.get("other") or suggested})


@bp.route("/requests/<int:request_id>/nhs-number", methods=["GET", "POST"])
@staff_only(*CASEWORK)
def request_nhs_number(request_id: int) -> Response | str:
    """Correct a child's NHS number (audited, with the number before and after)."""
    req = load(request_id)

    def act(req: SupportRequest, actor: Actor, form: NhsForm) -> None:
        typed = form.nhs_number.data
        request_cases.correct_nhs_number(req, actor,
                                         nhs_number.normalise(typed) if typed else None)

    return action_page(request_id, NhsForm, "staff/nhs_number.html", act, None,
                       defaults={"nhs_number": nhs_number.formatted(req.nhs_number or "")})
