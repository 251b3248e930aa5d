"""Staff accounts, managed by admins (who see no child records)."""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, render_template, url_for
from werkzeug.wrappers import Response
from wtforms import PasswordField, RadioField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from portal.cases import staff as staff_cases
from portal.cases.operation import Actor
from portal.common import auth
from portal.common.auth import signed_in_staff, staff_only
from portal.common.forms import BaseForm, email_field, short_text
from portal.common.i18n import lazy_gettext as _l
from portal.data.staff import Role, all_staff, find_staff, find_staff_by_email
from portal.domain.passwords import PasswordProblem, password_problems
from portal.staff import bp

ROLE_CHOICES = [
    SelectChoice(Role.TRIAGE.value, _l("Triage officer")),
    SelectChoice(Role.MANAGER.value, _l("Register manager")),
    SelectChoice(Role.PARTNER.value, _l("Partner viewer (read only)")),
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
    name = short_text(_l("Full name"), what=_l("Full name"),
                      validators=[InputRequired(_l("Enter their full name"))])
    email = email_field(_l("Work email address"),
                        required=_l("Enter their work email address"))
    role = RadioField(_l("Role"), choices=ROLE_CHOICES,
                      validators=[InputRequired(_l("Select a role"))])
    password = PasswordField(_l("First password"),
                             validators=[InputRequired(_l("Enter a first password"))])

    def validate_email(self, field: Any) -> None:
        if find_staff_by_email(field.data):
            raise ValidationError(_l("There is already an account with this email address"))

    def validate_password(self, field: Any) -> None:
        problems = password_problems(field.data or "", self.email.data or "")
        if problems:
            raise ValidationError(PASSWORD_MESSAGES[problems[0]])


@bp.get("/admin/staff")
@staff_only(Role.ADMIN)
def admin_staff() -> str:
    return render_template("staff/admin_staff.html", staff=all_staff())


@bp.route("/admin/staff/new", methods=["GET", "POST"])
@staff_only(Role.ADMIN)
def admin_staff_new() -> Response | str:
    form = StaffForm()
    if form.validate_on_submit():
        staff_cases.create(Actor.for_staff(signed_in_staff()), email=form.email.data or "",
                           name=form.name.data or "", role=Role(form.role.data),
                           password_hash=auth.hash_password(form.password.data or ""))
        return redirect(url_for("staff.admin_staff"))
    return render_template("staff/admin_staff_new.html", form=form)


@bp.post("/admin/staff/<int:staff_id>/<any(disable, enable, 'reset-codes'):change>")
@staff_only(Role.ADMIN)
def admin_staff_change(staff_id: int, change: str) -> Response:
    user = find_staff(staff_id)
    if user is None:
        abort(404)
    staff_cases.change(Actor.for_staff(signed_in_staff()), user, change)
    return redirect(url_for("staff.admin_staff"))
