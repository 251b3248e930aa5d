"""Professionals and foster carers ask for a child to be added; the family (or the young
person, or for a child under a care order the council's social worker) gives consent
from a link of their own; the professional sees where it is only if the family agreed."""

from __future__ import annotations

import re
import uuid
from typing import Any

import sqlalchemy as sa

from portal.data.audit import AuditEvent
from portal.data.consent import Consent
from portal.data.outbox import OutboxMessage
from portal.data.referrals import CouncilConsent, EntryContact
from portal.data.requests import SupportRequest
from tests.integration.staff_support import make_staff, sign_in
from tests.integration.test_consent import follow
from tests.integration.test_family import family_signs_in
from tests.integration.test_staff_casework import _accept
from tests.support import csrf_token, error_summary, field_errors, years_ago


def _db(app):
    return app.extensions["sqlalchemy"]


def referral_answers(who: str = "professional", *, care: str = "none",
                     consent_from: str = "parent", born=None, tag: str | None = None,
                     family_email: str | None = None,
                     referrer_email: str | None = None) -> list[tuple[str, dict[str, Any]]]:
    tag = tag or uuid.uuid4().hex[:8]
    born = born or years_ago(12)
    pages: list[tuple[str, dict[str, Any]]] = [
        ("who", {"who": who}),
        ("referrer-name", {"referrer_name": "Jo Carter"}),
    ]
    if who == "professional":
        pages += [("referrer-job", {"referrer_job": "Social worker"}),
                  ("referrer-organisation", {"referrer_organisation": "Northshire Council"})]
    pages += [
        ("referrer-email", {"referrer_email": referrer_email or f"jo.{tag}@council.example"}),
        ("child-name", {"child_name": f"Sam {tag} Example", "child_preferred_name": "Sam"}),
        ("date-of-birth", {"child_dob-day": str(born.day), "child_dob-month": str(born.month),
                           "child_dob-year": str(born.year)}),
        ("nhs-number", {"nhs_number": ""}),
        ("postcode", {"postcode": "ls1 4ap"}),
        ("where-they-live", {"living_situation": "foster" if care != "none"
                             else "family_home"}),
        ("care-status", {"care_status": care}),
    ]
    if care in ("care_order", "accommodated"):
        pages.append(("council", {"care_council": "Northshire Council"}))
    pages += [
        ("education", {"education_setting": "Example School"}),
        ("autism", {"autism": "diagnosed"}),
        ("learning-disability", {"learning_disability": "no"}),
        ("hospital", {"in_hospital": "no"}),
        ("happening-now", {"risks": ["placement_unstable"], "risks_in_own_words": ""}),
        ("services", {"services": ["social_worker"]}),
        ("tried", {"tried": ""}),
        ("would-help", {"would_help": ""}),
        ("communication", {"communication_needs": ""}),
        ("consent-from", {"consent_from": consent_from}),
    ]
    if consent_from != "young_person":
        pages.append(("consent-name", {"consent_contact_name": "Alex Example"}))
    pages += [
        ("language", {"preferred_language": "English"}),
        ("contact-details", {"contact_email": family_email or f"family.{tag}@example.com",
                             "contact_phone": ""}),
        ("contact-method", {"contact_method": "email"}),
    ]
    return pages


def refer(client, **options) -> str:
    """A professional (or a foster carer) answers every page and sends: the reference."""
    client.start_request()
    for slug, data in referral_answers(**options):
        answered = client.submit(f"/request/{slug}", data)
        assert answered.status_code == 302, (slug, answered.get_data(as_text=True)[:3000])
    page = client.get("/request/check-answers").get_data(as_text=True)
    key = re.search(r'name="submission_key" value="([^"]+)"', page).group(1)
    sent = client.post("/request/check-answers",
                       data={"csrf_token": csrf_token(page), "submission_key": key})
    assert "/request/sent/" in sent.headers["Location"]
    return sent.headers["Location"].rsplit("/", 1)[1]


def row(app, reference: str) -> SupportRequest:
    with app.app_context():
        found = _db(app).session.scalars(sa.select(SupportRequest).where(
            SupportRequest.reference == reference)).one()
        _db(app).session.expunge(found)
        return found


def mails(app, address: str, kind: str | None = None) -> list[OutboxMessage]:
    with app.app_context():
        query = sa.select(OutboxMessage).where(OutboxMessage.to_address == address)
        if kind:
            query = query.where(OutboxMessage.kind == kind)
        return list(_db(app).session.scalars(query.order_by(OutboxMessage.id)))


def link(body: str, part: str) -> str:
    return re.search(rf"https?://[^/\s]+(/{part}/\S+)", body).group(1)


def parent_consents(app, family_email: str, *, may_follow: str | None = "yes"):
    """The parent opens the link emailed to them, on their own device, and consents."""
    device = app.test_client()
    path = link(mails(app, family_email, "consent_invitation")[-1].body, "consent/link")
    opened = follow(device, path)
    reference = opened.headers["Location"].rsplit("/", 1)[1]
    assert device.submit(f"/consent/{reference}",
                         {"parental_responsibility": "yes"}).status_code == 302
    answers = {"relationship": "Mother", "agree": "y", "signer_name": "Alex Example"}
    if may_follow:
        answers["referrer_may_follow"] = may_follow
    return device, device.submit(f"/consent/{reference}/agree", answers)


def queue(app) -> str:
    """Every row of the triage queue, across all its pages (the database is shared by the
    whole run, and the queue puts the oldest first)."""
    from tests.integration.staff_support import queue_rows

    client = app.test_client()
    sign_in(client, make_staff(app, "triage_officer"))
    return "\n".join(queue_rows(client))


# The main loop, on both databases ------------------------------------------------------

def test_a_professional_refers_and_the_family_consents_from_their_own_link(app, client):
    tag = uuid.uuid4().hex[:8]
    family, work = f"family.{tag}@example.com", f"jo.{tag}@council.example"
    reference = refer(client, tag=tag)
    sent = client.get(f"/request/sent/{reference}").get_data(as_text=True)
    assert "Who gives consent" in sent and "Give consent now" not in sent
    assert "parent or carer with parental responsibility a link" in sent

    stored = row(app, reference)
    assert (stored.requester_role, stored.requester_name, stored.referrer_job,
            stored.referrer_organisation, stored.referrer_email) == (
        "professional", "Jo Carter", "Social worker", "Northshire Council", work)
    assert stored.contact_email == family and stored.consent_from == "parent"
    assert stored.state == "awaiting_consent"
    # The professional: a confirmation with the reference, never a consent link.
    (confirmation,) = mails(app, work)
    assert confirmation.kind == "referral_received" and reference in confirmation.body
    assert "/consent/" not in confirmation.body and "Sam" not in confirmation.subject
    # The family: their own consent link. Nothing in the triage queue before consent.
    assert [m.kind for m in mails(app, family)] == ["consent_invitation"]
    assert reference not in queue(app)

    # The professional's browser cannot give consent, nor answer for the young person.
    assert client.get(f"/consent/{reference}").status_code == 404
    assert client.post(f"/consent/{reference}/agree").status_code in (400, 404)
    # ...and cannot follow it before the family agreed.
    assert family_signs_in_or_none(app, work) is None

    device, signed = parent_consents(app, family, may_follow="yes")
    assert signed.status_code == 302
    assert row(app, reference).state == "ready_for_triage"
    assert reference in queue(app)
    # The family agreed: the professional is told, and sees the status only.
    assert mails(app, work, "referral_may_follow")
    professional = family_signs_in(app, work)
    listing = professional.get("/account/").get_data(as_text=True)
    assert f"/account/referrals/{reference}" in listing
    status = professional.get(f"/account/referrals/{reference}").get_data(as_text=True)
    assert reference in status and "Placement" not in status
    for path in ("", "/my-data", "/my-data.json", "/evidence-summary.pdf"):
        assert professional.get(f"/account/requests/{reference}{path}").status_code == 404
    # The family's own page still works for the family, and their emails skip the
    # professional.
    parent = family_signs_in(app, family)
    assert parent.get(f"/account/requests/{reference}").status_code == 200
    assert parent.get(f"/account/referrals/{reference}").status_code == 404


def family_signs_in_or_none(app, email: str):
    from tests.integration.test_family import sign_in_link

    client = app.test_client()
    return sign_in_link(app, client, email)


def test_a_care_order_childs_request_is_completed_by_the_councils_social_worker(app,
                                                                                client):
    tag = uuid.uuid4().hex[:8]
    work = f"jo.{tag}@council.example"
    reference = refer(client, tag=tag, care="care_order", consent_from="council",
                      family_email=work)
    stored = row(app, reference)
    assert (stored.care_status, stored.care_council) == ("care_order", "Northshire Council")
    assert reference not in queue(app)
    invitation = mails(app, work, "referral_council_consent")[-1]
    assert "section 31" in invitation.body and "Sam" not in invitation.body

    device = app.test_client()
    opened = follow(device, link(invitation.body, "consent/council/link"))
    assert opened.headers["Location"].endswith(f"/consent/{reference}/council")
    page = device.get(f"/consent/{reference}/council").get_data(as_text=True)
    assert "care order (Children Act 1989 s.31)" in page
    assert 'value="Northshire Council"' in page
    # Nothing ticked for them: without the boxes, nothing is recorded and what was typed stays.
    refused = device.submit(f"/consent/{reference}/council", {
        "council": "Northshire Council", "job_title": "Social worker",
        "signer_name": "Jo Carter", "referrer_may_follow": "no"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert [m for _a, m in error_summary(html)] == [
        "Select the box to confirm the care order", "Select the box to say you agree"]
    assert 'value="Jo Carter"' in html and 'value="Social worker"' in html
    done = device.submit(f"/consent/{reference}/council", {
        "council": "Northshire Council", "job_title": "Social worker", "care_order": "y",
        "agree": "y", "signer_name": "Jo Carter", "referrer_may_follow": "no"})
    assert "/consent/council/done/" in done.headers["Location"]
    shown = device.get(done.headers["Location"]).get_data(as_text=True)
    assert "care order (Children Act 1989 s.31)" in shown

    assert row(app, reference).state == "ready_for_triage"
    assert reference in queue(app)
    with app.app_context():
        consent = _db(app).session.scalars(sa.select(Consent).join(
            SupportRequest, SupportRequest.id == Consent.request_id).where(
            SupportRequest.reference == reference)).one()
        record = _db(app).session.scalars(sa.select(CouncilConsent).where(
            CouncilConsent.consent_id == consent.id)).one()
        assert (consent.signer_role, consent.relationship, consent.parental_responsibility,
                consent.via) == ("council", "social worker for the council", True,
                                 "council_link")
        assert (record.council, record.legal_basis) == (
            "Northshire Council", "care order (Children Act 1989 s.31)")
    # Staff see who asked, the care status, the council and the legal basis.
    staff = app.test_client()
    sign_in(staff, make_staff(app, "triage_officer"))
    seen = staff.get(f"/staff/requests/{stored.id}").get_data(as_text=True)
    for text in ("A professional (social care, education or health)", "Jo Carter",
                 "Northshire Council", "Yes, under a care order",
                 "care order (Children Act 1989 s.31)"):
        assert text in seen, text
    # On accept, the professional is among the people involved on the entry.
    entry_url = _accept(staff, row(app, reference))
    entry = staff.get(entry_url).get_data(as_text=True)
    assert "People involved" in entry and work in entry and "Social worker" in entry
    with app.app_context():
        (contact,) = _db(app).session.scalars(sa.select(EntryContact).where(
            EntryContact.email == work)).all()
        assert (contact.name, contact.organisation, contact.kind) == (
            "Jo Carter", "Northshire Council", "referrer")


def test_a_foster_carer_cannot_consent(app, client):
    tag = uuid.uuid4().hex[:8]
    reference = refer(client, who="foster_carer", care="accommodated", tag=tag)
    sent = client.get(f"/request/sent/{reference}").get_data(as_text=True)
    assert "Foster carers do not have parental responsibility" in sent
    assert "the parents give consent" in sent
    # Their browser has no way to the parent's or the council's consent page.
    assert client.get(f"/consent/{reference}").status_code == 404
    assert client.get(f"/consent/{reference}/agree").status_code == 404
    assert client.get(f"/consent/{reference}/council").status_code == 404
    assert client.get(f"/young-person/yourself/{reference}").status_code == 404
    # A council's consent would not count either: the child is not under a care order.
    assert row(app, reference).state == "awaiting_consent"
    assert reference not in queue(app)
    # (The rule itself: tests/unit/test_care_consent.py.)


# Details, on SQLite --------------------------------------------------------------------

def test_the_family_says_no_and_the_professional_sees_nothing(sqlite_app, sqlite_client):
    app = sqlite_app
    tag = uuid.uuid4().hex[:8]
    family, work = f"family.{tag}@example.com", f"jo.{tag}@council.example"
    reference = refer(sqlite_client, tag=tag)
    _device, signed = parent_consents(app, family, may_follow="no")
    assert signed.status_code == 302
    assert row(app, reference).referrer_may_follow is False
    assert mails(app, work, "referral_may_follow") == []
    assert family_signs_in_or_none(app, work) is None  # no access, no sign-in link
    with app.app_context():
        events = _db(app).session.scalars(sa.select(AuditEvent).where(
            AuditEvent.action == "referral.may_follow")).all()
        assert events and events[-1].detail.get("allowed") is False


def test_the_family_must_answer_the_question_about_the_professional(sqlite_app,
                                                                     sqlite_client):
    tag = uuid.uuid4().hex[:8]
    refer(sqlite_client, tag=tag)
    _device, refused = parent_consents(sqlite_app, f"family.{tag}@example.com",
                                       may_follow=None)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert "May Jo Carter see how the request is going?" in html
    assert field_errors(html)["referrer_may_follow"] == "Select yes or no"
    assert 'value="Alex Example"' in html  # what was typed stays


def test_a_young_person_of_16_is_asked_for_their_own_consent(sqlite_app, sqlite_client):
    tag = uuid.uuid4().hex[:8]
    reference = refer(sqlite_client, tag=tag, consent_from="young_person",
                      born=years_ago(16), family_email=f"sam.{tag}@example.com")
    (invite,) = mails(sqlite_app, f"sam.{tag}@example.com")
    assert invite.kind == "referral_young_person" and "/young-person/start/" in invite.body
    assert "16 or over" in invite.body
    assert row(sqlite_app, reference).consent_contact_name is None


def test_the_journey_checks_who_can_consent(sqlite_client):
    client = sqlite_client
    client.start_request()
    pages = dict(referral_answers(consent_from="parent"))
    for slug, data in referral_answers():
        if slug == "consent-from":
            break
        assert client.submit(f"/request/{slug}", data).status_code == 302, slug
    # Not under a care order: the council cannot consent; under 16: nor the young person.
    council = client.submit("/request/consent-from", {"consent_from": "council"})
    assert "only for a child under a care order" in field_errors(
        council.get_data(as_text=True))["consent_from"]
    young = client.submit("/request/consent-from", {"consent_from": "young_person"})
    assert "only at 16 or over" in field_errors(young.get_data(as_text=True))["consent_from"]
    assert client.submit("/request/consent-from", pages["consent-from"]).status_code == 302
    assert client.submit("/request/consent-name", pages["consent-name"]).status_code == 302
    assert client.submit("/request/language", pages["language"]).status_code == 302
    # The person who gives consent needs an email address for their link; phone kept.
    no_email = client.submit("/request/contact-details", {
        "contact_email": "", "contact_phone": "01632 960 001"})
    html = no_email.get_data(as_text=True)
    assert "we email them a link to give consent" in field_errors(html)["contact_email"]
    assert 'value="01632 960 001"' in html
    page = client.get("/request/contact-details").get_data(as_text=True)
    assert "How can we contact the person who gives consent?" in page


def test_bad_professional_details_keep_what_was_typed(sqlite_client):
    client = sqlite_client
    client.start_request()
    assert client.submit("/request/who", {"who": "professional"}).status_code == 302
    empty = client.submit("/request/referrer-name", {"referrer_name": ""})
    assert error_summary(empty.get_data(as_text=True)) == [
        ("#referrer_name", "Enter your full name")]
    client.submit("/request/referrer-name", {"referrer_name": "Jo Carter"})
    client.submit("/request/referrer-job", {"referrer_job": "Nurse"})
    client.submit("/request/referrer-organisation", {"referrer_organisation": "NHS Trust"})
    bad = client.submit("/request/referrer-email", {"referrer_email": "jo at nhs"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 200 and "referrer_email" in field_errors(html)
    assert 'value="jo at nhs"' in html


def test_a_childs_care_status_is_asked_when_they_live_away_from_home(sqlite_client):
    client = sqlite_client
    client.answer_all(**{"where-they-live": {"living_situation": "childrens_home"},
                         "care-status": {"care_status": "accommodated"},
                         "council": {"care_council": "Eastshire Council"}})
    check = client.get("/request/check-answers").get_data(as_text=True)
    assert "Yes, by agreement with the parents" in check and "Eastshire Council" in check


def test_every_page_new_to_a_referral_takes_anything(sqlite_app, sqlite_client):
    from urllib.parse import urlsplit

    from tests.integration.test_fuzz_forms import forms_on, fuzz

    client = sqlite_client
    client.start_request()
    for slug, data in referral_answers(care="care_order", consent_from="council"):
        assert client.submit(f"/request/{slug}", data).status_code == 302, slug
    forms = []
    for slug in ("referrer-name", "referrer-job", "referrer-organisation", "referrer-email",
                 "council", "consent-from", "consent-name", "contact-details",
                 "care-status"):
        page = client.get(f"/request/{slug}")
        assert page.status_code == 200, slug
        mine = [f for f in forms_on(f"/request/{slug}", page.get_data(as_text=True))
                if urlsplit(f.action).path == f"/request/{slug}"]
        assert len(mine) == 1, slug
        forms.append(mine[0])
    for found in forms:
        fuzz(client, found)


def test_the_councils_consent_page_takes_anything(sqlite_app, sqlite_client):
    """Behind the social worker's emailed link: the same fuzzing as every other form."""
    from tests.integration.test_fuzz_forms import forms_on, fuzz

    tag = uuid.uuid4().hex[:8]
    work = f"sw.{tag}@council.example"
    reference = refer(sqlite_client, tag=tag, care="care_order", consent_from="council",
                      family_email=work)
    device = sqlite_app.test_client()
    follow(device, link(mails(sqlite_app, work, "referral_council_consent")[-1].body,
                        "consent/council/link"))
    url = f"/consent/{reference}/council"
    (found,) = [f for f in forms_on(url, device.get(url).get_data(as_text=True))
                if f.action.endswith(url)]
    fuzz(device, found)
