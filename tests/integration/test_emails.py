"""Emails as their readers get them: the words and line breaks of each one, the message a
mail server receives (plain text and HTML, language), what a developer sees, and where
the links point."""

from __future__ import annotations

import email
import email.policy
import os
import re
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from portal.cases import emails
from portal.cases.operation import operation
from portal.common.urls import external_url
from portal.data.outbox import OutboxMessage
from portal.extensions import db

EXPECTED = Path(__file__).resolve().parents[1] / "emails"
UPDATE = os.environ.get("UPDATE_EMAIL_SAMPLES") == "1"
BASE = "https://dsr.example.org"
URL = re.compile(r"https?://\S+")

# Fixed sample data: the same words every run (no random references, no today's date).
REFERENCE = "DSR-ACDE-FGHJ"
TOKEN = "eyJwIjoic2FtcGxlIiwibiI6IjAxMjM0NTY3ODlhYmNkZWYifQ.Z1x2Yw.c2lnbmF0dXJlLXNhbXBsZS0w"
REQ = SimpleNamespace(reference=REFERENCE)
PARENT_CONSENT = SimpleNamespace(signer_role="parent", text_version=3,
                                 signed_at=datetime(2026, 3, 2, 14, 5, tzinfo=UTC))
YOUNG_CONSENT = SimpleNamespace(signer_role="young_person", text_version=2,
                                signed_at=datetime(2026, 7, 20, 9, 30, tzinfo=UTC))
WITHDRAWAL = SimpleNamespace(withdrawn_at=datetime(2026, 11, 23, 16, 45, tzinfo=UTC))
STAFF_LINK = f"{BASE}/staff/requests/42"


def _reminder(kind: str, link: str | None = None) -> dict[str, Any]:
    return {"reference": REFERENCE, "req": REQ, "link": link, "days": 14, "reminder": kind}


# Each email of the catalogue (and each branch a template takes) with what its operation
# passes. The file tests/emails/<name>.txt holds the plain text it must render to.
SAMPLES: dict[str, tuple[str, dict[str, Any]]] = {
    "request_received": ("request_received", {
        "reference": REFERENCE, "weeks": 4, "days": 14,
        "consent_url": f"{BASE}/consent/link/{TOKEN}"}),
    "request_received--young_person": ("request_received", {
        "reference": REFERENCE, "weeks": 4, "days": 14, "consent_url": None}),
    "save_return": ("save_return", {
        "link": f"{BASE}/request/return/{TOKEN}", "hours": 72, "days": 30}),
    "family_sign_in": ("family_sign_in", {
        "link": f"{BASE}/account/sign-in/{TOKEN}", "minutes": 15}),
    "family_message": ("family_message", {"reference": REFERENCE, "req": REQ}),
    "family_status": ("family_status", {"reference": REFERENCE, "req": REQ}),
    "consent_receipt": ("consent_receipt", {
        "reference": REFERENCE, "request": REQ, "consent": PARENT_CONSENT,
        "withdraw_url": f"{BASE}/withdraw/link/{TOKEN}"}),
    "consent_receipt--young_person": ("consent_receipt", {
        "reference": REFERENCE, "request": REQ, "consent": YOUNG_CONSENT,
        "withdraw_url": f"{BASE}/withdraw/link/{TOKEN}"}),
    "consent_invitation": ("consent_invitation", {
        "reference": REFERENCE, "request": REQ, "link": f"{BASE}/consent/link/{TOKEN}",
        "days": 14}),
    "young_person_invitation": ("young_person_invitation", {
        "reference": REFERENCE, "request": REQ,
        "link": f"{BASE}/young-person/start/{TOKEN}", "days": 14}),
    "young_person_link": ("young_person_link", {
        "reference": REFERENCE, "link": f"{BASE}/withdraw/link/{TOKEN}", "days": 400}),
    "withdrawal_receipt": ("withdrawal_receipt", {
        "reference": REFERENCE, "request": REQ, "withdrawal": WITHDRAWAL,
        "consent": PARENT_CONSENT, "months": 6, "years": 6}),
    "decision_accepted": ("decision_accepted", {"reference": REFERENCE, "req": REQ}),
    "decision_declined": ("decision_declined", {
        "reference": REFERENCE, "req": REQ,
        "reason": "The support Sam needs is already in place through the school.",
        "help_text": "Your GP can refer Sam to the local autism service.\n"
                     "Read about it at https://services.example.org/autism."}),
    "meeting_outcome": ("meeting_outcome", {
        "reference": REFERENCE, "req": REQ, "by": date(2026, 12, 3)}),
    "cetr_booked": ("cetr_booked", {
        "reference": REFERENCE, "req": REQ,
        "when": datetime(2026, 12, 8, 10, 30, tzinfo=UTC)}),
    "cetr_outcome": ("cetr_outcome", {
        "reference": REFERENCE, "req": REQ, "held_on": date(2026, 12, 8)}),
    "reminder_yearly_check": ("reminder_yearly_check", _reminder("yearly_check")),
    "reminder_turned_16": ("reminder_turned_16", _reminder(
        "turned_16", f"{BASE}/young-person/start/{TOKEN}")),
    "reminder_adult_register": ("reminder_adult_register", _reminder("adult_register")),
    "handover_invitation": ("handover_invitation", {
        "reference": REFERENCE, "link": f"{BASE}/young-person/adult-register/{TOKEN}",
        "days": 14}),
    "handover_family": ("handover_family", {"reference": REFERENCE, "req": REQ,
                                            "moved": True}),
    "handover_family--not_moved": ("handover_family", {"reference": REFERENCE, "req": REQ,
                                                       "moved": False}),
    "handover_young_person": ("handover_young_person", {"reference": REFERENCE,
                                                        "moved": True}),
    "handover_young_person--not_moved": ("handover_young_person", {
        "reference": REFERENCE, "moved": False}),
    "referral_received": ("referral_received", {
        "reference": REFERENCE, "consent_from": "parent", "care_status": "none", "weeks": 4}),
    "referral_received--care_order": ("referral_received", {
        "reference": REFERENCE, "consent_from": "parent", "care_status": "care_order",
        "weeks": 4}),
    "referral_received--council": ("referral_received", {
        "reference": REFERENCE, "consent_from": "council", "care_status": "care_order",
        "weeks": 4}),
    "referral_received--young_person": ("referral_received", {
        "reference": REFERENCE, "consent_from": "young_person", "care_status": "none",
        "weeks": 4}),
    "referral_young_person": ("referral_young_person", {
        "reference": REFERENCE, "link": f"{BASE}/young-person/start/{TOKEN}", "days": 14}),
    "referral_council_consent": ("referral_council_consent", {
        "reference": REFERENCE, "link": f"{BASE}/consent/council/link/{TOKEN}", "days": 14}),
    "referral_may_follow": ("referral_may_follow", {
        "reference": REFERENCE, "link": f"{BASE}/account/sign-in"}),
    "staff_handover_answer": ("staff_handover_answer", {
        "reference": REFERENCE, "link": STAFF_LINK}),
    "staff_message": ("staff_message", {"reference": REFERENCE, "link": STAFF_LINK}),
    "staff_consent_withdrawn": ("staff_consent_withdrawn", {
        "reference": REFERENCE, "link": STAFF_LINK}),
    "staff_childs_view": ("staff_childs_view", {"reference": REFERENCE, "link": STAFF_LINK}),
    "alert_urgent_request": ("alert_urgent_request", {"link": STAFF_LINK,
                                                      "danger_now": False}),
    "alert_urgent_request--danger_now": ("alert_urgent_request", {"link": STAFF_LINK,
                                                                  "danger_now": True}),
    "alert_admission": ("alert_admission", {"link": f"{BASE}/staff/register/12"}),
    "keyworker_notice": ("keyworker_notice", {
        "reference": REFERENCE, "what": "family_message", "link": STAFF_LINK}),
    "keyworker_notice--partner_update": ("keyworker_notice", {
        "reference": REFERENCE, "what": "partner_update", "link": STAFF_LINK}),
    "keyworker_reviews_due": ("keyworker_reviews_due", {
        "count": 3, "days": 7, "link": f"{BASE}/staff/my-children"}),
    "keyworker_reviews_due--one": ("keyworker_reviews_due", {
        "count": 1, "days": 7, "link": f"{BASE}/staff/my-children"}),
    "staff_set_up": ("staff_set_up", {
        "link": f"{BASE}/staff/set-up/{TOKEN}", "hours": 72,
        "sign_in_url": f"{BASE}/staff/sign-in"}),
    "staff_role_changed": ("staff_role_changed", {
        "name": "Rhea Manager", "email": "rhea.manager@example.org",
        "role_name": "Register manager", "before_name": "Triage officer", "by": "Ada Admin",
        "link": f"{BASE}/staff/admin/staff"}),
    "staff_role_changed--new_account": ("staff_role_changed", {
        "name": "Rhea Manager", "email": "rhea.manager@example.org",
        "role_name": "Register manager", "before_name": None, "by": "create-staff",
        "link": f"{BASE}/staff/admin/staff"}),
}


@pytest.fixture
def sample_app(sqlite_app, monkeypatch):
    """The app with the settings the samples show, outside any request (as a command)."""
    monkeypatch.setitem(sqlite_app.config, "BASE_URL", BASE)
    monkeypatch.setitem(sqlite_app.config, "BABEL_DEFAULT_TIMEZONE", "Europe/London")
    with sqlite_app.app_context():
        yield sqlite_app


def rendered(name: str) -> tuple[str, str]:
    kind, context = SAMPLES[name]
    return emails.render(kind, locale="en", **context)


def test_every_email_in_the_catalogue_has_a_sample():
    assert set(emails.CATALOGUE) <= {kind for kind, _ in SAMPLES.values()}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_each_email_reads_exactly_as_expected(sample_app, name):
    """The plain text of each email, whitespace and all, against tests/emails/<name>.txt.

    After changing an email on purpose, write the files again with
    `UPDATE_EMAIL_SAMPLES=1 .venv/bin/pytest -q tests/integration/test_emails.py`
    and read the difference before committing it."""
    subject, body = rendered(name)
    path = EXPECTED / f"{name}.txt"
    text = f"Subject: {subject}\n\n{body}"
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no expected text for {name}: run with UPDATE_EMAIL_SAMPLES=1"
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_each_email_is_tidy_plain_text(sample_app, name):
    """Paragraphs apart, every link whole on a line of its own, nothing run together."""
    _, body = rendered(name)
    assert body.endswith("\n") and not body.endswith("\n\n")
    assert not body.startswith("\n")
    assert "\n\n\n" not in body, "more than one blank line between paragraphs"
    assert "\r" not in body
    for line in body.split("\n"):
        assert line == line.rstrip(), f"space at the end of {line!r}"
        links = URL.findall(line)
        if links and name != "decision_declined":  # staff's own words may hold a link
            assert links == [line], f"a link shares its line: {line!r}"
    # A sentence never runs into the next line's sentence or a link.
    assert not re.search(r"[a-z][.:][A-Z-]|:https?://", body), body


def test_what_happens_after_a_withdrawal_is_a_list(sample_app):
    _, body = rendered("withdrawal_receipt")
    assert ("What happens now:\n- The child or young person will not be on the register, "
            "unless valid consent is given again.\n- No new information is added") in body


def test_links_come_on_their_own_line_after_what_they_are_for(sample_app):
    _, body = rendered("request_received")
    assert (f"The link works once and for 14 days:\n{BASE}/consent/link/{TOKEN}\n\n"
            in body)
    assert "we need consent.\n\nIf you have parental responsibility" in body


def test_the_request_email_says_how_to_follow_the_request(sample_app):
    for name in ("request_received", "request_received--young_person"):
        _, body = rendered(name)
        paragraphs = body.split("\n\n")
        start = paragraphs.index("Follow your request")
        how = "\n\n".join(paragraphs[start:start + 3])
        assert "enter the email address this email was sent to" in how
        assert how.endswith(f"\n{BASE}/account/sign-in")


def test_family_notices_carry_the_sign_in_link(sample_app):
    for name in ("family_message", "family_status"):
        _, body = rendered(name)
        assert f"Sign in to read them:\n{BASE}/account/sign-in\n" in body


# The message a mail server receives ------------------------------------------------------

def _queue(kind: str, to: str, dedupe: str, locale: str = "en", **context: Any) -> None:
    operation(emails.send)(kind, to, locale=locale, dedupe=dedupe, **context)
    db.session.commit()


def _send_outbox(app) -> Any:
    return app.test_cli_runner().invoke(args=["send-outbox", "--limit", "100000"])


def _received(smtp_server, app, to: str) -> email.message.EmailMessage:
    handler, port = smtp_server
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    try:
        result = _send_outbox(app)
    finally:
        app.config.update(MAIL_PORT=1)
    assert result.exit_code == 0, result.output
    ours = [m for m in handler.messages if m["To"] == to]
    assert len(ours) == 1
    # Read it again as a mail program would, from the bytes on the wire.
    return email.message_from_bytes(ours[0].as_bytes(), policy=email.policy.default)


def test_the_language_header_reaches_the_mail_server(app, app_context, smtp_server):
    to = f"language-{app.config['SQLALCHEMY_DATABASE_URI'][:6]}@example.com"
    _queue("family_sign_in", to, dedupe=f"language:{to}", link="https://example.org/x",
           minutes=15)
    received = _received(smtp_server, app, to)
    assert received["Content-Language"] == "en"


def test_the_mail_server_gets_plain_text_and_html_with_the_same_words(
        app, app_context, smtp_server):
    to = f"html-{app.config['SQLALCHEMY_DATABASE_URI'][:6]}@example.com"
    link = "https://example.org/account/sign-in/" + "a1B2c3D4" * 12  # longer than a line
    _queue("family_sign_in", to, dedupe=f"html:{to}", link=link, minutes=15)
    received = _received(smtp_server, app, to)
    assert received.get_content_type() == "multipart/alternative"
    plain = received.get_body(preferencelist=("plain",))
    html = received.get_body(preferencelist=("html",))
    assert plain.get_content_type() == "text/plain"
    assert html.get_content_type() == "text/html"
    text = plain.get_content()
    assert f"\n{link}\n" in text

    page = BeautifulSoup(html.get_content(), "html.parser")
    assert page.html["lang"] == "en"
    assert page.title.get_text() == "Your link to sign in"
    assert [a["href"] for a in page.find_all("a")] == [link]
    assert page.find("a").get_text() == link
    paragraphs = [p.get_text(" ", strip=True) for p in page.find_all("p")]
    assert paragraphs == [" ".join(part.split("\n")) for part in text.strip().split("\n\n")]
    assert page.find("script") is None


def test_lists_and_line_breaks_survive_in_html(sample_app):
    from portal.common.mail import html_body

    _, body = rendered("withdrawal_receipt")
    page = BeautifulSoup(html_body(body, subject="Consent withdrawn", locale="en"),
                         "html.parser")
    items = [li.get_text(strip=True) for li in page.find_all("li")]
    assert len(items) == 4 and items[0].startswith("The child or young person will not")
    assert "What happens now:" in [p.get_text(strip=True) for p in page.find_all("p")]

    _, declined = rendered("decision_declined")
    page = BeautifulSoup(html_body(declined, subject="Our decision", locale="en"),
                         "html.parser")
    assert [a["href"] for a in page.find_all("a")] == ["https://services.example.org/autism"]
    assert "<script>" not in html_body("<script>alert(1)</script>", subject="x", locale="en")


# What a developer sees -----------------------------------------------------------------

def test_the_console_prints_each_email_as_it_reads(app, app_context):
    to = f"console-{app.config['SQLALCHEMY_DATABASE_URI'][:6]}@example.com"
    link = "http://127.0.0.1:5000/account/sign-in/" + "x9Y8z7W6" * 12
    _queue("family_sign_in", to, dedupe=f"console:{to}", link=link, minutes=15)
    app.config.update(MAIL_BACKEND="console")
    try:
        result = _send_outbox(app)
    finally:
        app.config.update(MAIL_BACKEND="smtp")
    assert result.exit_code == 0
    assert f"To: {to}\nSubject: Your link to sign in\n" in result.output
    assert f"\n{link}\n" in result.output  # whole, not split by quoted-printable
    assert "=\n" not in result.output and "=3D" not in result.output
    assert "Use this link to sign in and follow your request" in result.output


@pytest.fixture
def dev_app(tmp_path):
    from tests.conftest import make_app

    return make_app(f"sqlite:///{tmp_path / 'dev.sqlite3'}", PORTAL_ENV="development")


def test_the_emails_page_is_not_there_outside_development(sqlite_app, sqlite_client):
    assert "devtools.emails" not in sqlite_app.view_functions
    assert sqlite_client.get("/dev/emails").status_code == 404


def test_the_emails_page_lists_every_email_newest_first(dev_app):
    client = dev_app.test_client()
    assert "There are no emails in the outbox yet" in client.get("/dev/emails").get_data(
        as_text=True)
    with dev_app.test_request_context(base_url="http://127.0.0.1:5001"):
        link = external_url("family.sign_in")
        _queue("family_sign_in", "first@example.com", dedupe="dev:1", link=link, minutes=15)
        _queue("save_return", "second@example.com", dedupe="dev:2",
               link=external_url("public.request_start"), hours=72, days=30)
    with dev_app.app_context():
        dev_app.config.update(MAIL_BACKEND="console")
        assert _send_outbox(dev_app).exit_code == 0  # sent: still listed
        _queue("decision_accepted", "third@example.com", dedupe="dev:3",
               reference=REFERENCE, req=REQ)  # not sent yet

    page = client.get("/dev/emails")
    assert page.status_code == 200
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    cards = soup.select(".govuk-summary-card")
    assert [c.select_one("h2").get_text(strip=True) for c in cards] == [
        f"Our decision about your request: {REFERENCE}",
        "Your link to carry on with your request",
        "Your link to sign in"]
    assert "Not sent yet" in cards[0].get_text()
    assert "Not sent yet" not in cards[2].get_text()
    # The links are whole, and lead to the page they name.
    hrefs = [a["href"] for a in cards[2].find_all("a")]
    assert hrefs == ["http://127.0.0.1:5001/account/sign-in"]
    assert client.get(hrefs[0].removeprefix("http://127.0.0.1:5001")).status_code == 200


def test_the_emails_page_refuses_unless_the_setting_says_development(dev_app):
    dev_app.config.update(PORTAL_ENV="production")
    try:
        assert dev_app.test_client().get("/dev/emails").status_code == 404
    finally:
        dev_app.config.update(PORTAL_ENV="development")


# Where links point ------------------------------------------------------------------------

def test_in_development_links_follow_the_address_the_browser_used(dev_app):
    dev_app.config.update(BASE_URL="http://127.0.0.1:5000")
    with dev_app.test_request_context("/", base_url="http://127.0.0.1:5123"):
        assert external_url("family.sign_in") == "http://127.0.0.1:5123/account/sign-in"
    with dev_app.app_context():  # a command, outside any request
        assert external_url("family.sign_in") == "http://127.0.0.1:5000/account/sign-in"


def test_elsewhere_links_always_use_the_base_url(sqlite_app, monkeypatch):
    monkeypatch.setitem(sqlite_app.config, "BASE_URL", "https://dsr.example.org")
    for env in ("production", "test"):
        monkeypatch.setitem(sqlite_app.config, "PORTAL_ENV", env)
        with sqlite_app.test_request_context("/", base_url="http://evil.example:8080"):
            assert external_url("family.sign_in") == "https://dsr.example.org/account/sign-in"


def test_an_emailed_link_follows_the_port_of_the_page_in_development(dev_app):
    """Asking for a save-and-return link on a server started on another port."""
    from tests.support import csrf_token

    client = dev_app.test_client()
    here = {"base_url": "http://127.0.0.1:5123"}

    def submit(path: str, data: dict[str, str]) -> Any:
        token = csrf_token(client.get(path, **here).get_data(as_text=True))
        return client.post(path, data={"csrf_token": token, **data}, **here)

    started = client.post("/request/start", data={"csrf_token": csrf_token(
        client.get("/request", **here).get_data(as_text=True))}, **here)
    assert started.status_code == 302
    assert submit("/request/who", {"who": "parent"}).status_code == 302
    assert submit("/request/save", {"email": "port@example.com"}).status_code == 302
    with dev_app.app_context():
        body = db.session.scalars(sa.select(OutboxMessage.body).where(
            OutboxMessage.to_address == "port@example.com")).one()
    assert "\nhttp://127.0.0.1:5123/request/return/" in body
