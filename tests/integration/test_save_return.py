"""Save and come back later, on another device; unfinished requests expire and are purged."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select, update

from portal.data.base import utcnow
from portal.data.drafts import Draft, EmailLink
from portal.data.outbox import messages_to
from tests.support import by_hand, csrf_token, error_summary

LINK_RE = re.compile(r"https?://\S+/request/return/(\S+)")


def _save_from_first_page(client, email: str = "parent@example.com"):
    client.start_request()
    saved = client.submit("/request/who", {"who": "parent", "action": "save"})
    assert saved.headers["Location"].endswith("/request/save")
    sent = client.submit("/request/save", {"email": email})
    assert sent.headers["Location"].endswith("/request/save/sent")
    assert email in client.get("/request/save/sent").get_data(as_text=True)


def _token(app, email: str) -> str:
    with app.app_context():
        body = messages_to(email)[-1].body
    return LINK_RE.search(body).group(1)


def _follow(other, token: str):
    page = other.get(f"/request/return/{token}")
    if page.status_code != 200:
        return page
    return other.post(f"/request/return/{token}",
                      data={"csrf_token": csrf_token(page.get_data(as_text=True))})


def test_a_link_carries_on_from_another_device(app, client):
    _save_from_first_page(client)
    token = _token(app, "parent@example.com")
    phone = app.test_client()
    # Opening the link (or a mail scanner fetching it) does not use it up.
    assert phone.get(f"/request/return/{token}").status_code == 200
    carried = _follow(phone, token)
    assert carried.headers["Location"].endswith("/request/child-name")
    who = phone.get("/request/who").get_data(as_text=True)
    assert re.search(r'value="parent"\s+checked', who)


def test_a_link_works_once(app, client):
    _save_from_first_page(client, "once@example.com")
    token = _token(app, "once@example.com")
    assert _follow(app.test_client(), token).status_code == 302
    again = _follow(app.test_client(), token)
    assert again.status_code == 410
    assert "already been used" in again.get_data(as_text=True)


def test_a_tampered_link_does_not_work(app, client):
    _save_from_first_page(client, "tamper@example.com")
    token = _token(app, "tamper@example.com")
    broken = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    response = app.test_client().get(f"/request/return/{broken}")
    assert response.status_code == 404
    assert "does not work" in response.get_data(as_text=True)


def test_an_expired_link_does_not_work(app, client):
    _save_from_first_page(client, "late@example.com")
    token = _token(app, "late@example.com")
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        with by_hand():
            db.session.execute(update(EmailLink).values(
                expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    response = _follow(app.test_client(), token)
    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True)


def test_the_link_is_stored_only_as_a_hash(app, client):
    _save_from_first_page(client, "hash@example.com")
    token = _token(app, "hash@example.com")
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        hashes = db.session.scalars(select(EmailLink.nonce_hash)).all()
    assert all(len(h) == 64 and h not in token for h in hashes)


def test_saving_keeps_what_was_typed_even_if_unfinished(app, client):
    client.start_request()
    client.submit("/request/who", {"who": "parent"})
    client.submit("/request/child-name", {"child_name": "Sam", "action": "save"})
    client.submit("/request/date-of-birth", {"child_dob-day": "31", "child_dob-month": "2",
                                             "child_dob-year": "20", "action": "save"})
    client.submit("/request/save", {"email": "typed@example.com"})
    phone = app.test_client()
    _follow(phone, _token(app, "typed@example.com"))
    html = phone.get("/request/date-of-birth").get_data(as_text=True)
    assert 'value="31"' in html and 'value="20"' in html


def test_save_needs_a_real_email_address(client):
    client.start_request()
    client.submit("/request/who", {"who": "parent", "action": "save"})
    html = client.submit("/request/save", {"email": "not-an-email"}).get_data(as_text=True)
    assert error_summary(html) == [
        ("#email", "Enter an email address in the correct format, like name@example.com")]
    assert 'value="not-an-email"' in html


def test_links_are_rate_limited(app, client):
    client.start_request()
    for _ in range(app.config["RETURN_LINKS_PER_HOUR"]):
        assert client.submit("/request/save", {"email": "many@example.com"}).status_code == 302
    html = client.submit("/request/save", {"email": "many@example.com"}).get_data(as_text=True)
    assert "Wait an hour" in html


def test_expired_drafts_are_purged_by_a_command(app, client):
    _save_from_first_page(client, "purge@example.com")
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        newest = db.session.scalars(select(Draft).order_by(Draft.created_at.desc())).first()
        with by_hand():
            newest.expires_at = utcnow() - timedelta(minutes=1)
            db.session.flush()
        db.session.commit()
        expired_id = newest.id
    result = app.test_cli_runner().invoke(args=["purge"])
    assert result.exit_code == 0 and "Removed" in result.output
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        assert db.session.get(Draft, expired_id) is None
        assert db.session.scalar(select(func.count()).select_from(EmailLink).where(
            EmailLink.draft_id == expired_id)) == 0
        assert db.session.scalar(select(func.count()).select_from(Draft).where(
            Draft.expires_at <= utcnow())) == 0
    # The family's browser is sent back to the start, not to an error.
    assert client.get("/request/child-name").headers["Location"].endswith("/request")


def test_new_drafts_expire_after_the_configured_days(app, client):
    client.start_request()
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        newest = db.session.scalars(select(Draft).order_by(Draft.created_at.desc())).first()
        left = newest.expires_at - utcnow()
    days = app.config["DRAFT_TTL_DAYS"]
    assert timedelta(days=days) - timedelta(minutes=5) < left <= timedelta(days=days)
