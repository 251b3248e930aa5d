"""Consent decisions staff record: Gillick competence, or a lack of capacity with a
best-interests decision (register managers), and going ahead after a child's no."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort
from werkzeug.wrappers import Response
from wtforms import RadioField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from portal.cases import consent as consent_cases
from portal.cases.operation import Actor
from portal.common.auth import CASEWORK, staff_only
from portal.common.forms import DateField, email_field, long_text, short_text
from portal.common.i18n import lazy_gettext as _l
from portal.data.consent import status_for, young_persons_answer
from portal.data.requests import SupportRequest
from portal.data.staff import Role
from portal.domain.consent import CAPACITY_FINDINGS, StaffFinding, finding_applies
from portal.staff import bp
from portal.staff.casework import action_page, load
from portal.staff.forms import VersionedForm

FINDING_WORDS = {
    StaffFinding.GILLICK_COMPETENT: (
        _l("They are competent to decide for themselves (Gillick competence)"),
        _l("Under 16: their own answer will decide, not their parent's")),
    StaffFinding.LACKS_CAPACITY_BEST_INTERESTS: (
        _l("They lack capacity for this decision, and a best-interests decision was made"),
        _l("16 or 17 (Mental Capacity Act 2005): a parent's consent will count")),
}


class FindingForm(VersionedForm):
    finding = RadioField(_l("What was found?"),
                         validators=[InputRequired(_l("Select what was found"))])
    assessed_by = short_text(_l("Who made the assessment"), what=_l("Who made the assessment"),
                             validators=[InputRequired(_l("Enter who made the assessment, "
                                                          "and their role"))])
    assessed_on = DateField(_l("When"), what=_l("the date of the assessment"),
                            what_capital=_l("Date of the assessment"))
    note = long_text(_l("Why: how the decision was reached"), what=_l("The reasons"),
                     validators=[InputRequired(_l("Enter how the decision was reached"))])

    def validate_assessed_on(self, field: DateField) -> None:
        if field.data is not None and field.data > date.today():
            raise ValidationError(_l("Date of the assessment must be today or in the past"))


class YoungPersonLinkForm(VersionedForm):
    email = email_field(_l("The young person's email address"),
                        required=_l("Enter the young person's email address"))


class ChildsViewForm(VersionedForm):
    reason = long_text(_l("Why go ahead?"), what=_l("The reason"),
                       validators=[InputRequired(_l("Enter why the team is going ahead"))])


@bp.route("/requests/<int:request_id>/consent-finding", methods=["GET", "POST"])
@staff_only(Role.MANAGER)
def request_finding(request_id: int) -> Response | str:
    req = load(request_id)
    age = status_for(req).age
    choices = [SelectChoice(f.value, FINDING_WORDS[f][0], render_kw={"hint": FINDING_WORDS[f][1]})
               for f in CAPACITY_FINDINGS if finding_applies(f, age)]
    if not choices:
        abort(404)

    def act(req: SupportRequest, actor: Actor, form: Any) -> None:
        consent_cases.record_finding(req, actor, StaffFinding(form.finding.data),
                                     note=form.note.data or "",
                                     assessed_by=form.assessed_by.data,
                                     assessed_on=form.assessed_on.data)

    return action_page(request_id, FindingForm, "staff/finding.html", act, None,
                       defaults={"finding": choices[0].value if len(choices) == 1 else None},
                       prepare=lambda form: setattr(form.finding, "choices", choices))


@bp.route("/requests/<int:request_id>/young-person-link", methods=["GET", "POST"])
@staff_only(*CASEWORK)
def request_young_person_link(request_id: int) -> Response | str:
    """The young person asked the team for a new link: to change their yes, or (after a
    no, or wanting to talk first) to answer again."""
    req = load(request_id)
    answer = young_persons_answer(req.id)

    def act(req: SupportRequest, actor: Actor, form: YoungPersonLinkForm) -> None:
        address = form.email.data or ""
        if answer is not None and answer.decision == "yes":
            consent_cases.send_young_person_their_link(answer, address, actor)
        else:
            consent_cases.invite_young_person(req, actor, address)

    return action_page(request_id, YoungPersonLinkForm, "staff/young_person_link.html", act,
                       None, answer=answer)


@bp.route("/requests/<int:request_id>/childs-view", methods=["GET", "POST"])
@staff_only(*CASEWORK)
def request_childs_view(request_id: int) -> Response | str:
    """The child said no: go ahead, saying why (or decline the request instead)."""
    req = load(request_id)
    status = status_for(req)
    if not status.needs_staff_decision:
        abort(404)

    def act(req: SupportRequest, actor: Actor, form: ChildsViewForm) -> None:
        consent_cases.go_ahead_despite_childs_view(req, actor, form.reason.data or "")

    return action_page(request_id, ChildsViewForm, "staff/childs_view.html", act, None,
                       status=status)
