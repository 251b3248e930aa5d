"""Staff accounts, managed by admins (who see no child records), and the page where a new
member of staff chooses their own password from their emailed set-up link."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response
from wtforms import PasswordField, RadioField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from portal.cases import partners as partner_cases
from portal.cases import staff as staff_cases
from portal.cases.operation import Actor
from portal.common import auth, links
from portal.common.access import public
from portal.common.auth import signed_in_staff, staff_only
from portal.common.forms import BaseForm, email_field, short_text
from portal.common.i18n import gettext
from portal.common.i18n import lazy_gettext as _l
from portal.data.drafts import EmailLink
from portal.data.staff import Role, StaffUser, all_staff, find_staff, find_staff_by_email
from portal.domain.passwords import PasswordProblem, password_problems
from portal.staff import bp
from portal.staff.agencies import agency_field, chosen_agency

ROLE_CHOICES = [
    SelectChoice(Role.TRIAGE.value, _l("Triage officer")),
    SelectChoice(Role.MANAGER.value, _l("Register manager")),
    SelectChoice(Role.PARTNER.value, _l("Partner agency"), render_kw={"hint": _l(
        "Reads the register; adds updates and meeting contributions, and works on the "
        "actions given to their agency")}),
    SelectChoice(Role.ADMIN.value, _l("Admin (manages staff, sees no child records)")),
]
PASSWORD_MESSAGES = {
    PasswordProblem.TOO_SHORT: _l("Password must be 12 characters or more"),
    PasswordProblem.TOO_LONG: _l("Password must be 256 characters or fewer"),
    PasswordProblem.COMMON: _l("This password is too common. Choose one that is harder "
                               "to guess, like three random words"),
    PasswordProblem.CONTAINS_EMAIL: _l("Password must not contain the email address"),
}


class StaffForm(BaseForm):
    """A new account. No password: its owner chooses one through their set-up link."""

    name = short_text(_l("Full name"), what=_l("Full name"),
                      validators=[InputRequired(_l("Enter their full name"))])
    email = email_field(_l("Work email address"),
                        required=_l("Enter their work email address"))
    role = RadioField(_l("Role"), choices=ROLE_CHOICES,
                      validators=[InputRequired(_l("Select a role"))])
    agency = agency_field(_l("Partner agency"))

    def validate_agency(self, field: Any) -> None:
        if self.role.data == Role.PARTNER.value and field.data \
                and chosen_agency(field.data) is None:
            raise ValidationError(_l("Select an agency from the list"))

    def validate_email(self, field: Any) -> None:
        if find_staff_by_email(field.data):
            raise ValidationError(_l("There is already an account with this email address"))


class RoleForm(BaseForm):
    role = RadioField(_l("Role"), choices=ROLE_CHOICES,
                      validators=[InputRequired(_l("Select a role"))])


class SetUpForm(BaseForm):
    """The new member of staff's own password, chosen on their set-up link's page."""

    password = PasswordField(_l("Create a password"),
                             validators=[InputRequired(_l("Enter a password"))])
    confirm = PasswordField(_l("Type the password again"),
                            validators=[InputRequired(_l("Type the password again"))])

    def __init__(self, email: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.owner_email = email

    def validate_password(self, field: Any) -> None:
        problems = password_problems(field.data or "", self.owner_email)
        if problems:
            raise ValidationError(PASSWORD_MESSAGES[problems[0]])

    def validate_confirm(self, field: Any) -> None:
        if (field.data or "") != (self.password.data or ""):
            raise ValidationError(_l("The passwords do not match"))


@bp.get("/admin/staff")
@staff_only(Role.ADMIN)
def admin_staff() -> str:
    return render_template("staff/admin_staff.html", staff=all_staff(),
                           role_names=staff_cases.ROLE_NAMES, no_password=auth.NO_PASSWORD)


@bp.route("/admin/staff/new", methods=["GET", "POST"])
@staff_only(Role.ADMIN)
def admin_staff_new() -> Response | str:
    form = StaffForm()
    if form.validate_on_submit():
        actor = Actor.for_staff(signed_in_staff())
        user = staff_cases.create(actor, email=form.email.data or "",
                                  name=form.name.data or "", role=Role(form.role.data))
        if user.role == Role.PARTNER and chosen_agency(form.agency.data):
            partner_cases.place_in_agency(actor, user, chosen_agency(form.agency.data))
        staff_cases.send_set_up_link(actor, user)
        flash(gettext("%(name)s has been sent a link to set up their account.",
                      name=user.name))
        return redirect(url_for("staff.admin_staff"))
    return render_template("staff/admin_staff_new.html", form=form)


def _other_account(staff_id: int) -> StaffUser:
    user = find_staff(staff_id)
    if user is None:
        abort(404)
    return user


@bp.route("/admin/staff/<int:staff_id>/role", methods=["GET", "POST"])
@staff_only(Role.ADMIN)
def admin_staff_role(staff_id: int) -> Response | str:
    """Give another account a new role (never one's own: another admin must)."""
    user = _other_account(staff_id)
    me = signed_in_staff()
    if user.id == me.id:
        abort(403)
    form = RoleForm(data={"role": user.role})
    if form.validate_on_submit():
        staff_cases.change_role(Actor.for_staff(me), user, Role(form.role.data))
        flash(gettext("%(name)s's role has been changed. Every admin has been told.",
                      name=user.name))
        return redirect(url_for("staff.admin_staff"))
    return render_template("staff/admin_staff_role.html", form=form, person=user)


@bp.post("/admin/staff/<int:staff_id>/set-up-link")
@staff_only(Role.ADMIN)
def admin_staff_set_up_link(staff_id: int) -> Response:
    """Send a new set-up link (the old one stops working), for someone who lost theirs."""
    user = _other_account(staff_id)
    staff_cases.send_set_up_link(Actor.for_staff(signed_in_staff()), user)
    flash(gettext("%(name)s has been sent a new link to set up their account.",
                  name=user.name))
    return redirect(url_for("staff.admin_staff"))


def _set_up_ttl() -> timedelta:
    return timedelta(hours=int(current_app.config["STAFF_SET_UP_LINK_HOURS"]))


def _set_up_owner(link: EmailLink) -> StaffUser | None:
    user = find_staff(int(link.subject)) if (link.subject or "").isdigit() else None
    return user if user is not None and user.active else None


@bp.route("/set-up/<token>", methods=["GET", "POST"])
@public
def set_up(token: str) -> Response | str | tuple[str, int]:
    """A new member of staff chooses their own password. The GET only shows the form (a
    mail scanner changes nothing); a right POST uses the link up."""

    def page(link: EmailLink, user: StaffUser) -> Response | str | tuple[str, int]:
        form = SetUpForm(user.email)
        if request.method == "POST" and form.validate_on_submit():
            chosen = staff_cases.choose_password(
                link, user, auth.hash_password(form.password.data or ""))
            if not chosen:
                return render_template("staff/set_up_problem.html", problem="used"), 410
            return redirect(url_for("staff.set_up_done"))  # a clean address
        return render_template("staff/set_up.html", form=form, person=user)

    return links.follow(  # type: ignore[no-any-return]
        token, staff_cases.SET_UP_LINK, ttl=_set_up_ttl(),
        problem_template="staff/set_up_problem.html", find=_set_up_owner,
        on_get=page, on_post=page, use=lambda link: True)


@bp.get("/set-up/done")
@public
def set_up_done() -> str:
    return render_template("staff/set_up_done.html")


@bp.post("/admin/staff/<int:staff_id>/<any(disable, enable, 'reset-codes'):change>")
@staff_only(Role.ADMIN)
def admin_staff_change(staff_id: int, change: str) -> Response:
    user = find_staff(staff_id)
    if user is None:
        abort(404)
    staff_cases.change(Actor.for_staff(signed_in_staff()), user, change)
    return redirect(url_for("staff.admin_staff"))
