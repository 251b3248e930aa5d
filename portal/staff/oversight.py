"""Keeping the register live: what needs attention, the monthly meeting, figures, export."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

from flask import Response, current_app, redirect, render_template, request, url_for
from flask_babel import force_locale
from markupsafe import Markup
from wtforms import RadioField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from portal.common.auth import CASEWORK, current_staff, staff_only
from portal.common.forms import long_text
from portal.common.i18n import gettext
from portal.common.i18n import lazy_gettext as _l
from portal.data import audit, outbox, stats
from portal.data import register as entries
from portal.data.base import utcnow
from portal.data.requests import find_request
from portal.data.staff import Role, StaffUser
from portal.domain.consent import add_months
from portal.domain.ratings import Rating
from portal.domain.working_days import add_working_days
from portal.staff import bp, charts, decisions
from portal.staff.casework import RATING_CHOICES, VersionedForm
from portal.staff.register import page_number

LIST_LIMIT = 50
MEETING_PAGE = 25
NEXT_REVIEW = [SelectChoice("14", _l("In 2 weeks")), SelectChoice("28", _l("In 4 weeks")),
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


def _meeting_date() -> date:
    raw = request.args.get("date", "")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return date.today()


@bp.route("/meeting", methods=["GET", "POST"])
@staff_only(*CASEWORK)
def meeting() -> Response | str:
    """The monthly meeting: due and overdue reviews in rating order, an outcome each."""
    user = current_staff()
    assert user is not None
    on = _meeting_date()
    forms: dict[int, OutcomeForm] = {}
    conflict = None
    if request.method == "POST":
        entry = entries.find_entry(int(request.form.get("entry", "0") or 0))
        if entry is not None and entry.closed_at is None:
            form = OutcomeForm(prefix=f"e{entry.id}")
            if form.validate_on_submit():
                if str(form.version.data) != str(entry.version_id):
                    conflict = gettext("Someone changed %(name)s's entry during the meeting. "
                                       "Check it and save the outcome again.",
                                       name=entry.child_name)
                    form.version.data = entry.version_id
                else:
                    _record_outcome(entry, user, form, on)
                    return redirect(url_for("staff.meeting", date=on.isoformat(),
                                            page=page_number()) + f"#entry-{entry.id}")
            forms[entry.id] = form
    page = page_number()
    rows, total = entries.due_for_meeting(on, (page - 1) * MEETING_PAGE, MEETING_PAGE)
    for entry in rows:
        forms.setdefault(entry.id, OutcomeForm(prefix=f"e{entry.id}", formdata=None, data={
            "version": entry.version_id, "rating": entry.rating,
            "next_review": str(current_app.config["REVIEW_DAYS"][entry.rating])}))
    return render_template("staff/meeting.html", rows=rows, forms=forms, total=total,
                           page=page, pages=max(1, -(-total // MEETING_PAGE)), on=on,
                           today=date.today(), conflict=conflict)


def _record_outcome(entry: entries.RegisterEntry, user: StaffUser, form: OutcomeForm,
                    on: date) -> None:
    rating = Rating(form.rating.data)
    changed = rating.value != entry.rating
    if changed:
        decisions.change_rating(entry, user, rating,
                                gettext("Meeting on %(day)s", day=on.isoformat()))
    entry.next_review_on = on + timedelta(days=int(form.next_review.data))
    entries.add_note(entry, form.outcome.data or "", user.name)
    audit.record(actor_type="staff", actor_id=str(user.id),
                 action="register.meeting_outcome", subject_type="register_entry",
                 subject_id=str(entry.id), detail={"meeting": on.isoformat(),
                                                   "rating_changed": changed})
    _tell_family_after_meeting(entry, on)


def _tell_family_after_meeting(entry: entries.RegisterEntry, on: date) -> None:
    """Families hear within 2 working days: the message is queued now, once per meeting."""
    req = find_request(entry.request_id)
    if req is None or not req.contact_email:
        return
    with force_locale(req.locale):
        body = render_template("email/meeting_outcome.txt", req=req,
                               by=add_working_days(on, 2, current_app.config["BANK_HOLIDAYS"]))
        subject = gettext("Your register review: %(reference)s", reference=req.reference)
    outbox.queue_message(kind="meeting_outcome", to_address=req.contact_email,
                         subject=subject, body=body, locale=req.locale,
                         dedupe_key=f"meeting:{entry.id}:{on.isoformat()}")


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
    chart = Markup(charts.stacked_bars(series, stats.RATINGS))  # noqa: S704 - our own SVG
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
    user = current_staff()
    assert user is not None
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["Entry", "Child", "Date of birth", "NHS number", "Rating", "Keyworker",
                     "Added", "Next review", "Last C(E)TR", "Next C(E)TR"])
    offset, count = 0, 0
    while True:  # page through, so memory stays flat however long the register is
        rows, _ = entries.active_entries_page(offset, 1000)
        if not rows:
            break
        for e in rows:
            writer.writerow([_cell(v) for v in (
                e.id, e.child_name, e.child_date_of_birth, e.nhs_number, e.rating,
                e.keyworker, e.added_on, e.next_review_on, e.cetr_last_on, e.cetr_next_on)])
        count += len(rows)
        offset += len(rows)
    audit.record(actor_type="staff", actor_id=str(user.id), action="register.exported",
                 subject_type="register", subject_id="all", detail={"rows": count})
    name = f"register-{date.today().isoformat()}.csv"
    return Response(buffer.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}"'})
