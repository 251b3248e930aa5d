"""Partner agencies, managed by admins (who see no child records): the list, a new agency,
and which agency a partner account belongs to."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response
from wtforms import RadioField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from portal.cases import partners as partner_cases
from portal.cases.operation import Actor
from portal.common.auth import signed_in_staff, staff_only
from portal.common.forms import BaseForm, short_text
from portal.common.i18n import gettext
from portal.common.i18n import lazy_gettext as _l
from portal.data import partners as store
from portal.data.staff import Role, find_staff
from portal.staff import bp

KIND_NAMES = {
    "social_care": _l("Social care"),
    "education": _l("Education"),
    "health": _l("Health"),
    "other": _l("Other"),
}
KIND_CHOICES = [SelectChoice(value, label) for value, label in KIND_NAMES.items()]
NO_AGENCY = "none"


def agency_choices() -> list[SelectChoice]:
    """Every agency, by name (read when a form is shown or checked)."""
    return [SelectChoice(str(a.id), a.name) for a in store.all_agencies()]


def agency_choices_or_none() -> list[SelectChoice]:
    return [SelectChoice("", gettext("No partner agency")), *agency_choices()]


def chosen_agency(raw: Any) -> store.Agency | None:
    text = str(raw or "")
    return store.find_agency(int(text)) if text.isdigit() else None


def agency_field(label: Any) -> RadioField:
    """Which agency a partner account belongs to (checked against the list)."""
    return RadioField(label, choices=agency_choices, validate_choice=False)


def check_partner_agency(form: Any) -> bool:
    """A partner account must be in an agency that exists; others in none."""
    if form.role.data != Role.PARTNER.value:
        form.agency.data = None
        return True
    if chosen_agency(form.agency.data) is None:
        form.agency.errors = [gettext("Select the partner's agency")]
        return False
    return True


class AgencyForm(BaseForm):
    name = short_text(_l("Name of the agency"), what=_l("The name of the agency"),
                      validators=[InputRequired(_l("Enter the name of the agency"))])
    kind = RadioField(_l("What kind of agency is it?"), choices=KIND_CHOICES,
                      validators=[InputRequired(_l("Select what kind of agency it is"))])

    def validate_name(self, field: Any) -> None:
        if field.data and store.find_agency_by_name(field.data):
            raise ValidationError(_l("There is already an agency with this name"))


class MemberForm(BaseForm):
    agency = RadioField(_l("Agency"), choices=lambda: [
        *agency_choices(), SelectChoice(NO_AGENCY, gettext("None"))],
        validators=[InputRequired(_l("Select an agency"))])


@bp.context_processor
def _agency_words() -> dict[str, Any]:
    return {"agency_kind_names": KIND_NAMES, "agency_named": store.find_agency,
            "agency_choices": agency_choices}


@bp.get("/admin/agencies")
@staff_only(Role.ADMIN)
def admin_agencies() -> str:
    agencies = store.all_agencies()
    return render_template("staff/agencies.html", agencies=agencies,
                           members={a.id: store.members(a.id) for a in agencies})


@bp.route("/admin/agencies/new", methods=["GET", "POST"])
@staff_only(Role.ADMIN)
def admin_agency_new() -> Response | str:
    form = AgencyForm()
    if form.validate_on_submit():
        agency = partner_cases.create_agency(Actor.for_staff(signed_in_staff()),
                                             name=form.name.data or "",
                                             kind=form.kind.data or "other")
        flash(gettext("%(name)s has been added.", name=agency.name))
        return redirect(url_for("staff.admin_agencies"))
    return render_template("staff/agency_new.html", form=form)


@bp.route("/admin/staff/<int:staff_id>/agency", methods=["GET", "POST"])
@staff_only(Role.ADMIN)
def admin_staff_agency(staff_id: int) -> Response | str:
    """Which agency a partner account belongs to."""
    user = find_staff(staff_id)
    if user is None or user.role != Role.PARTNER:
        abort(404)
    form = MemberForm(data={"agency": str(user.agency_id) if user.agency_id else None})
    if form.validate_on_submit():
        agency = chosen_agency(form.agency.data)
        partner_cases.place_in_agency(Actor.for_staff(signed_in_staff()), user, agency)
        flash(gettext("%(name)s's agency has been changed.", name=user.name))
        return redirect(url_for("staff.admin_staff"))
    return render_template("staff/agency_member.html", form=form, person=user)
