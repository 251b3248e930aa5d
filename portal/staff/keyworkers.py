"""Named keyworkers: choosing a member of staff as keyworker (on accept and on the entry's
details), and "My children": the entries I key-work, with what is new on each."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import render_template
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from portal.common.auth import signed_in_staff, staff_only
from portal.common.i18n import gettext
from portal.common.i18n import lazy_gettext as _l
from portal.data import keyworkers as store
from portal.data.staff import Role
from portal.staff import bp

# Everyone who works with children's records; administrators see none.
NOT_ADMIN = (Role.TRIAGE, Role.MANAGER, Role.PARTNER)


def keyworker_choices() -> list[SelectChoice]:
    return [SelectChoice("", gettext("Someone without an account: type their name")),
            *(SelectChoice(str(user.id), user.name)
              for user in store.possible_keyworkers())]


def keyworker_account_field() -> SelectField:
    """A keyworker with a staff account (non-admin, active), or nobody from the list."""
    return SelectField(_l("Keyworker with a staff account"), choices=keyworker_choices,
                       default="")


def chosen_keyworker_id(raw: Any) -> int | None:
    text = str(raw or "")
    return int(text) if text.isdigit() else None


def keyworker_form_data(entry: Any) -> dict[str, Any]:
    """The entry's keyworker account, to fill the details form."""
    return {"keyworker_staff": str(entry.keyworker_staff_id or "")}


@bp.get("/my-children")
@staff_only(*NOT_ADMIN)
def my_children() -> str:
    user = signed_in_staff()
    rows = store.entries_of(user.id)
    new = store.whats_new(rows, user.id)
    return render_template("staff/my_children.html", rows=rows, new=new,
                           references=store.references(rows), today=date.today())
