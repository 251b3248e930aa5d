"""The monthly return to NHS England: months, each month's figures with small numbers
hidden, its CSV, and the register manager's sign-off. Also the child's sex, ethnic category
and local authority on the entry page, which the figures are broken down by."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Response, abort, current_app, redirect, render_template, url_for
from wtforms import HiddenField, SelectField
from wtforms.fields.choices import SelectChoice

from portal.cases import returns as return_cases
from portal.cases.operation import Actor
from portal.common import errors
from portal.common.auth import CASEWORK, signed_in_staff, staff_only
from portal.common.forms import BaseForm
from portal.common.i18n import gettext
from portal.common.i18n import lazy_gettext as _l
from portal.data import register as entries
from portal.data import returns as store
from portal.data.staff import Role
from portal.domain import returns as rules
from portal.domain.suppression import shown
from portal.staff import bp
from portal.staff.forms import VersionedForm, stale

READ_RETURNS = CASEWORK  # triage officers and register managers; managers sign off
MONTHS_LISTED = 24

RATING_LABELS = {"blue": _l("Blue"), "red": _l("Red"), "amber": _l("Amber"),
                 "green": _l("Green")}
AGE_LABELS = {"under_5": _l("Under 5"), "5_9": _l("5 to 9"), "10_13": _l("10 to 13"),
              "14_15": _l("14 and 15"), "16_17": _l("16 and 17"),
              "18_over": _l("18 and over")}
SEX_LABELS = {"female": _l("Female"), "male": _l("Male"),
              "indeterminate": _l("Indeterminate (cannot be classified)"),
              "not_known": _l("Not known")}
# NHS ethnic categories, by their codes.
ETHNICITY_LABELS = {
    "A": _l("White: British"), "B": _l("White: Irish"),
    "C": _l("White: any other White background"),
    "D": _l("Mixed: White and Black Caribbean"), "E": _l("Mixed: White and Black African"),
    "F": _l("Mixed: White and Asian"), "G": _l("Mixed: any other mixed background"),
    "H": _l("Asian or Asian British: Indian"), "J": _l("Asian or Asian British: Pakistani"),
    "K": _l("Asian or Asian British: Bangladeshi"),
    "L": _l("Asian or Asian British: any other Asian background"),
    "M": _l("Black or Black British: Caribbean"), "N": _l("Black or Black British: African"),
    "P": _l("Black or Black British: any other Black background"),
    "R": _l("Other ethnic groups: Chinese"), "S": _l("Other ethnic groups: any other"),
    "Z": _l("Not stated"),
}
GROUP_LABELS = {"white": _l("White"), "mixed": _l("Mixed"),
                "asian": _l("Asian or Asian British"), "black": _l("Black or Black British"),
                "other": _l("Other ethnic groups"), "not_stated": _l("Not stated")}
REASON_LABELS = {
    "turned_18_adult_register": _l("Turned 18"),
    "moved_to_adult_register": _l("Moved to the adult register"),
    "consent_withdrawn": _l("Consent withdrawn"), "risk_reduced": _l("Risk reduced"),
    "moved_area": _l("Moved to another area"), "childs_view": _l("The child's own view"),
}
CETR_LABELS = {"community": _l("Community"), "inpatient": _l("Inpatient"),
               "post_admission": _l("After an admission")}
NOT_RECORDED = _l("Not recorded")


# The entry page: sex, ethnic category and local authority ----------------------------

class ReturnDetailsForm(VersionedForm):
    sex = SelectField(_l("Sex"), default="")
    ethnicity = SelectField(_l("Ethnic category"), default="")
    # Not shown when LOCAL_AUTHORITIES is empty: then nothing is sent, and it stays "".
    local_authority = SelectField(_l("Local authority"), default="")

    def fill_choices(self, entry: entries.RegisterEntry) -> None:
        blank = SelectChoice("", gettext("Not recorded"))
        self.sex.choices = [blank, *(SelectChoice(k, v) for k, v in SEX_LABELS.items())]
        self.ethnicity.choices = [blank, *(SelectChoice(k, v)
                                           for k, v in ETHNICITY_LABELS.items())]
        areas = list(current_app.config.get("LOCAL_AUTHORITIES") or [])
        if entry.local_authority and entry.local_authority not in areas:
            areas.append(entry.local_authority)  # kept, even if no longer in the settings
        self.local_authority.choices = [blank, *(SelectChoice(a, a) for a in areas)]
        for field, what in ((self.sex, _l("Select the child's sex from the list")),
                            (self.ethnicity, _l("Select an ethnic category from the list")),
                            (self.local_authority, _l("Select a local authority from the list"))):
            field.pre_validate_message = what  # type: ignore[attr-defined]


def return_details_form(entry: entries.RegisterEntry) -> ReturnDetailsForm:
    form = ReturnDetailsForm(formdata=None, prefix="returns", data={
        "version": entry.version_id, "sex": entry.sex or "",
        "ethnicity": entry.ethnicity or "", "local_authority": entry.local_authority or ""})
    form.fill_choices(entry)
    return form


def month_name(first: date) -> str:
    """"October 2026", in the language of the page."""
    from babel.dates import format_date
    from flask_babel import get_locale

    return format_date(first, "MMMM yyyy", locale=str(get_locale() or "en"))


@bp.context_processor
def _return_details() -> dict[str, Any]:
    return {"return_details_form": return_details_form, "sex_label": SEX_LABELS.get,
            "ethnicity_label": ETHNICITY_LABELS.get, "month_name": month_name}


@bp.post("/register/<int:entry_id>/return-details")
@staff_only(*CASEWORK)
def register_return_details(entry_id: int) -> Response | str:
    from portal.staff import register as entry_page

    user = signed_in_staff()
    entry = entry_page._entry(entry_id)
    if entry.closed_at is not None:
        abort(409)
    form = ReturnDetailsForm(prefix="returns")
    form.fill_choices(entry)
    made_from = form.version.data

    def show(fresh: entries.RegisterEntry, conflict: str | None) -> str:
        forms = entry_page._blank_forms(fresh)
        form.version.data = fresh.version_id
        forms["returns"] = form
        return entry_page._render(fresh, user, forms, conflict, "returns")

    def changed_meanwhile() -> str:
        fresh = entry_page._entry(entry_id)
        form.version.data = made_from
        return show(fresh, stale(form, fresh, "register_entry"))

    errors.on_changed_meanwhile(changed_meanwhile)
    conflict = None
    if form.validate_on_submit():
        conflict = stale(form, entry, "register_entry")
        if conflict is None:
            return_cases.change_return_details(
                entry, Actor.for_staff(user), sex=form.sex.data or None,
                ethnicity=form.ethnicity.data or None,
                local_authority=form.local_authority.data or None)
            return redirect(url_for("staff.register_entry", entry_id=entry.id)
                            + "#return-details")
    else:
        for field in (form.sex, form.ethnicity, form.local_authority):
            if field.errors:  # a value not in the list: say what to do, in our words
                field.errors = [field.pre_validate_message]  # type: ignore[attr-defined]
    return show(entry, conflict)


# The return ------------------------------------------------------------------------------

@dataclass
class Table:
    id: str
    caption: str
    first: str  # the heading of the first column
    columns: list[str]
    rows: list[tuple[str, list[str]]]  # each row's label and its cells, as shown
    total_label: str | None


def _table(id_: str, caption: str, first: str, columns: list[str], grid: rules.Grid,
           labels: dict[str, Any]) -> Table:
    """One table as shown: its rows' labels, the cells (small numbers already hidden), a
    total column when there is more than one column, and a total row."""
    keys, cells = grid
    if not keys:
        return Table(id_, caption, first, columns, [], None)
    names = [str(labels.get(key, key)) for key in keys] + [gettext("Total")]
    if len(columns) == 1:  # a row's total is its one cell
        cells = [row[:1] for row in cells]
        shown_columns = columns
    else:
        shown_columns = [*columns, gettext("Total")]
    return Table(id_, caption, first, shown_columns, list(zip(names, cells, strict=True)),
                 gettext("Total"))


def tables(figures: dict[str, Any]) -> list[Table]:
    grids = rules.shown_tables(figures)
    ratings = [str(RATING_LABELS[r]) for r in rules.RATINGS]
    children = [gettext("Children")]
    not_recorded = {"not_recorded": NOT_RECORDED}
    reasons = {key: REASON_LABELS.get(key, gettext("Other reason"))
               for key in figures["removed"]}
    return [
        _table("on-register", gettext("On the register at the end of the month, by rating"),
               gettext("Rating"), children, grids["on_register"], RATING_LABELS),
        _table("added", gettext("Added in the month, by their first rating"),
               gettext("Rating"), children, grids["added"], RATING_LABELS),
        _table("removed", gettext("Taken off in the month, by why"), gettext("Why"),
               children, grids["removed"], reasons),
        _table("cetrs", gettext("C(E)TRs held in the month"), gettext("Kind"),
               [gettext("On time"), gettext("Late")], grids["cetrs"], CETR_LABELS),
        _table("keyworkers", gettext("Keyworkers at the end of the month (Blue, Red and "
                                     "Amber)"), gettext("Rating"),
               [gettext("With a keyworker"), gettext("Without one")], grids["keyworkers"],
               RATING_LABELS),
        _table("by-age", gettext("By age at the end of the month"), gettext("Age"), ratings,
               grids["by_age"], AGE_LABELS),
        _table("by-sex", gettext("By sex"), gettext("Sex"), ratings, grids["by_sex"],
               {**SEX_LABELS, **not_recorded}),
        _table("by-ethnicity", gettext("By ethnic group"), gettext("Ethnic group"), ratings,
               grids["by_ethnicity"], {**GROUP_LABELS, **not_recorded}),
        _table("by-area", gettext("By local authority"), gettext("Local authority"),
               ratings, grids["by_local_authority"], not_recorded),
    ]


def _months() -> list[str]:
    """Every month that has ended since the register began, newest first; always last
    month (a register that began this month still sends a return for it, of noughts)."""
    last = rules.previous_month(date.today())
    first = min(store.first_month() or last, last)
    return list(reversed(rules.months_from(first, last)))[:MONTHS_LISTED]


def _month(month: str) -> str:
    """A month that has ended (and is listed); anything else is not found."""
    if rules.parse_month(month) is None or month not in _months():
        abort(404)
    return month


@bp.get("/returns")
@staff_only(*READ_RETURNS)
def returns_list() -> str:
    kept, signed = store.snapshots(), store.sign_offs()
    months = _months()
    now = return_cases.figures_for_months([m for m in months if m in signed])
    rows = []
    for month in months:
        sign_off = signed.get(month)
        moved = (sign_off is not None
                 and rules.fingerprint(now[month]) != sign_off.figures_hash)
        rows.append({"month": month, "first": rules.first_day(month),
                     "kept": kept.get(month), "sign_off": sign_off, "moved": moved})
    return render_template("staff/returns.html", rows=rows)


@bp.get("/returns/<month>")
@staff_only(*READ_RETURNS)
def return_month(month: str) -> str:
    return _show(_month(month))


def _show(month: str, problem: str | None = None) -> str:
    figures = return_cases.figures_for(month)
    now = rules.fingerprint(figures)
    kept, sign_off = store.snapshot_for(month), store.sign_off_for(month)
    return render_template(
        "staff/return_month.html", month=month, first=rules.first_day(month),
        tables=tables(figures), admissions=shown(figures["admissions"]),
        figures_hash=now, kept=kept, kept_same=kept is not None and kept.figures_hash == now,
        sign_off=sign_off, moved=sign_off is not None and sign_off.figures_hash != now,
        signed_tables=(tables(json.loads(sign_off.figures))
                       if sign_off is not None and sign_off.figures_hash != now else None),
        can_sign=signed_in_staff().role == Role.MANAGER, problem=problem,
        form=SignOffForm(formdata=None, data={"figures_hash": now}))


class SignOffForm(BaseForm):
    figures_hash = HiddenField()


@bp.post("/returns/<month>/sign-off")
@staff_only(Role.MANAGER)
def return_sign_off(month: str) -> Response | str:
    month = _month(month)
    form = SignOffForm()
    if not form.validate_on_submit() or not form.figures_hash.data:
        abort(400)
    try:
        return_cases.sign_off(month, Actor.for_staff(signed_in_staff()),
                              str(form.figures_hash.data))
    except return_cases.FiguresMoved:
        return _show(month, gettext("The figures changed while you were looking at them. "
                                    "Check them again below, then sign off."))
    return redirect(url_for("staff.return_month", month=month) + "#signed-off")


@bp.get("/returns/<month>/figures.csv")
@staff_only(*READ_RETURNS)
def return_csv(month: str) -> Response:
    month = _month(month)
    figures = return_cases.figures_for(month)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([gettext("Month"), gettext("Table"), gettext("Row"), gettext("Column"),
                     gettext("Count")])
    writer.writerow([month, gettext("Admissions in the month (moves to Blue)"), "", "",
                     shown(figures["admissions"])])
    for table in tables(figures):
        for label, cells in table.rows:
            for column, cell in zip(table.columns, cells, strict=True):
                writer.writerow([month, table.caption, _cell(label), _cell(column), cell])
    return_cases.downloaded(month, Actor.for_staff(signed_in_staff()))
    return Response(buffer.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="dsr-return-{month}.csv"'})


def _cell(value: str) -> str:
    """Text that a spreadsheet would take for a formula starts with a quote."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value
