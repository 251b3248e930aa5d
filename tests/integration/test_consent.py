"""Consent online: parents and carers, the young person, staff findings and withdrawal."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import UTC, date, timedelta

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from portal.data.consent import Consent, ConsentText, ConsentWithdrawal
from portal.data.drafts import EmailLink
from portal.data.outbox import OutboxMessage
from portal.data.requests import SupportRequest
from tests.support import by_hand, csrf_token, error_summary, years_ago

LINK_RE = r"https?://\S+(/{kind}/\S+)"


def _db(app):
    return app.extensions["sqlalchemy"]


def send_request(client, born: date | None = None, email: str = "alex@example.com") -> str:
    client.answer_all(born=born or years_ago(12),
                      **{"contact-details": {"contact_email": email, "contact_phone": ""}})
    page = client.get("/request/check-answers").get_data(as_text=True)
    key = re.search(r'name="submission_key" value="([^"]+)"', page).group(1)
    sent = client.post("/request/check-answers",
                       data={"csrf_token": csrf_token(page), "submission_key": key})
    return sent.headers["Location"].rsplit("/", 1)[1]


def parent_signs(client, reference: str, name: str = "Alex Example") -> str:
    assert client.submit(f"/consent/{reference}",
                         {"parental_responsibility": "yes"}).status_code == 302
    signed = client.submit(f"/consent/{reference}/agree",
                           {"relationship": "Mother", "agree": "y", "signer_name": name})
    assert signed.status_code == 302, signed.get_data(as_text=True)[:3000]
    return signed.headers["Location"].rsplit("/", 1)[1]


def request_row(app, reference: str) -> SupportRequest:
    return _db(app).session.scalars(
        sa.select(SupportRequest).where(SupportRequest.reference == reference)).one()


def last_mail(app, address: str, kind: str) -> OutboxMessage:
    return _db(app).session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.to_address == address,
                                       OutboxMessage.kind == kind)
        .order_by(OutboxMessage.id.desc())).first()


def link_in(body: str, kind: str) -> str:
    return re.search(LINK_RE.format(kind=kind), body).group(1)


def follow(client, path: str):
    page = client.get(path)
    if page.status_code != 200:
        return page
    return client.post(path, data={"csrf_token": csrf_token(page.get_data(as_text=True))})


def young_person_answers(app, client, reference: str, decision: str = "yes",
                         address: str = "sam@example.com"):
    """The family emails the young person a link; the young person answers on their phone."""
    assert client.submit(f"/consent/{reference}/ask-young-person",
                         {"how": "email"}).status_code == 302
    sent = client.submit(f"/consent/{reference}/ask-young-person/email", {"email": address})
    assert sent.status_code == 200 and address in sent.get_data(as_text=True)
    with app.app_context():
        path = link_in(last_mail(app, address, "young_person_invitation").body, "young-person")
    phone = app.test_client()
    assert follow(phone, path).headers["Location"].endswith("/young-person")
    assert phone.get("/young-person").status_code == 200
    answered = phone.submit("/young-person/answer", {
        "decision": decision, "own_words": "I want to stay at my school.",
        "signer_name": "Sam"})
    assert answered.status_code == 302
    return phone, answered.headers["Location"].rsplit("/", 1)[1]


def test_a_parent_signs_and_the_request_is_ready_for_triage(app, client):
    reference = send_request(client)
    with app.app_context():
        assert request_row(app, reference).state == "awaiting_consent"
    consent_id = parent_signs(client, reference)
    page = client.get(f"/consent/signed/{consent_id}").get_data(as_text=True)
    assert "Consent given" in page and reference in page
    assert "hear what Sammy thinks" in page  # under 16: the child's views are asked
    with app.app_context():
        req = request_row(app, reference)
        assert req.state == "ready_for_triage"
        consent = _db(app).session.get(Consent, consent_id)
        text = _db(app).session.get(ConsentText, consent.text_id)
        assert (consent.signer_name, consent.relationship) == ("Alex Example", "Mother")
        assert consent.parental_responsibility is True and consent.decision == "yes"
        assert consent.signer_role == "parent" and consent.method == "online"
        assert consent.locale == "en" and consent.signed_at.tzinfo is not None
        assert abs(consent.signed_at - __import__("datetime").datetime.now(UTC)) < timedelta(
            minutes=1)
        assert consent.text_version == text.version
        assert consent.text_sha256 == text.sha256 == hashlib.sha256(
            text.body.encode()).hexdigest()
        receipt = last_mail(app, "alex@example.com", "consent_receipt")
        assert reference in receipt.body and "/withdraw/link/" in receipt.body
        news = last_mail(app, "alex@example.com", "family_status")  # the status moved on
        assert reference in news.body and "Sam" not in news.body


def test_consent_is_never_ticked_for_you_and_mistakes_keep_what_was_typed(client):
    reference = send_request(client)
    client.submit(f"/consent/{reference}", {"parental_responsibility": "yes"})
    page = client.get(f"/consent/{reference}/agree").get_data(as_text=True)
    box = BeautifulSoup(page, "html.parser").find("input", attrs={"name": "agree"})
    assert not box.has_attr("checked")
    refused = client.submit(f"/consent/{reference}/agree",
                            {"relationship": "Father", "signer_name": "Chris Example"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert error_summary(html) == [("#agree", "Select the box to say you agree")]
    assert 'value="Chris Example"' in html and 'value="Father"' in html
    empty = client.submit(f"/consent/{reference}/agree", {"relationship": "", "agree": "y"})
    assert {a for a, _ in error_summary(empty.get_data(as_text=True))} == {
        "#relationship", "#signer_name"}


def test_without_parental_responsibility_the_link_goes_to_someone_who_has_it(app, client):
    reference = send_request(client)
    moved = client.submit(f"/consent/{reference}", {"parental_responsibility": "no"})
    assert moved.headers["Location"].endswith("/someone-else")
    client.submit(f"/consent/{reference}/someone-else", {"email": "gran@example.com"})
    with app.app_context():
        mail = last_mail(app, "gran@example.com", "consent_invitation")
        assert "School say" not in mail.body and "Sam Example" not in mail.body
        path = link_in(mail.body, "consent/link")
    gran = app.test_client()
    assert follow(gran, path).headers["Location"].endswith(f"/consent/{reference}")
    consent_id = parent_signs(gran, reference, name="Pat Example")
    assert gran.get(f"/consent/signed/{consent_id}").status_code == 200
    # The consent link lets them consent, not read the request.
    assert gran.get(f"/request/sent/{reference}").status_code == 404


def test_the_confirmation_email_carries_a_consent_link(app, client):
    reference = send_request(client, email="later@example.com")
    with app.app_context():
        path = link_in(last_mail(app, "later@example.com", "request_received").body,
                       "consent/link")
    other_device = app.test_client()
    follow(other_device, path)
    parent_signs(other_device, reference)
    with app.app_context():
        assert request_row(app, reference).state == "ready_for_triage"


def test_a_16_year_old_decides_and_a_parents_consent_alone_is_not_enough(app, client):
    reference = send_request(client, born=years_ago(16, days=20))
    consent_id = parent_signs(client, reference)
    page = client.get(f"/consent/signed/{consent_id}").get_data(as_text=True)
    assert "is 16 or over, so it is their decision" in page
    with app.app_context():
        assert request_row(app, reference).state == "awaiting_consent"
    young_person_answers(app, client, reference, "yes")
    with app.app_context():
        assert request_row(app, reference).state == "ready_for_triage"


@pytest.mark.parametrize(("decision", "words"), [
    ("no", "has said no. It is their decision"),
    ("talk_first", "wants to talk to someone first"),
])
def test_a_16_year_olds_no_or_talk_first_holds_the_request(app, client, decision, words):
    reference = send_request(client, born=years_ago(17))
    consent_id = parent_signs(client, reference)
    young_person_answers(app, client, reference, decision)
    with app.app_context():
        assert request_row(app, reference).state == "awaiting_consent"
    assert words in client.get(f"/consent/signed/{consent_id}").get_data(as_text=True)


def record_finding(app, reference: str, finding: str, note: str) -> None:
    """A register manager records a finding on the request's staff page."""
    from tests.integration.staff_support import make_staff, sign_in

    manager = app.test_client()
    sign_in(manager, make_staff(app, "register_manager", name="Dr Example"))
    with app.app_context():
        request_id = request_row(app, reference).id
    saved = manager.submit(f"/staff/requests/{request_id}/consent-finding", {
        "version": _version(manager, request_id), "finding": finding,
        "assessed_by": "Dr Example, psychologist", "assessed_on-day": "1",
        "assessed_on-month": "11", "assessed_on-year": "2026", "note": note})
    assert saved.status_code == 302, saved.get_data(as_text=True)[:3000]


def _version(staff_client, request_id: int) -> str:
    page = staff_client.get(f"/staff/requests/{request_id}/consent-finding")
    return re.search(r'name="version" value="(\d+)"', page.get_data(as_text=True)).group(1)


def test_staff_findings_change_who_decides(app, client):
    older = send_request(client, born=years_ago(16, days=100))
    parent_signs(client, older)
    record_finding(app, older, "lacks_capacity_best_interests",
                   "Capacity assessed; best-interests meeting held.")
    younger = send_request(client, born=years_ago(14))
    young_person_answers(app, client, younger, "yes", address="teen@example.com")
    with app.app_context():
        assert request_row(app, older).state == "ready_for_triage"
        # Under 16 the young person's yes counts only once staff find them competent.
        assert request_row(app, younger).state == "awaiting_consent"
    record_finding(app, younger, "gillick_competent", "Understands and can decide.")
    with app.app_context():
        assert request_row(app, younger).state == "ready_for_triage"


def test_the_young_persons_page_is_easy_to_read(app, client):
    import textstat

    reference = send_request(client, born=years_ago(15))
    phone, _ = young_person_answers(app, client, reference)
    html = phone.get("/young-person").get_data(as_text=True)
    main = BeautifulSoup(html, "html.parser").find("main")
    lines = [p.get_text(" ", strip=True) for p in main.find_all(["p", "h1", "h2"])]
    text = " ".join(line if line.endswith((".", "?", "!")) else line + "." for line in lines)
    assert len(lines) >= 20  # the whole text is there
    assert textstat.flesch_reading_ease(text) >= 75
    assert textstat.lexicon_count(text) / textstat.sentence_count(text) <= 12
    for must in ("You can tell us no.", "You can change your mind at any time.",
                 "Your parent or carer decides if you go on the list.",
                 "Being on the list does not mean you are in trouble."):
        assert must in text
    assert main.find_all("img")  # pictures beside the words


def test_a_young_persons_link_works_once_and_only_for_their_page(app, client):
    reference = send_request(client, born=years_ago(15))
    parent_id = parent_signs(client, reference)
    client.submit(f"/consent/{reference}/ask-young-person", {"how": "email"})
    client.submit(f"/consent/{reference}/ask-young-person/email", {"email": "yp@example.com"})
    with app.app_context():
        path = link_in(last_mail(app, "yp@example.com", "young_person_invitation").body,
                       "young-person")
        before = _db(app).session.scalar(sa.select(sa.func.count()).select_from(Consent))
    phone = app.test_client()
    welcome = phone.get(path).get_data(as_text=True)
    assert "Sammy" in welcome and "Sam Example" not in welcome
    follow(phone, path)
    again = follow(app.test_client(), path)
    assert again.status_code == 410 and "already been used" in again.get_data(as_text=True)
    tampered = app.test_client().get(path[:-4] + "AAAA")
    assert tampered.status_code == 404
    # The link opens the young person's page, and nothing of the request.
    for private in (f"/request/sent/{reference}", f"/consent/{reference}",
                    f"/consent/record/{parent_id}", f"/consent/signed/{parent_id}",
                    f"/consent/{reference}/ask-young-person"):
        assert phone.get(private).status_code == 404, private
    page = phone.get("/young-person").get_data(as_text=True)
    for private in ("Sam Example", "LS1 4AP", "943", "School say"):
        assert private not in page
    with app.app_context():
        assert _db(app).session.scalar(
            sa.select(sa.func.count()).select_from(Consent)) == before  # nothing changed


def test_an_expired_young_persons_link_changes_nothing(app, client):
    reference = send_request(client, born=years_ago(15))
    client.submit(f"/consent/{reference}/ask-young-person", {"how": "email"})
    client.submit(f"/consent/{reference}/ask-young-person/email", {"email": "old@example.com"})
    with app.app_context(), by_hand():
        path = link_in(last_mail(app, "old@example.com", "young_person_invitation").body,
                       "young-person")
        db = _db(app)
        db.session.execute(sa.update(EmailLink).where(EmailLink.purpose ==
                                                      "young-person-consent")
                           .values(expires_at=__import__("datetime").datetime.now(UTC)))
        db.session.commit()
    phone = app.test_client()
    response = follow(phone, path)
    assert response.status_code == 410 and "expired" in response.get_data(as_text=True)
    assert phone.get("/young-person").status_code == 404


def test_the_young_person_can_be_shown_a_code_to_scan(app, client):
    reference = send_request(client, born=years_ago(15))
    moved = client.submit(f"/consent/{reference}/ask-young-person", {"how": "screen"})
    page = client.get(moved.headers["Location"]).get_data(as_text=True)
    assert "<svg" in page and "<path" in page
    link = BeautifulSoup(page, "html.parser").find(id="young-person-link").get_text(strip=True)
    phone = app.test_client()
    assert follow(phone, re.sub(r"^https?://[^/]+", "", link)).status_code == 302
    assert phone.get("/young-person").status_code == 200


def test_a_young_person_who_asked_for_themselves_gives_their_own_answer(app, client):
    client.answer_all(born=years_ago(16, days=5), who={"who": "young_person"},
                      **{"your-name": None})
    page = client.get("/request/check-answers").get_data(as_text=True)
    key = re.search(r'name="submission_key" value="([^"]+)"', page).group(1)
    sent = client.post("/request/check-answers",
                       data={"csrf_token": csrf_token(page), "submission_key": key})
    reference = sent.headers["Location"].rsplit("/", 1)[1]
    done = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert f"/young-person/yourself/{reference}" in done
    client.get(f"/young-person/yourself/{reference}")
    client.submit("/young-person/answer", {"decision": "yes", "signer_name": "Sam"})
    with app.app_context():
        assert request_row(app, reference).state == "ready_for_triage"


def test_withdrawal_from_the_email_link_in_three_steps(app, client):
    reference = send_request(client, email="undo@example.com")
    parent_signs(client, reference)
    with app.app_context():
        path = link_in(last_mail(app, "undo@example.com", "consent_receipt").body,
                       "withdraw/link")
    phone = app.test_client()
    step_1 = follow(phone, path)  # open the link, press Continue
    assert step_1.headers["Location"].endswith("/withdraw/confirm")
    step_2 = phone.submit("/withdraw/confirm", {"withdrawn_by": "Alex Example",
                                                "reason": "We moved area."})
    assert step_2.headers["Location"].endswith("/withdraw/done")
    receipt = phone.get("/withdraw/done").get_data(as_text=True)  # step 3: the receipt
    assert "Consent withdrawn" in receipt and reference in receipt
    assert "No new information will be added" in receipt
    with app.app_context():
        req = request_row(app, reference)
        assert req.state == "withdrawn"
        mail = last_mail(app, "undo@example.com", "withdrawal_receipt")
        assert reference in mail.body and "No new information" in mail.body
        assert _db(app).session.scalar(sa.select(sa.func.count()).select_from(
            ConsentWithdrawal).join(Consent).where(Consent.request_id == req.id)) == 1
    assert follow(app.test_client(), path).status_code == 410
    # The request is closed to new consent; the history is all still there.
    assert "This request is closed" in client.get(f"/consent/{reference}").get_data(
        as_text=True)


def test_withdrawal_from_the_receipt_page(app, client):
    reference = send_request(client)
    consent_id = parent_signs(client, reference)
    page = client.get(f"/consent/signed/{consent_id}").get_data(as_text=True)
    started = client.post(f"/withdraw/start/{consent_id}",
                          data={"csrf_token": csrf_token(page)})
    assert started.headers["Location"].endswith("/withdraw/confirm")
    client.submit("/withdraw/confirm", {"withdrawn_by": "Alex Example"})
    record = client.get(f"/consent/record/{consent_id}").get_data(as_text=True)
    assert "Withdrawn" in record
    # A second try shows the same receipt and records nothing new.
    client.post(f"/withdraw/start/{consent_id}", data={"csrf_token": csrf_token(page)})
    assert client.get("/withdraw/confirm").headers["Location"].endswith("/withdraw/done")
    with app.app_context():
        assert _db(app).session.scalar(sa.select(sa.func.count()).select_from(
            ConsentWithdrawal).where(ConsentWithdrawal.consent_id == consent_id)) == 1


def test_a_stranger_cannot_withdraw_or_read_a_consent(app, client):
    reference = send_request(client)
    consent_id = parent_signs(client, reference)
    stranger = app.test_client()
    page = stranger.get("/request").get_data(as_text=True)
    assert stranger.post(f"/withdraw/start/{consent_id}",
                         data={"csrf_token": csrf_token(page)}).status_code == 404
    assert stranger.get(f"/consent/record/{consent_id}").status_code == 404
    assert stranger.get(f"/consent/record/{consent_id}/pdf").status_code == 404
    assert stranger.get(f"/consent/{reference}").status_code == 404


def test_a_signed_consent_cannot_be_changed_or_deleted(app, client):
    consent_id = parent_signs(client, send_request(client))
    with app.app_context(), by_hand():
        db = _db(app)
        for statement in (
            sa.update(Consent).where(Consent.id == consent_id).values(signer_name="Someone"),
            sa.delete(Consent).where(Consent.id == consent_id),
            sa.update(ConsentText).values(body="Different words"),
            sa.delete(ConsentText),
        ):
            with pytest.raises(sa.exc.DatabaseError):
                db.session.execute(statement)
                db.session.flush()
            db.session.rollback()
        assert db.session.get(Consent, consent_id).signer_name == "Alex Example"


def test_a_new_text_version_leaves_old_signatures_pointing_at_their_text(app, client,
                                                                          tmp_path):
    first_id = parent_signs(client, send_request(client))
    words = tmp_path / "parent.txt"
    words.write_text(f"## What this means\nNew words {tmp_path.name}.\n")
    result = app.test_cli_runner().invoke(args=[
        "publish-consent-text", "parent", "en", str(words), "--by", "Register manager"])
    assert result.exit_code == 0 and "Published" in result.output
    second_id = parent_signs(client, send_request(client))
    with app.app_context():
        db = _db(app)
        first, second = db.session.get(Consent, first_id), db.session.get(Consent, second_id)
        old, new = (db.session.get(ConsentText, c.text_id) for c in (first, second))
        assert new.version == old.version + 1
        assert "New words" in new.body and "New words" not in old.body
        assert first.text_sha256 == old.sha256 and second.text_sha256 == new.sha256
    record = client.get(f"/consent/record/{first_id}").get_data(as_text=True)
    assert "New words" not in record and old.sha256 in record
    # Publishing the same words again makes no new version.
    again = app.test_cli_runner().invoke(args=[
        "publish-consent-text", "parent", "en", str(words), "--by", "Register manager"])
    assert "Unchanged" in again.output
    # Put the shipped text back for the other tests.
    from portal.cases.consent import publish_bundled_texts

    with app.app_context():
        publish_bundled_texts()
        _db(app).session.commit()


def test_the_consent_record_downloads_as_a_pdf(app, client):
    from pypdf import PdfReader

    reference = send_request(client)
    consent_id = parent_signs(client, reference, name="Jordan Example")
    response = client.get(f"/consent/record/{consent_id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert f"consent-record-{reference}.pdf" in response.headers["Content-Disposition"]
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    with app.app_context():
        consent = _db(app).session.get(Consent, consent_id)
    for shown in (reference, "Jordan Example", "Mother", f"Version {consent.text_version}",
                  consent.text_sha256[:16], "What being on the register means"):
        assert shown in re.sub(r"\s+", " ", text), shown


def test_reminders_are_queued_once_when_due(app, client):
    reference = send_request(client, born=years_ago(15, days=10), email="remind@example.com")
    parent_signs(client, reference)
    runner = app.test_cli_runner()
    today = date.today()

    def run(day: date) -> str:
        result = runner.invoke(args=["consent-reminders", "--today", day.isoformat()])
        assert result.exit_code == 0, result.output
        return result.output

    def kinds() -> list[str]:
        with app.app_context():
            return sorted(m.kind for m in _db(app).session.scalars(sa.select(
                OutboxMessage).where(OutboxMessage.to_address == "remind@example.com",
                                     OutboxMessage.kind.like("reminder_%"))))

    run(today)
    assert kinds() == []
    a_year_on = today + timedelta(days=366)  # a yearly check, and now they are 16
    run(a_year_on)
    run(a_year_on)  # running twice sends nothing twice
    assert kinds() == ["reminder_turned_16", "reminder_yearly_check"]
    with app.app_context():
        body = last_mail(app, "remind@example.com", "reminder_turned_16").body
        assert "/young-person/start/" in body
    run(today + timedelta(days=365 * 2 + 250))  # 17 and a half; a second yearly check
    assert kinds() == ["reminder_adult_register", "reminder_turned_16",
                       "reminder_yearly_check", "reminder_yearly_check"]
