"""The monthly return to NHS England: figures worked out from the register's history, kept
at each month's end by the daily job, the same when worked out again after later changes;
the pages, the CSV (small numbers hidden, no names), the sign-off, and who may use them."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from portal.data.audit import AuditEvent
from portal.data.register import RatingChange, RegisterEntry
from portal.data.returns import KeyworkerChange, ReturnSignOff, ReturnSnapshot
from portal.domain import returns as rules
from tests.integration.staff_support import make_staff, sign_in, version_on
from tests.integration.test_staff_casework import ready_request
from tests.support import by_hand, error_summary

UK = ZoneInfo("Europe/London")
MONTHS = ["2025-03", "2025-04", "2025-05", "2025-06", "2025-07", "2025-08"]


def _db(app):
    return app.extensions["sqlalchemy"]


def delta(after: Any, before: Any) -> Any:
    """What changed between two sets of figures (numbers subtracted, keys kept)."""
    if isinstance(after, dict):
        return {k: delta(after[k], before.get(k, 0) if isinstance(before, dict) else 0)
                for k in after}
    return after - before if isinstance(after, int) else after


def nonzero(found: Any) -> Any:
    if isinstance(found, dict):
        kept = {k: nonzero(v) for k, v in found.items()}
        return {k: v for k, v in kept.items() if v not in (0, {}, None)}
    return found


class Clock:
    """Moves what the operations just did into the past: every row added or closed since
    the last move gets the local time given (a second apart, in the order they were made).
    Operations stamp rows with the real time; the history is what is being tested."""

    def __init__(self, app) -> None:
        self.app = app
        self.marks = self._marks()
        self.since = datetime.now(UTC) - timedelta(seconds=1)

    def _marks(self) -> dict[Any, int]:
        session = _db(self.app).session
        return {model: session.scalar(sa.select(sa.func.coalesce(sa.func.max(model.id), 0)))
                for model in (RegisterEntry, RatingChange, KeyworkerChange)}

    def move_to(self, local: datetime) -> None:
        session = _db(self.app).session
        at = local.replace(tzinfo=UK).astimezone(UTC)
        with by_hand():
            session.execute(sa.update(RegisterEntry).where(
                RegisterEntry.id > self.marks[RegisterEntry]).values(added_on=local.date()))
            session.execute(sa.update(RegisterEntry).where(
                RegisterEntry.closed_at >= self.since).values(closed_at=at))
            for model in (RatingChange, KeyworkerChange):
                ids = session.scalars(sa.select(model.id).where(
                    model.id > self.marks[model]).order_by(model.id)).all()
                for n, row_id in enumerate(ids):
                    session.execute(sa.update(model).where(model.id == row_id).values(
                        changed_at=at + timedelta(seconds=n)))
            session.commit()
        session.expire_all()
        self.marks = self._marks()
        self.since = datetime.now(UTC) - timedelta(seconds=1)


def local(day: str, hour: int = 12, minute: int = 0) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(hour, minute))


def keep_at_month_end(app, month: str) -> None:
    """The daily job on the 1st of the next month."""
    from portal.jobs import daily

    first = rules.last_day(month) + timedelta(days=1)
    outcome = daily.run_job("monthly_return", f"test {first.isoformat()}", worker="test",
                            today=first)
    assert outcome.outcome == "done" and outcome.result is True, outcome


def test_figures_kept_at_each_months_end_are_those_worked_out_after_later_changes(app):
    """Six months of history made by the operations themselves (children added, ratings
    changed, admissions, keyworkers set and taken away, entries closed, C(E)TRs), the
    figures kept by the daily job at each month's end, then more changes: each month
    worked out again is exactly what was kept."""
    from portal.cases import cetr, decisions, register
    from portal.cases import returns as return_cases
    from portal.cases.operation import Actor
    from portal.data.requests import SupportRequest
    from portal.domain.ratings import Rating

    requests = [ready_request(app) for _ in range(6)]
    manager = make_staff(app, "register_manager", name="Morgan Manager")
    actor = Actor.for_staff(manager)
    far = date(2099, 1, 1)
    with app.app_context():
        session = _db(app).session
        before = {m: return_cases.figures_for(m) for m in MONTHS}
        clock = Clock(app)

        def accept(n: int, rating: Rating, keyworker: str | None) -> int:
            req = session.get(SupportRequest, requests[n].id)
            entry = decisions.accept(req, actor, rating=rating, keyworker=keyworker,
                                     first_review=far, reason="Agreed at triage.")
            session.commit()
            return entry.id

        def entry(entry_id: int) -> RegisterEntry:
            return session.get(RegisterEntry, entry_id)

        def rate(entry_id: int, rating: Rating) -> None:
            register.change_rating(entry(entry_id), actor, rating, "Team agreed.",
                                   confirmed=True)
            session.commit()

        def keyworker(entry_id: int, name: str | None) -> None:
            e = entry(entry_id)
            register.change_details(e, actor, keyworker=name, keyworker_contact=None,
                                    next_review_on=far, cetr_last_on=e.cetr_last_on,
                                    cetr_next_on=e.cetr_next_on)
            session.commit()

        def close(entry_id: int, reason: str) -> None:
            register.close(entry(entry_id), actor, reason, tell=False)
            session.commit()

        def held(entry_id: int, kind: str, due: str, on: str) -> None:
            review = cetr.request_review(entry(entry_id), actor, kind=kind, reason="Due.",
                                         due_by=date.fromisoformat(due))
            cetr.record_outcome(review, entry(entry_id), actor,
                                held_on=date.fromisoformat(on), outcome="A plan.",
                                panel_notes=None, recommendations=[])
            session.commit()

        # March: three children added (Amber with a keyworker, Red without, Green).
        a = accept(0, Rating.AMBER, "Kim Keyworker")
        b = accept(1, Rating.RED, None)
        c = accept(2, Rating.GREEN, None)
        clock.move_to(local("2025-03-10"))
        keep_at_month_end(app, "2025-03")
        # April: A to Red; B gets a keyworker; D added already in hospital, with a
        # keyworker; D's inpatient C(E)TR held on time.
        rate(a, Rating.RED)
        keyworker(b, "Lee Keyworker")
        d = accept(3, Rating.BLUE, "Ash Keyworker")
        held(d, "inpatient", "2025-04-25", "2025-04-20")
        clock.move_to(local("2025-04-12"))
        keep_at_month_end(app, "2025-04")
        # May: C leaves (risk reduced); A loses their keyworker; A admitted late on the
        # last evening of May (UK time, which is still May 31 in UTC too).
        close(c, "risk_reduced")
        keyworker(a, None)
        clock.move_to(local("2025-05-15"))
        rate(a, Rating.BLUE)
        clock.move_to(local("2025-05-31", 23, 30))
        keep_at_month_end(app, "2025-05")
        # June: A back to Red half an hour into June (UK time: still May 31 in UTC); A's
        # post-admission C(E)TR held late; E added, Amber.
        rate(a, Rating.RED)
        clock.move_to(local("2025-06-01", 0, 30))
        held(a, "post_admission", "2025-06-01", "2025-06-10")
        e = accept(4, Rating.AMBER, None)
        clock.move_to(local("2025-06-10"))
        keep_at_month_end(app, "2025-06")
        # July: B admitted; D moves away; E gets a keyworker.
        rate(b, Rating.BLUE)
        close(d, "moved_area")
        keyworker(e, "Sam Keyworker")
        clock.move_to(local("2025-07-20"))
        keep_at_month_end(app, "2025-07")
        # August: B home (Amber, agreed); F added (Red); E to Green.
        rate(b, Rating.AMBER)
        f = accept(5, Rating.RED, "Jo Keyworker")
        rate(e, Rating.GREEN)
        clock.move_to(local("2025-08-05"))
        keep_at_month_end(app, "2025-08")

        kept = {m: json.loads(session.scalars(sa.select(ReturnSnapshot.figures).where(
            ReturnSnapshot.month == m)).one()) for m in MONTHS}
        change = {m: nonzero(delta(kept[m], before[m])) for m in MONTHS}

        # What each month should show, on top of whatever else the register holds.
        assert change["2025-03"]["on_register"] == {"amber": 1, "red": 1, "green": 1}
        assert change["2025-03"]["added"] == {"amber": 1, "red": 1, "green": 1}
        assert change["2025-03"]["keyworkers"] == {"amber": {"with": 1},
                                                   "red": {"without": 1}}
        assert change["2025-04"]["on_register"] == {"blue": 1, "red": 2, "green": 1}
        assert change["2025-04"]["keyworkers"] == {"blue": {"with": 1},
                                                   "red": {"with": 2}}
        assert change["2025-04"]["cetrs"] == {"inpatient": {"held": 1, "on_time": 1}}
        assert change["2025-04"].get("admissions") is None  # added at Blue: not admitted
        assert change["2025-05"]["admissions"] == 1
        assert change["2025-05"]["removed"] == {"risk_reduced": 1}
        assert change["2025-05"]["keyworkers"] == {"blue": {"with": 1, "without": 1},
                                                   "red": {"with": 1}}
        assert change["2025-06"]["on_register"] == {"blue": 1, "red": 2, "amber": 1}
        assert change["2025-06"]["cetrs"] == {"post_admission": {"held": 1}}
        assert change["2025-07"]["admissions"] == 1
        assert change["2025-07"]["removed"] == {"moved_area": 1}
        assert change["2025-07"]["keyworkers"] == {"blue": {"with": 1},
                                                   "red": {"without": 1},
                                                   "amber": {"with": 1}}
        assert change["2025-08"]["on_register"] == {"amber": 1, "red": 2, "green": 1}
        assert change["2025-08"]["by_age"] == {"10_13": {"amber": 1, "red": 2, "green": 1}}

        # Later: everything moves on, today.
        rate(a, Rating.GREEN)
        keyworker(f, None)
        keyworker(b, "Someone New")
        close(e, "consent_withdrawn")
        held(f, "community", date.today().isoformat(), date.today().isoformat())
        rate(b, Rating.BLUE)

        together = return_cases.figures_for_months(MONTHS)  # one read of the history
        for month in MONTHS:
            again = return_cases.figures_for(month)
            assert again == kept[month] == together[month], month
            stored = session.scalars(sa.select(ReturnSnapshot).where(
                ReturnSnapshot.month == month)).one()
            assert rules.fingerprint(again) == stored.figures_hash
        # Kept once: the job run again for the same month keeps nothing more.
        assert return_cases.keep_last_month(date(2025, 9, 1)) == ("2025-08", False)
        session.commit()


def test_the_monthly_return_from_the_entry_page_to_sign_off(app, client, monkeypatch):
    """A register manager adds a child with a keyworker, records their sex, ethnic
    category and local authority, then opens last month's return, downloads it and signs
    it off; a later change to the month's history shows as changed since sign-off."""
    monkeypatch.setitem(app.config, "LOCAL_AUTHORITIES", ["North Council", "South Council"])
    req = ready_request(app)
    manager = make_staff(app, "register_manager", name="Morgan Manager")
    sign_in(client, manager)
    page = client.get(f"/staff/requests/{req.id}/accept").get_data(as_text=True)
    moved = client.submit(f"/staff/requests/{req.id}/accept", {
        "version": version_on(page), "rating": "red", "reason": "Crisis close.",
        "keyworker": "Kim Keyworker", "first_review-day": "1", "first_review-month": "1",
        "first_review-year": "2099"})
    assert moved.status_code == 302, error_summary(moved.get_data(as_text=True))
    entry_url = moved.headers["Location"]
    entry_id = int(entry_url.rsplit("/", 1)[1])
    with app.app_context():
        history = list(_db(app).session.scalars(sa.select(KeyworkerChange).where(
            KeyworkerChange.entry_id == entry_id)))
        assert [(h.keyworker, h.changed_by) for h in history] == [("Kim Keyworker",
                                                                   "Morgan Manager")]

    # The details the return counts by, on the entry page.
    page = client.get(entry_url).get_data(as_text=True)
    assert "For the monthly return" in page and "North Council" in page
    saved = client.post(f"/staff/register/{entry_id}/return-details", data={
        "csrf_token": _token(page), "returns-version": version_on(page, "returns-version"),
        "returns-sex": "female", "returns-ethnicity": "N",
        "returns-local_authority": "South Council"})
    assert saved.status_code == 302
    page = client.get(entry_url).get_data(as_text=True)
    assert "Black or Black British: African" in page and "South Council" in page
    history = client.get(f"/staff/requests/{req.id}").get_data(as_text=True)
    assert "Sex, ethnic category or local authority changed" in history
    with app.app_context():
        e = _db(app).session.get(RegisterEntry, entry_id)
        assert (e.sex, e.ethnicity, e.local_authority) == ("female", "N", "South Council")
        assert _db(app).session.scalars(sa.select(AuditEvent).where(
            AuditEvent.action == "register.return_details",
            AuditEvent.subject_id == str(entry_id))).first() is not None

    # Put the child on the register last month (as if added on the 3rd of it).
    month = rules.previous_month(date.today())
    with app.app_context():
        session = _db(app).session
        first = rules.first_day(month)
        with by_hand():
            session.execute(sa.update(RegisterEntry).where(RegisterEntry.id == entry_id)
                            .values(added_on=first + timedelta(days=2)))
            for model in (RatingChange, KeyworkerChange):
                session.execute(sa.update(model).where(model.entry_id == entry_id).values(
                    changed_at=datetime.combine(first + timedelta(days=2), time(12),
                                                tzinfo=UTC)))
            session.commit()

    listed = client.get("/staff/returns")
    assert listed.status_code == 200
    name = rules.first_day(month).strftime("%B %Y")
    assert name in listed.get_data(as_text=True)
    shown = client.get(f"/staff/returns/{month}")
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200 and f"Monthly return for {name}" in html
    assert req.child_name not in html
    assert "Not signed off" in listed.get_data(as_text=True)

    download = client.get(f"/staff/returns/{month}/figures.csv")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    text = download.get_data(as_text=True)
    assert req.child_name not in text and "Kim" not in text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["Month", "Table", "Row", "Column", "Count"]
    counts = [row[4] for row in rows[1:]]
    assert all(c == "*" or (c.isdigit() and (c == "0" or int(c) >= 5)) for c in counts)
    with app.app_context():
        assert _db(app).session.scalars(sa.select(AuditEvent).where(
            AuditEvent.action == "return.downloaded", AuditEvent.subject_id == month)
        ).first() is not None

    signed = client.post(f"/staff/returns/{month}/sign-off", data={
        "csrf_token": _token(html), "figures_hash": _hidden(html, "figures_hash")})
    assert signed.status_code == 302
    html = client.get(f"/staff/returns/{month}").get_data(as_text=True)
    assert "Signed off by Morgan Manager" in html
    assert "Figures changed since sign-off" not in html
    with app.app_context():
        session = _db(app).session
        sign_off = session.scalars(sa.select(ReturnSignOff).where(
            ReturnSignOff.month == month).order_by(ReturnSignOff.id.desc())).first()
        assert sign_off.signed_by == "Morgan Manager"
        assert sign_off.figures_hash == _hidden(html, "figures_hash")
        assert session.scalars(sa.select(AuditEvent).where(
            AuditEvent.action == "return.signed_off", AuditEvent.subject_id == month)
        ).first() is not None

    # A C(E)TR held last month, written up only now: the month's figures move.
    from portal.cases import cetr
    from portal.cases.operation import Actor
    with app.app_context():
        session = _db(app).session
        e = session.get(RegisterEntry, entry_id)
        actor = Actor.for_staff(manager)
        review = cetr.request_review(e, actor, kind="community", reason="Crisis.",
                                     due_by=first + timedelta(days=20))
        cetr.record_outcome(review, e, actor, held_on=first + timedelta(days=10),
                            outcome="A plan.", panel_notes=None, recommendations=[])
        session.commit()
    html = client.get(f"/staff/returns/{month}").get_data(as_text=True)
    assert "Figures changed since sign-off" in html
    assert "The figures as they were signed off" in html
    assert "Figures changed since sign-off" in client.get("/staff/returns").get_data(
        as_text=True)

    # Signing off figures that changed after the page was shown is refused.
    stale = client.post(f"/staff/returns/{month}/sign-off", data={
        "csrf_token": _token(html), "figures_hash": sign_off.figures_hash})
    assert stale.status_code == 200
    assert "The figures changed while you were looking at them" in stale.get_data(
        as_text=True)


def _token(html: str) -> str:
    from tests.support import csrf_token

    return csrf_token(html)


def _hidden(html: str, name: str) -> str:
    import re

    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)


@pytest.mark.parametrize("role", ["partner_viewer", "admin"])
def test_partners_and_admins_cannot_see_the_return(sqlite_app, sqlite_client, role):
    sign_in(sqlite_client, make_staff(sqlite_app, role))
    month = rules.previous_month(date.today())
    for url in ("/staff/returns", f"/staff/returns/{month}",
                f"/staff/returns/{month}/figures.csv"):
        assert sqlite_client.get(url).status_code == 403, url
    assert sqlite_client.post(f"/staff/returns/{month}/sign-off").status_code in (400, 403)


def test_triage_officers_read_the_return_but_only_managers_sign_it_off(sqlite_app,
                                                                       sqlite_client):
    sign_in(sqlite_client, make_staff(sqlite_app, "triage_officer"))
    month = rules.previous_month(date.today())
    html = sqlite_client.get(f"/staff/returns/{month}").get_data(as_text=True)
    assert "Sign off the figures" not in html
    posted = sqlite_client.post(f"/staff/returns/{month}/sign-off", data={
        "csrf_token": _token(html), "figures_hash": "x" * 64})
    assert posted.status_code == 403
    # A month that has not ended, or is not a month, is not found.
    this_month = rules.month_of(date.today())
    assert sqlite_client.get(f"/staff/returns/{this_month}").status_code == 404
    assert sqlite_client.get("/staff/returns/2026-13").status_code == 404
    assert sqlite_client.get("/staff/returns/nonsense").status_code == 404


def test_a_value_not_in_the_list_is_refused_and_what_was_chosen_is_kept(
        sqlite_app, sqlite_client, monkeypatch):
    monkeypatch.setitem(sqlite_app.config, "LOCAL_AUTHORITIES", ["North Council"])
    req = ready_request(sqlite_app)
    sign_in(sqlite_client, make_staff(sqlite_app, "triage_officer", name="Tess Triage"))
    page = sqlite_client.get(f"/staff/requests/{req.id}/accept").get_data(as_text=True)
    moved = sqlite_client.submit(f"/staff/requests/{req.id}/accept", {
        "version": version_on(page), "rating": "amber", "reason": "Agreed.",
        "keyworker": "", "first_review-day": "1", "first_review-month": "1",
        "first_review-year": "2099"})
    entry_url = moved.headers["Location"]
    entry_id = int(entry_url.rsplit("/", 1)[1])
    page = sqlite_client.get(entry_url).get_data(as_text=True)
    refused = sqlite_client.post(f"/staff/register/{entry_id}/return-details", data={
        "csrf_token": _token(page), "returns-version": version_on(page, "returns-version"),
        "returns-sex": "male", "returns-ethnicity": "Q",
        "returns-local_authority": "North Council"})
    assert refused.status_code == 200
    html = refused.get_data(as_text=True)
    assert ("#returns-ethnicity", "Select an ethnic category from the list") in \
        error_summary(html)
    assert '<option value="male" selected>' in html
    assert '<option value="North Council" selected>' in html
    with sqlite_app.app_context():
        e = _db(sqlite_app).session.get(RegisterEntry, entry_id)
        assert (e.sex, e.ethnicity, e.local_authority) == (None, None, None)

    # A save made from a page older than someone else's save is refused, kept as typed.
    old_version = version_on(page, "returns-version")
    sqlite_client.post(f"/staff/register/{entry_id}/return-details", data={
        "csrf_token": _token(page), "returns-version": old_version, "returns-sex": "male",
        "returns-ethnicity": "", "returns-local_authority": ""})
    late = sqlite_client.post(f"/staff/register/{entry_id}/return-details", data={
        "csrf_token": _token(page), "returns-version": old_version,
        "returns-sex": "female", "returns-ethnicity": "A", "returns-local_authority": ""})
    assert late.status_code == 200
    html = late.get_data(as_text=True)
    assert "changed this entry while you were working on it" in html
    assert '<option value="female" selected>' in html
    with sqlite_app.app_context():
        assert _db(sqlite_app).session.get(RegisterEntry, entry_id).sex == "male"


def test_keyworker_history_follows_every_change_of_keyworker(sqlite_app, sqlite_client):
    req = ready_request(sqlite_app)
    sign_in(sqlite_client, make_staff(sqlite_app, "triage_officer", name="Tess Triage"))
    page = sqlite_client.get(f"/staff/requests/{req.id}/accept").get_data(as_text=True)
    moved = sqlite_client.submit(f"/staff/requests/{req.id}/accept", {
        "version": version_on(page), "rating": "amber", "reason": "Agreed.",
        "keyworker": "", "first_review-day": "1", "first_review-month": "1",
        "first_review-year": "2099"})
    entry_url = moved.headers["Location"]
    entry_id = int(entry_url.rsplit("/", 1)[1])
    from portal.cases import register
    from portal.cases.operation import Actor

    with sqlite_app.app_context():
        session = _db(sqlite_app).session
        actor = Actor("staff", "1", "Tess Triage", role="triage_officer")
        far = date(2099, 1, 1)
        for name in ("Kim", "Kim", None, "Lee"):
            e = session.get(RegisterEntry, entry_id)
            register.change_details(e, actor, keyworker=name, keyworker_contact=None,
                                    next_review_on=far, cetr_last_on=None, cetr_next_on=None)
            session.commit()
        kept = [k.keyworker for k in session.scalars(sa.select(KeyworkerChange).where(
            KeyworkerChange.entry_id == entry_id).order_by(KeyworkerChange.id))]
    # Nothing at first (none), then each change once: saving the same name again is not
    # a change.
    assert kept == ["Kim", None, "Lee"]


def test_the_command_keeps_last_months_figures_once(sqlite_app):
    runner = sqlite_app.test_cli_runner()
    first = runner.invoke(args=["monthly-return", "--today", "2024-01-01"])
    assert first.exit_code == 0 and "Kept last month's figures." in first.output
    again = runner.invoke(args=["monthly-return", "--today", "2024-01-15"])
    assert "Last month's figures were kept already." in again.output
    with sqlite_app.app_context():
        kept = _db(sqlite_app).session.scalars(sa.select(ReturnSnapshot).where(
            ReturnSnapshot.month == "2023-12")).one()
        assert rules.fingerprint(json.loads(kept.figures)) == kept.figures_hash


def test_without_local_authorities_set_the_choice_is_not_offered(sqlite_app, sqlite_client,
                                                                  monkeypatch):
    monkeypatch.setitem(sqlite_app.config, "LOCAL_AUTHORITIES", [])
    req = ready_request(sqlite_app)
    sign_in(sqlite_client, make_staff(sqlite_app, "register_manager"))
    page = sqlite_client.get(f"/staff/requests/{req.id}/accept").get_data(as_text=True)
    entry_url = sqlite_client.submit(f"/staff/requests/{req.id}/accept", {
        "version": version_on(page), "rating": "green", "reason": "Agreed.",
        "keyworker": "", "first_review-day": "1", "first_review-month": "1",
        "first_review-year": "2099"}).headers["Location"]
    page = sqlite_client.get(entry_url).get_data(as_text=True)
    assert 'name="returns-local_authority"' not in page
    saved = sqlite_client.post(f"{entry_url}/return-details", data={
        "csrf_token": _token(page), "returns-version": version_on(page, "returns-version"),
        "returns-sex": "male", "returns-ethnicity": "Z"})
    assert saved.status_code == 302, error_summary(saved.get_data(as_text=True))
    page = sqlite_client.get(entry_url).get_data(as_text=True)
    assert "Not stated" in page and "Male" in page
