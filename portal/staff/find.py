"""Finding a child from the box on every staff page, and who is on duty for urgent alerts.

Triage officers and register managers find requests and register entries; partner
agencies find register entries only (never a request); administrators have no search.
Every search is audited (portal.cases.finding says what is kept, and why)."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from portal.cases import alerts, finding
from portal.cases.operation import Actor
from portal.common.auth import CASEWORK, READ_REGISTER, signed_in_staff, staff_only
from portal.common.forms import BaseForm
from portal.common.i18n import lazy_gettext as _l
from portal.data import search as store
from portal.data.staff import Role
from portal.domain.names import parse_query
from portal.staff import bp

QUERY_LIMIT = 200  # characters read from the box


@bp.get("/find")
@staff_only(*READ_REGISTER)
def find() -> str:
    user = signed_in_staff()
    typed = request.args.get("q", "")[:QUERY_LIMIT]
    if not typed.isprintable():  # a control character is never part of a name or number
        typed = ""
    query = parse_query(typed)
    entries_only = user.role == Role.PARTNER
    results = store.search(query, entries_only=entries_only)
    if query.kind != "empty":
        finding.searched(Actor.for_staff(user), query, results)
    on_register = [f for f in results.found if f.on_register]
    requests_only = [f for f in results.found if not f.on_register]
    return render_template("staff/find.html", typed=" ".join(typed.split()), query=query,
                           results=results, on_register=on_register,
                           requests_only=requests_only, entries_only=entries_only)


class OnDutyForm(BaseForm):
    on_duty = RadioField(
        _l("Are you on duty?"),
        choices=[SelectChoice("yes", _l("Yes, email me about urgent requests and reported "
                                        "admissions")),
                 SelectChoice("no", _l("No"))],
        validators=[InputRequired(_l("Select whether you are on duty"))])


def _on_duty_page(form: OnDutyForm) -> str:
    user = signed_in_staff()
    return render_template("staff/on_duty.html", form=form, me=user,
                           on_duty=alerts.on_duty() if user.role == Role.MANAGER else None)


@bp.get("/on-duty")
@staff_only(*CASEWORK)
def on_duty() -> str:
    user = signed_in_staff()
    form = OnDutyForm(formdata=None, data={"on_duty": "yes" if user.on_duty else "no"})
    return _on_duty_page(form)


@bp.post("/on-duty")
@staff_only(*CASEWORK)
def on_duty_save() -> Response | str:
    form = OnDutyForm()
    if not form.validate_on_submit():
        return _on_duty_page(form)
    alerts.set_on_duty(Actor.for_staff(signed_in_staff()), form.on_duty.data == "yes")
    return redirect(url_for("staff.on_duty", saved=1))
