"""Keeping the register live: what needs attention, the monthly meeting, figures, export."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

from flask import Response, abort, redirect, render_template, request, url_for
from markupsafe import Markup
from wtforms import BooleanField, RadioField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from portal.cases import register as register_cases
from portal.cases.operation import Actor
from portal.common.auth import CASEWORK, signed_in_staff, staff_only
from portal.common.forms import long_text
from portal.common.i18n import gettext
from portal.common.i18n import lazy_gettext as _l
from portal.common.urls import DATABASE_INT_MAX
from portal.data import register as entries
from portal.data import stats
from portal.data.base import utcnow
from portal.data.staff import Role
from portal.domain.consent import add_months
from portal.domain.ratings import Rating
from portal.staff import bp, charts, partners
from portal.staff.forms import RATING_CHOICES, VersionedForm, page_number

LIST_LIMIT = 50
MEETING_PAGE = 25
USUAL = "usual"
NEXT_REVIEW = [SelectChoice(USUAL, _l("The usual time for the rating chosen")),
               SelectChoice("14", _l("In 2 weeks")), SelectChoice("28", _l("In 4 weeks")),
               SelectChoice("56", _l("In 8 weeks")), SelectChoice("91", _l("In 3 months"))]


@bp.get("/attention")
@staff_only(*CASEWORK)
def attention() -> str:
    today = date.today()
    # 18 within 6 months: born between 18 years and 17 years 6 months ago.
    first = add_months(today, -18 * 12)
    last = add_months(today, -(17 * 12 + 6))
    year_ago = datetime.combine(today - timedelta(days=365), datetime.min.time()).replace(
        tzinfo=utcnow().tzinfo)
    lists = [
        ("overdue", _l("Reviews overdue"), entries.overdue_reviews(today, LIST_LIMIT)),
        ("keyworker", _l("Red, Amber or Blue without a keyworker"),
         entries.without_keyworker(LIST_LIMIT)),
        ("eighteen", _l("Turning 18 within 6 months"),
         entries.turning_18_between(first, last, LIST_LIMIT)),
        ("consent", _l("Yearly consent check due"),
         entries.consent_check_due(year_ago, LIST_LIMIT)),
    ]
    return render_template("staff/attention.html", lists=lists, today=today)


class OutcomeForm(VersionedForm):
    rating = RadioField(_l("Rating"), choices=RATING_CHOICES,
                        validators=[InputRequired(_l("Select a rating"))])
    next_review = SelectField(_l("Next review"), choices=NEXT_REVIEW,
                              validators=[InputRequired(_l("Select when to review next"))])
    outcome = long_text(_l("Outcome"), what=_l("The outcome"),
                        validators=[InputRequired(_l("Enter the outcome"))])
    below_red = BooleanField(_l("I know they left hospital less than two weeks ago, and "
                                "the meeting agreed a lower rating"))


def _day(name: str, default: date) -> date:
    """A date from the address, or `default` when it is not one, or is at the edge of
    the calendar (the next review is counted from it, so it must leave room for that)."""
    try:
        day = date.fromisoformat(request.args.get(name, "")[:10])
    except ValueError:
        return default
    return day if _EARLIEST <= day <= _LATEST else default


_EARLIEST, _LATEST = date(1900, 1, 1), date(9000, 12, 31)


@bp.route("/meeting", methods=["GET", "POST"])
@staff_only(*CASEWORK)
def meeting() -> Response | str:
    """A register meeting: reviews due by a date, in rating order, an outcome each. The
    meeting's own date is what outcomes and next reviews are counted from."""
    user = signed_in_staff()
    on = _day("meeting", date.today())
    due = _day("due", on)
    forms: dict[int, OutcomeForm] = {}
    conflict = None
    below_red: dict[int, date] = {}
    page = page_number()
    where = {"meeting": on.isoformat(), "due": due.isoformat(), "page": page}
    if request.method == "POST":
        entry = entries.find_entry(_entry_id(request.form.get("entry", "")))
        if entry is not None and entry.closed_at is None:
            form = OutcomeForm(prefix=f"e{entry.id}")
            if form.validate_on_submit():
                if str(form.version.data) != str(entry.version_id):
                    conflict = gettext("Someone changed %(name)s's entry during the meeting. "
                                       "Check it and save the outcome again.",
                                       name=entry.child_name)
                    form.version.data = entry.version_id
                else:
                    try:
                        register_cases.meeting_outcome(
                            entry, Actor.for_staff(user), meeting_on=on,
                            rating=Rating(form.rating.data),
                            review_in_days=(None if form.next_review.data == USUAL
                                            else int(form.next_review.data or 0)),
                            outcome=form.outcome.data or "",
                            confirmed=bool(form.below_red.data))
                    except register_cases.BelowRedAfterDischarge as floor:
                        below_red[entry.id] = floor.until
                    else:
                        return redirect(url_for("staff.meeting", **where)
                                        + f"#entry-{entry.id}")
            forms[entry.id] = form
    rows, total = entries.due_for_meeting(due, (page - 1) * MEETING_PAGE, MEETING_PAGE)
    for entry in rows:
        forms.setdefault(entry.id, OutcomeForm(prefix=f"e{entry.id}", formdata=None, data={
            "version": entry.version_id, "rating": entry.rating, "next_review": USUAL}))
    return render_template("staff/meeting.html", rows=rows, forms=forms, total=total,
                           page=page, pages=max(1, -(-total // MEETING_PAGE)), on=on, due=due,
                           today=date.today(), conflict=conflict, below_red=below_red,
                           where=where,
                           partner_meetings=partners.meeting_sections(
                               [entry.id for entry in rows], on))


def _entry_id(raw: str) -> int:
    """The entry a meeting outcome is for: a form that does not name one is refused."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10 or int(raw) > DATABASE_INT_MAX:
        abort(400)
    return int(raw)


@bp.get("/dashboard")
@staff_only(*CASEWORK)
def dashboard() -> str:
    today = date.today()
    months = stats.monthly(stats.month_of(today), 12)
    live = months[-1][1] if months else {}
    rab = live.get("rab", 0)
    coverage = (round(100 * live.get("rab_keyworker", 0) / rab) if rab else None)
    series = [(month, [figures.get(f"live:{r}", 0) for r in stats.RATINGS])
              for month, figures in months]
    triage_days = [(month, (round(f["decided_days"] / f["decided"], 1) if f["decided"]
                            else None)) for month, f in months]
    chart = Markup(charts.stacked_bars(series, stats.RATINGS))  # noqa: S704 - our own SVG  # nosec B704
    return render_template("staff/dashboard.html", live=live, coverage=coverage,
                           series=series, triage_days=triage_days, chart=chart,
                           ratings=stats.RATINGS)


def _cell(value: object) -> str:
    """A spreadsheet must never run a cell as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    if text and text[0] in "=+-@\t\r|":
        return "'" + text
    return text


@bp.get("/register/export.csv")
@staff_only(Role.MANAGER)
def register_export() -> Response:
    user = signed_in_staff()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["Entry", "Child", "Date of birth", "NHS number", "Rating", "Keyworker",
                     "Added", "Next review", "Last C(E)TR", "Next C(E)TR"])
    offset, count = 0, 0
    while True:  # page through, so memory stays flat however long the register is
        rows = entries.active_entries_page(offset, 1000)
        if not rows:
            break
        for e in rows:
            writer.writerow([_cell(v) for v in (
                e.id, e.child_name, e.child_date_of_birth, e.nhs_number, e.rating,
                e.keyworker, e.added_on, e.next_review_on, e.cetr_last_on, e.cetr_next_on)])
        count += len(rows)
        offset += len(rows)
    register_cases.exported(Actor.for_staff(user), count)
    name = f"register-{date.today().isoformat()}.csv"
    return Response(buffer.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}"'})
