"""The family's request journey, on SQLite and on PostgreSQL."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from portal.data.audit import AuditEvent
from portal.data.drafts import Draft
from portal.data.outbox import OutboxMessage
from portal.data.requests import SupportRequest
from tests.support import REFERENCE_RE, csrf_token


def _send(client):
    page = client.get("/request/check-answers")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    key = re.search(r'name="submission_key" value="([^"]+)"', html).group(1)
    data = {"csrf_token": csrf_token(html), "submission_key": key}
    return client.post("/request/check-answers", data=data), data


def test_parent_completes_the_journey_and_gets_a_reference(app, client):
    last = client.answer_all(**{"nhs-number": {"nhs_number": "943 476 5919"}})
    assert last.headers["Location"].endswith("/request/check-answers")
    check = client.get("/request/check-answers").get_data(as_text=True)
    for shown in ("Sam Example", "Likes to be called Sammy", "943 476 5919", "LS1 4AP",
                  "Their home, care or school place could break down", "Change"):
        assert shown in check
    sent, _ = _send(client)
    assert sent.status_code == 302
    confirmation = client.get(sent.headers["Location"])
    reference = REFERENCE_RE.search(confirmation.get_data(as_text=True)).group(1)
    assert "What happens next" in confirmation.get_data(as_text=True)

    with app.app_context():
        stored = app.extensions["sqlalchemy"].session.scalars(
            select(SupportRequest).where(SupportRequest.reference == reference)
        ).one()
        assert stored.child_name == "Sam Example"
        assert stored.nhs_number == "9434765919"
        assert stored.postcode == "LS1 4AP"
        assert stored.state == "awaiting_consent"  # nobody is added without consent
        assert stored.suggested_rating == "amber"
        assert set(stored.suggestion_reasons) == {"placement_unstable", "family_strain"}
        assert stored.requester_name == "Alex Example"
        db = app.extensions["sqlalchemy"]
        mail = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.dedupe_key ==
                                        f"request_received:{reference}")
        ).one()
        assert mail.to_address == "alex@example.com" and reference in mail.body
        assert "Sam" not in mail.body  # no child's details in an email
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.subject_id == str(stored.id),
                                     AuditEvent.action == "request.submitted")
        ).all()
        assert len(events) == 1
        # The draft is gone once the request is stored.
        assert db.session.get(Draft, stored.idempotency_key) is None
        assert db.session.scalar(
            select(func.count()).select_from(Draft).where(
                Draft.idempotency_key == stored.idempotency_key)
        ) == 0


def test_double_click_and_back_resubmit_give_one_request(app, client):
    client.answer_all()
    first, data = _send(client)
    second = client.post("/request/check-answers", data=data)  # double click
    assert first.headers["Location"] == second.headers["Location"]
    # Back button to the (cached) check-answers page and send again: same request.
    third = client.post("/request/check-answers", data=data)
    assert third.headers["Location"] == first.headers["Location"]
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        count = db.session.scalar(
            select(func.count()).select_from(SupportRequest).where(
                SupportRequest.idempotency_key == data["submission_key"])
        )
    assert count == 1


def test_retry_from_a_new_connection_finds_the_same_request(app, client):
    """The phone lost signal after sending: the retry (same form, cookie lost) is safe."""
    client.answer_all()
    first, data = _send(client)
    other = app.test_client()
    page = other.get("/request")
    retry = other.post("/request/check-answers", data={
        "csrf_token": csrf_token(page.get_data(as_text=True)),
        "submission_key": data["submission_key"],
    })
    assert retry.headers["Location"] == first.headers["Location"]


def test_confirmation_page_is_only_for_the_person_who_sent_it(app, client):
    client.answer_all()
    sent, _ = _send(client)
    stranger = app.test_client()
    assert stranger.get(sent.headers["Location"]).status_code == 404


def test_the_young_person_can_ask_for_themselves(app, client):
    client.answer_all(who={"who": "young_person"}, **{"your-name": None})
    page = client.get("/request/child-name").get_data(as_text=True)
    assert "What is your name?" in page
    check = client.get("/request/check-answers").get_data(as_text=True)
    assert "Your name" not in check  # the "your name" question is skipped
    sent, _ = _send(client)
    assert sent.status_code == 302


def test_other_family_member_is_asked_their_relationship(client):
    client.start_request()
    answer = client.submit("/request/who", {"who": "family"})
    assert answer.headers["Location"].endswith("/request/relationship")
    empty = client.submit("/request/relationship", {"relationship": ""})
    assert "Enter how you are related to the child" in empty.get_data(as_text=True)


def test_in_hospital_is_suggested_blue(app, client):
    client.answer_all(hospital={"in_hospital": "yes"})
    sent, _ = _send(client)
    reference = sent.headers["Location"].rsplit("/", 1)[1]
    with app.app_context():
        stored = app.extensions["sqlalchemy"].session.scalars(
            select(SupportRequest).where(SupportRequest.reference == reference)).one()
    assert stored.suggested_rating == "blue"


def test_suggested_rating_is_never_shown_to_the_family(client):
    client.answer_all(**{"happening-now": {"risks": ["imminent_admission"]}})
    check = client.get("/request/check-answers").get_data(as_text=True).lower()
    sent, _ = _send(client)
    done = client.get(sent.headers["Location"]).get_data(as_text=True).lower()
    for page in (check, done):
        assert "suggested" not in page and "rating" not in page


def test_change_link_returns_to_check_answers(client):
    client.answer_all()
    page = client.get("/request/postcode?change=1").get_data(as_text=True)
    assert 'href="/request/check-answers"' in page  # back link
    changed = client.submit("/request/postcode?change=1", {"postcode": "M1 1AE"})
    assert changed.headers["Location"].endswith("/request/check-answers")
    assert "M1 1AE" in client.get("/request/check-answers").get_data(as_text=True)


def test_questions_without_a_draft_go_to_the_start(client):
    response = client.get("/request/postcode")
    assert response.status_code == 302 and response.headers["Location"].endswith("/request")


def test_unanswered_questions_cannot_be_skipped(client):
    client.start_request()
    client.submit("/request/who", {"who": "parent"})
    response = client.get("/request/check-answers")
    assert response.headers["Location"].endswith("/request/child-name")
