"""Moving to the adult register at 18: the transition plan from 17 and a half, the young
person's own say from their own link (a parent's browser refused), the hand-over summary
only with their yes, the referral and its outcome, and the entry closed on the 18th
birthday (the daily job or a manager) with the family and the young person told once."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from portal.data.audit import AuditEvent
from portal.data.handover import AdultReferralAnswer, TransitionPlan
from portal.data.outbox import OutboxMessage
from portal.data.register import RegisterEntry
from portal.data.requests import SupportRequest
from portal.domain.consent import add_months
from tests.integration.staff_support import make_staff, sign_in, version_on
from tests.integration.test_family import family_signs_in
from tests.integration.test_pdfs import assert_tagged
from tests.integration.test_staff_casework import _accept, ready_request
from tests.support import by_hand, csrf_token, error_summary

YOUNG = f"sky.{uuid.uuid4().hex[:8]}@example.org"
LINK = re.compile(r"https?://\S+/young-person/adult-register/\S+")


def _db(app):
    return app.extensions["sqlalchemy"]


def _day(name: str, day: date) -> dict[str, str]:
    return {f"{name}-day": str(day.day), f"{name}-month": str(day.month),
            f"{name}-year": str(day.year)}


def aged(app, entry_id: int, born: date) -> None:
    """The child on this entry (and their request) was born on `born`."""
    with app.app_context(), by_hand():
        session = _db(app).session
        entry = session.get(RegisterEntry, entry_id)
        entry.child_date_of_birth = born
        session.get(SupportRequest, entry.request_id).child_date_of_birth = born
        session.commit()


def near_18(app, client, role: str = "register_manager", months: int = 17 * 12 + 7):
    """A young person of 17 years 7 months on the register, and signed-in staff."""
    req = ready_request(app)
    sign_in(client, make_staff(app, role, name="Morgan Manager"))
    entry_id = int(_accept(client, req).rsplit("/", 1)[1])
    aged(app, entry_id, add_months(date.today(), -months))
    return req, entry_id


def entry_of(app, entry_id: int) -> RegisterEntry:
    with app.app_context():
        entry = _db(app).session.get(RegisterEntry, entry_id)
        _db(app).session.expunge(entry)
    return entry


def mails(app, kind: str, address: str | None = None) -> list[OutboxMessage]:
    with app.app_context():
        query = sa.select(OutboxMessage).where(OutboxMessage.kind == kind)
        if address:
            query = query.where(OutboxMessage.to_address == address)
        return list(_db(app).session.scalars(query.order_by(OutboxMessage.id)))


def audited(app, entry_id: int) -> list[str]:
    with app.app_context():
        return list(_db(app).session.scalars(sa.select(AuditEvent.action).where(
            AuditEvent.subject_type == "register_entry",
            AuditEvent.subject_id == str(entry_id),
            AuditEvent.action.like("handover.%")).order_by(AuditEvent.id)))


PLAN = {"adult_needs": "Needs a steady routine and one worker she knows.",
        "lead_name": "Pat Lead", "lead_organisation": "Adult social care",
        "adult_services": "Community learning disability team",
        "wishes": "To stay living at home.", "version": "new"}


def write_plan(client, entry_id: int, **changes) -> object:
    return client.submit(f"/staff/register/{entry_id}/adult-register/plan",
                         {**PLAN, **_day("target_referral_on", date.today()), **changes})


def send_link(app, client, entry_id: int, address: str = YOUNG) -> str:
    sent = client.submit(f"/staff/register/{entry_id}/adult-register/link",
                         {"email": address})
    assert sent.status_code == 200 and "Link sent" in sent.get_data(as_text=True)
    found = LINK.search(mails(app, "handover_invitation", address)[-1].body).group(0)
    return urlsplit(found).path  # as the test client serves it


def young_person_answers(app, link: str, decision: str, words: str = "") -> object:
    """The young person, in their own browser: opens the link, reads, answers."""
    young = app.test_client()
    page = young.get(link)
    assert page.status_code == 200, page.status_code
    started = young.post(link, data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert started.headers["Location"].endswith("/young-person/adult-register")
    read = young.get("/young-person/adult-register").get_data(as_text=True)
    assert "Do you want us to pass your details to the adult register?" in read
    assert "You can say no" in read and "What does not change" in read
    done = young.submit("/young-person/adult-register/answer",
                        {"decision": decision, "own_words": words})
    assert done.status_code == 302, error_summary(done.get_data(as_text=True))
    return young


# The main loop, on both databases ---------------------------------------------------------

def test_the_hand_over_from_17_and_a_half_to_the_adult_register(app, client):
    req, entry_id = near_18(app, client)
    birthday = add_months(entry_of(app, entry_id).child_date_of_birth, 18 * 12)

    # On the attention list and the entry page from 17 and a half.
    attention = client.get("/staff/attention").get_data(as_text=True)
    listed = attention.split('id="adult-register"', 1)[1]
    assert req.child_name in listed and "Not written" in listed
    page = client.get(f"/staff/register/{entry_id}").get_data(as_text=True)
    assert "Moving to the adult register" in page and "Plan due" in page

    # The plan.
    assert write_plan(client, entry_id).status_code == 302
    page = client.get(f"/staff/register/{entry_id}").get_data(as_text=True)
    assert "Needs a steady routine" in page and "Led by Pat Lead, Adult social care" in page
    assert "Plan due" not in page

    # Nothing goes to the adult register before the young person's yes.
    pdf = f"/staff/register/{entry_id}/adult-register/summary.pdf"
    assert client.get(pdf).status_code == 409
    assert client.get(f"/staff/register/{entry_id}/adult-register/referral").status_code == 409

    # Their own link: never to the parent's address.
    refused = client.submit(f"/staff/register/{entry_id}/adult-register/link",
                            {"email": req.contact_email})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert "This is the parent's or carer's address" in error_summary(html)[0][1]
    assert f'value="{req.contact_email}"' in html
    assert mails(app, "handover_invitation", req.contact_email) == []
    link = send_link(app, client, entry_id)
    (invitation,) = mails(app, "handover_invitation", YOUNG)
    assert "Robin" not in invitation.subject and req.reference not in invitation.subject

    # A parent cannot answer: their browser is turned away, and the link still works.
    parent = family_signs_in(app, req.contact_email)
    assert parent.get(link).status_code == 403
    assert parent.post(link, data={"csrf_token": csrf_token(
        parent.get("/account/").get_data(as_text=True))}).status_code == 403
    assert parent.get("/young-person/adult-register").status_code == 404

    young_person_answers(app, link, "yes", "I want help with college.")
    with app.app_context():
        (given,) = _db(app).session.scalars(sa.select(AdultReferralAnswer).where(
            AdultReferralAnswer.entry_id == entry_id)).all()
        from portal.data.consent import find_text
        text = find_text(given.text_id)
        assert (text.audience, given.text_version, given.text_sha256) == (
            "adult_referral", text.version, text.sha256)
        assert given.decision == "yes" and given.signer_email == YOUNG
    told = [m for m in mails(app, "staff_handover_answer") if req.reference in m.body]
    assert len(told) == 1 and "Robin" not in told[0].body + told[0].subject

    # The summary, with the young person's yes.
    got = client.get(pdf)
    assert got.status_code == 200 and got.mimetype == "application/pdf"
    text = assert_tagged(got.data, language="en", title=f"Hand-over summary {req.reference}")
    for shown in ("Amber", "Coordination needed.", "Needs a steady routine", "Pat Lead",
                  "To stay living at home.", "I want help with college.", "Open actions",
                  "C(E)TRs", "Communication needs", "What has been tried"):
        assert shown in text, shown

    # The referral, accepted.
    referral = client.submit(f"/staff/register/{entry_id}/adult-register/referral", {
        **_day("sent_on", date.today()), "sent_to": "Adult DSR team",
        "outcome": "accepted", **_day("outcome_on", date.today()), "note": "",
        "version": "new"})
    assert referral.status_code == 302, error_summary(referral.get_data(as_text=True))
    page = client.get(f"/staff/register/{entry_id}").get_data(as_text=True)
    assert "Accepted onto the adult register" in page

    # On the 18th birthday the daily job closes the entry.
    runner = CliRunner()
    with app.app_context():
        before = runner.invoke(app.cli, ["adult-handover", "--today",
                                         (birthday - timedelta(days=1)).isoformat()])
    assert "Closed 0 " in before.output
    assert entry_of(app, entry_id).closed_at is None
    with app.app_context():
        run = runner.invoke(app.cli, ["adult-handover", "--today", birthday.isoformat()])
    assert run.exit_code == 0 and "Closed 1 " in run.output, run.output
    entry = entry_of(app, entry_id)
    assert entry.closed_reason == "moved_to_adult_register"
    page = client.get(f"/staff/register/{entry_id}").get_data(as_text=True)
    assert "Moved to the adult register" in page
    assert req.child_name not in client.get("/staff/register").get_data(as_text=True)
    assert req.child_name not in client.get("/staff/attention").get_data(as_text=True)

    # Told once, each in their own words; again the job changes nothing.
    with app.app_context():
        runner.invoke(app.cli, ["adult-handover", "--today", birthday.isoformat()])
    (family,) = mails(app, "handover_family", req.contact_email)
    assert "adult team has accepted" in family.body and "Robin" not in family.subject
    (own,) = mails(app, "handover_young_person", YOUNG)
    assert "The adult team said yes" in own.body
    assert audited(app, entry_id) == [
        "handover.plan_written", "handover.link_sent", "handover.answered",
        "handover.summary_issued", "handover.referred", "handover.closed"]


# Details, on SQLite ---------------------------------------------------------------------------

def test_a_plan_with_something_missing_keeps_what_was_typed(sqlite_app, sqlite_client):
    _req, entry_id = near_18(sqlite_app, sqlite_client)
    shown = write_plan(sqlite_client, entry_id, lead_name="",
                       **{"target_referral_on-month": "13"})
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200
    assert ("#lead_name", "Enter who leads the move") in error_summary(html)
    assert "Needs a steady routine" in html and 'value="Adult social care"' in html


def test_a_plan_changed_meanwhile_is_not_overwritten(sqlite_app, sqlite_client):
    _req, entry_id = near_18(sqlite_app, sqlite_client)
    assert write_plan(sqlite_client, entry_id).status_code == 302
    url = f"/staff/register/{entry_id}/adult-register/plan"
    version = version_on(sqlite_client.get(url).get_data(as_text=True))
    assert write_plan(sqlite_client, entry_id, version=version,
                      lead_name="First Saver").status_code == 302
    late = write_plan(sqlite_client, entry_id, version=version, lead_name="Second Saver")
    html = late.get_data(as_text=True)
    assert late.status_code == 200 and "Someone else changed this" in html
    assert 'value="Second Saver"' in html
    with sqlite_app.app_context():
        plan = _db(sqlite_app).session.scalars(sa.select(TransitionPlan).where(
            TransitionPlan.entry_id == entry_id)).one()
        assert plan.lead_name == "First Saver"


def test_a_no_means_nothing_is_passed_on_and_the_entry_closes_as_turned_18(
        sqlite_app, sqlite_client):
    req, entry_id = near_18(sqlite_app, sqlite_client)
    address = f"no.{entry_id}.{uuid.uuid4().hex[:6]}@example.org"
    link = send_link(sqlite_app, sqlite_client, entry_id, address)
    young = young_person_answers(sqlite_app, link, "no")
    assert "You said no." in young.get(
        "/young-person/adult-register/thank-you").get_data(as_text=True)
    page = sqlite_client.get(f"/staff/register/{entry_id}").get_data(as_text=True)
    assert "No: they do not want to be referred" in page
    assert "Download the hand-over summary" not in page
    assert sqlite_client.get(
        f"/staff/register/{entry_id}/adult-register/summary.pdf").status_code == 409
    assert sqlite_client.get(
        f"/staff/register/{entry_id}/adult-register/referral").status_code == 409

    # A manager closes it on the day: before it is refused.
    close = f"/staff/register/{entry_id}/adult-register/close"
    token = csrf_token(sqlite_client.get(f"/staff/register/{entry_id}").get_data(as_text=True))
    assert sqlite_client.post(close, data={"csrf_token": token}).status_code == 409
    aged(sqlite_app, entry_id, add_months(date.today(), -18 * 12))
    page = sqlite_client.get(f"/staff/register/{entry_id}").get_data(as_text=True)
    assert "Close the entry: they are 18" in page
    assert sqlite_client.post(close, data={"csrf_token": csrf_token(page)}).status_code == 302
    entry = entry_of(sqlite_app, entry_id)
    assert entry.closed_reason == "turned_18"
    assert "Turned 18" in sqlite_client.get(f"/staff/register/{entry_id}").get_data(
        as_text=True)
    (family,) = mails(sqlite_app, "handover_family", req.contact_email)
    assert "have not moved to the adult register" in family.body
    assert "You are not on the adult list." in mails(
        sqlite_app, "handover_young_person", address)[0].body
    # The link's pages now say there is nothing to answer.
    assert "You are not on the list any more" in young.get(
        "/young-person/adult-register/answer").get_data(as_text=True)


def test_who_may_do_what(sqlite_app, sqlite_client):
    _req, entry_id = near_18(sqlite_app, sqlite_client)
    aged(sqlite_app, entry_id, add_months(date.today(), -18 * 12))
    pages = [f"/staff/register/{entry_id}/adult-register/{p}"
             for p in ("plan", "link", "referral", "summary.pdf")]
    for role in ("partner_viewer", "admin"):
        other = sqlite_app.test_client()
        sign_in(other, make_staff(sqlite_app, role))
        for path in pages:
            assert other.get(path).status_code == 403, (role, path)
    partner = sqlite_app.test_client()
    sign_in(partner, make_staff(sqlite_app, "partner_viewer"))
    page = partner.get(f"/staff/register/{entry_id}").get_data(as_text=True)
    assert "Moving to the adult register" in page and "Write the transition plan" not in page
    # Triage officers plan and refer; only a register manager closes on the day.
    triage = sqlite_app.test_client()
    sign_in(triage, make_staff(sqlite_app, "triage_officer"))
    page = triage.get(f"/staff/register/{entry_id}").get_data(as_text=True)
    assert "Write the transition plan" in page and "Close the entry: they are 18" not in page
    assert triage.post(f"/staff/register/{entry_id}/adult-register/close", data={
        "csrf_token": csrf_token(page)}).status_code == 403
    assert sqlite_client.get("/staff/register/2000000000/adult-register/plan"
                             ).status_code == 404


def test_only_the_young_person_can_answer(sqlite_app, sqlite_client):
    from portal.cases import handover
    from portal.cases.operation import Actor, NotAllowed

    req, entry_id = near_18(sqlite_app, sqlite_client)
    with sqlite_app.app_context():
        entry = _db(sqlite_app).session.get(RegisterEntry, entry_id)
        for actor in (Actor.parent(req.contact_email, via="consent_link"),
                      Actor.family(req.contact_email), Actor.system()):
            with pytest.raises(NotAllowed):
                handover.answer(entry, actor, "yes", None)
        _db(sqlite_app).session.rollback()
    # The link works once; an odd token is a plain 404.
    link = send_link(sqlite_app, sqlite_client, entry_id)
    young_person_answers(sqlite_app, link, "talk_first")
    stranger = sqlite_app.test_client()
    assert stranger.get(link).status_code == 410
    assert stranger.get("/young-person/adult-register/not-a-token").status_code == 404
    assert stranger.get("/young-person/adult-register").status_code == 404
    assert stranger.get("/young-person/adult-register/thank-you").status_code == 404


def test_every_hand_over_form_takes_anything(sqlite_app, sqlite_client):
    """Fuzzed as tests/integration/test_fuzz_forms.py fuzzes the rest (its crawl has no
    young person of 17 and a half to open)."""
    from tests.integration.test_fuzz_forms import forms_on, fuzz

    _req, entry_id = near_18(sqlite_app, sqlite_client)
    link = send_link(sqlite_app, sqlite_client, entry_id)
    young = young_person_answers(sqlite_app, link, "yes")
    pages = [(sqlite_client, f"/staff/register/{entry_id}/adult-register/{p}")
             for p in ("plan", "link", "referral")]
    pages.append((young, "/young-person/adult-register/answer"))
    for client, path in pages:
        found = [f for f in forms_on(path, client.get(path).get_data(as_text=True))
                 if f.action.endswith(path)]
        assert len(found) == 1, path
        fuzz(client, found[0])


def test_a_young_person_who_changes_their_mind_is_not_moved(sqlite_app, sqlite_client):
    app, client = sqlite_app, sqlite_client
    req, entry_id = near_18(app, client)
    address = f"mind.{uuid.uuid4().hex[:6]}@example.org"
    young = young_person_answers(app, send_link(app, client, entry_id, address), "yes")
    assert client.submit(f"/staff/register/{entry_id}/adult-register/referral", {
        **_day("sent_on", date.today()), "sent_to": "Adult DSR team", "outcome": "accepted",
        **_day("outcome_on", date.today()), "version": "new"}).status_code == 302
    # They change their mind from their thank-you page: a new answer, the newest stands.
    assert "I have changed my mind" in young.get(
        "/young-person/adult-register/thank-you").get_data(as_text=True)
    assert young.submit("/young-person/adult-register/answer",
                        {"decision": "no"}).status_code == 302
    page = client.get(f"/staff/register/{entry_id}").get_data(as_text=True)
    assert 'id="handover-changed-mind"' in page
    assert "Download the hand-over summary" not in page
    assert len([m for m in mails(app, "staff_handover_answer")
                if req.reference in m.body]) == 2
    from portal.cases import handover

    with app.app_context():
        birthday = add_months(entry_of(app, entry_id).child_date_of_birth, 18 * 12)
        handover.close_everyone_turned_18(birthday)
        _db(app).session.commit()
    assert entry_of(app, entry_id).closed_reason == "turned_18"


def test_their_own_link_is_for_16_and_over(sqlite_app, sqlite_client):
    _req, entry_id = near_18(sqlite_app, sqlite_client, months=15 * 12)
    shown = sqlite_client.submit(f"/staff/register/{entry_id}/adult-register/link",
                                 {"email": "young.15@example.org"})
    assert "They are under 16" in error_summary(shown.get_data(as_text=True))[0][1]
    assert mails(sqlite_app, "handover_invitation", "young.15@example.org") == []
