"""Staff accounts: nobody chooses another person's password (a new member of staff gets a
single-use set-up link and chooses their own), every role given or changed is audited and
emailed to every admin, two-factor secrets are encrypted in the database (and the key can
be changed), and a password hashed with older argon2 settings is hashed again at sign-in.
On SQLite and PostgreSQL."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import argon2
import pyotp
import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from cryptography.fernet import Fernet

from portal.common.auth import decrypt_secret
from portal.data.audit import AuditEvent
from portal.data.migrate import downgrade, upgrade
from portal.data.outbox import OutboxMessage
from portal.data.staff import StaffUser
from portal.extensions import db
from tests.conftest import _postgres_database
from tests.integration.staff_support import PASSWORD, current_code, make_staff, sign_in
from tests.integration.test_migrations import new_app
from tests.support import by_hand, csrf_token

CHOSEN = "Otter-Bramble-Quarry-58"
LINK = re.compile(r"https?://\S+/staff/set-up/[\w.\-]+")


def emails_to(app, address: str) -> list[OutboxMessage]:
    with app.app_context():
        return list(db.session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.to_address == address).order_by(OutboxMessage.id)))


def stored(app, email: str) -> StaffUser:
    with app.app_context():
        user = db.session.scalars(sa.select(StaffUser).where(StaffUser.email == email)).one()
        db.session.expunge(user)
        return user


def set_up_path(app, address: str) -> str:
    (message,) = [m for m in emails_to(app, address) if m.kind == "staff_set_up"][-1:]
    return re.sub(r"^https?://[^/]+", "", LINK.search(message.body).group(0))


def password_step(client, email: str, password: str):
    return client.submit("/staff/sign-in", {"email": email, "password": password})


def add_staff(client, email: str, role: str, **extra: str):
    return client.submit("/staff/admin/staff/new",
                         {"name": "Rhea New", "email": email, "role": role, **extra})


def test_an_admin_cannot_give_a_new_account_a_password_they_chose(app, client):
    """The attack: an admin (who sees no child records) made a register manager with a
    password of their own choosing and signed in as them. Now the admin's form has no
    password, a password sent anyway is ignored, and the account cannot be signed in to
    until its owner chooses a password through the link emailed to them."""
    admin = make_staff(app, "admin")
    sign_in(client, admin)
    form = client.get("/staff/admin/staff/new").get_data(as_text=True)
    assert 'type="password"' not in form
    email = f"manager.{uuid.uuid4().hex[:8]}@example.org"
    made = add_staff(client, email, "register_manager", password=CHOSEN)
    assert made.status_code == 302
    assert "sent a link to set up their account" in client.get(
        "/staff/admin/staff").get_data(as_text=True)

    stranger = client.application.test_client()
    refused = password_step(stranger, email, CHOSEN)
    assert refused.status_code == 200 and "Those details are not right" in refused.get_data(
        as_text=True)
    assert stored(app, email).password_hash == "!"

    # The owner's email: a link that works once, for 72 hours.
    (invite,) = [m for m in emails_to(app, email) if m.kind == "staff_set_up"]
    assert "works once" in invite.body and "72 hours" in invite.body


def test_the_new_member_of_staff_chooses_their_own_password_once(app, client):
    admin = make_staff(app, "admin")
    sign_in(client, admin)
    email = f"triage.{uuid.uuid4().hex[:8]}@example.org"
    assert add_staff(client, email, "triage_officer").status_code == 302
    path = set_up_path(app, email)

    owner = client.application.test_client()
    for _ in range(2):  # a mail scanner opening the link uses nothing up
        page = owner.get(path)
        assert page.status_code == 200 and "Choose your password" in page.get_data(
            as_text=True)
    for password, again, message in (("short-one", "short-one", "12 characters or more"),
                                     ("Password123456!", "Password123456!", "too common"),
                                     (CHOSEN, CHOSEN + "x", "do not match")):
        answer = owner.submit(path, {"password": password, "confirm": again})
        html = answer.get_data(as_text=True)
        assert answer.status_code == 200 and message in html
        assert password not in html  # a password is never sent back to the page
    done = owner.submit(path, {"password": CHOSEN, "confirm": CHOSEN})
    assert done.status_code == 302 and done.headers["Location"].endswith("/staff/set-up/done")
    assert owner.get(path).status_code == 410  # used: it works once

    # They sign in with their own password, then set up codes as on any first sign-in.
    moved = password_step(owner, email, CHOSEN)
    assert moved.headers["Location"].endswith("/staff/sign-in/set-up-codes")
    with app.app_context():
        events = db.session.scalars(sa.select(AuditEvent.action).where(
            AuditEvent.subject_type == "staff",
            AuditEvent.subject_id == str(stored(app, email).id))).all()
    assert {"staff.created", "staff.set_up_link_sent", "staff.password_chosen"} <= set(events)


def test_a_new_set_up_link_ends_the_old_one(app, client):
    admin = make_staff(app, "admin")
    sign_in(client, admin)
    email = f"partner.{uuid.uuid4().hex[:8]}@example.org"
    add_staff(client, email, "partner_viewer")
    first = set_up_path(app, email)
    user = stored(app, email)
    page = client.get("/staff/admin/staff").get_data(as_text=True)
    assert "Password not chosen yet" in page
    sent = client.post(f"/staff/admin/staff/{user.id}/set-up-link",
                       data={"csrf_token": csrf_token(page)})
    assert sent.status_code == 302
    second = set_up_path(app, email)
    assert second != first
    owner = client.application.test_client()
    assert owner.get(first).status_code == 410
    assert owner.get(second).status_code == 200


def test_role_changes_are_audited_and_emailed_to_every_admin(app, client):
    admin, other_admin = make_staff(app, "admin"), make_staff(app, "admin")
    officer = make_staff(app, "triage_officer")
    sign_in(client, admin)
    changed = client.submit(f"/staff/admin/staff/{officer.id}/role",
                            {"role": "register_manager"})
    assert changed.status_code == 302
    assert stored(app, officer.email).role == "register_manager"
    with app.app_context():
        event = db.session.scalars(sa.select(AuditEvent).where(
            AuditEvent.action == "staff.role_changed",
            AuditEvent.subject_id == str(officer.id))).one()
        assert (event.actor_id, event.detail["before"], event.detail["after"]) == (
            str(admin.id), "triage_officer", "register_manager")
    for someone in (admin, other_admin):
        (told,) = [m for m in emails_to(app, someone.email) if m.kind == "staff_role_changed"
                   and officer.email in m.body and "This is a new account" not in m.body]
        assert "now has this role: Register manager" in told.body
        assert "before was: Triage officer" in told.body and admin.name in told.body
    # Nobody changes their own role.
    assert client.get(f"/staff/admin/staff/{admin.id}/role").status_code == 403


def test_a_new_account_is_emailed_to_every_admin(app, client):
    admin = make_staff(app, "admin")
    sign_in(client, admin)
    email = f"admin.{uuid.uuid4().hex[:8]}@example.org"
    add_staff(client, email, "admin")
    (told,) = [m for m in emails_to(app, admin.email) if m.kind == "staff_role_changed"
               and email in m.body]
    assert "This is a new account." in told.body


def test_create_staff_takes_no_password_and_prints_a_set_up_link(app):
    runner = app.test_cli_runner()
    email = f"cli.{uuid.uuid4().hex[:8]}@example.org"
    refused = runner.invoke(args=["create-staff", email, "--name", "Cli Person", "--role",
                                  "admin", "--password", CHOSEN])
    assert refused.exit_code != 0 and "--password" in refused.output
    made = runner.invoke(args=["create-staff", email, "--name", "Cli Person", "--role",
                               "admin"])
    assert made.exit_code == 0, made.output
    printed = LINK.search(made.output).group(0)
    assert printed in emails_to(app, email)[-1].body
    assert stored(app, email).password_hash == "!"
    owner = app.test_client()
    path = re.sub(r"^https?://[^/]+", "", printed)
    assert owner.submit(path, {"password": CHOSEN, "confirm": CHOSEN}).status_code == 302
    assert password_step(owner, email, CHOSEN).status_code == 302


def enrol(client, email: str) -> str:
    """Sign in for the first time and set up codes. Returns the key the app was given."""
    password_step(client, email, PASSWORD)
    page = client.get("/staff/sign-in/set-up-codes").get_data(as_text=True)
    key = BeautifulSoup(page, "html.parser").find(id="totp-key").get_text().replace(" ", "")
    done = client.submit("/staff/sign-in/set-up-codes", {"code": pyotp.TOTP(key).now()})
    assert done.status_code == 302
    return key


def raw_secret(app, user_id: int) -> str:
    with app.app_context():
        return db.session.scalar(sa.text("SELECT totp_secret FROM staff_users WHERE id = :i"),
                                 {"i": user_id})


def test_two_factor_secrets_are_encrypted_and_the_key_can_be_changed(app, client,
                                                                    monkeypatch):
    user = make_staff(app, "triage_officer", enrolled=False)
    key = enrol(client, user.email)
    kept = raw_secret(app, user.id)
    assert key not in kept and kept.startswith("gAAAAA")
    with app.app_context():
        assert decrypt_secret(kept) == key

    old = app.config["TOTP_ENCRYPTION_KEYS"]
    new = Fernet.generate_key().decode()
    monkeypatch.setitem(app.config, "TOTP_ENCRYPTION_KEYS", [new, *old])
    result = app.test_cli_runner().invoke(args=["rotate-totp-key"])
    assert result.exit_code == 0, result.output
    monkeypatch.setitem(app.config, "TOTP_ENCRYPTION_KEYS", [new])  # the old key removed
    rotated = raw_secret(app, user.id)
    assert rotated != kept
    with app.app_context():
        assert decrypt_secret(rotated) == key
    fresh = app.test_client()
    password_step(fresh, user.email, PASSWORD)
    # The next code (the one set-up used cannot be used again).
    done = fresh.submit("/staff/sign-in/code", {"code": current_code(key, 1)})
    assert done.status_code == 302 and done.headers["Location"].endswith("/staff/")


def test_a_password_hashed_with_older_settings_is_hashed_again_at_sign_in(app, client):
    user = make_staff(app, "partner_viewer")
    weak = argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    with app.app_context(), by_hand():
        db.session.execute(sa.update(StaffUser).where(StaffUser.id == user.id)
                           .values(password_hash=weak.hash(PASSWORD)))
        db.session.commit()
    sign_in(client, user)
    now = stored(app, user.email).password_hash
    assert not argon2.PasswordHasher().check_needs_rehash(now)
    assert argon2.PasswordHasher().verify(now, PASSWORD)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'codes.sqlite3'}"
    else:
        yield from _postgres_database()


def test_the_migration_encrypts_secrets_already_kept_and_goes_down_again(empty_database):
    plain = pyotp.random_base32()
    app = new_app(empty_database)
    with app.app_context():
        try:
            upgrade("0008")
            with by_hand():
                db.session.execute(sa.text(
                    "INSERT INTO staff_users (email, name, role, password_hash, totp_secret, "
                    "session_version, version_id, created_at, updated_at) VALUES "
                    "('old@example.org', 'Old', 'admin', '!', :s, 1, 1, :t, :t)"),
                    {"s": plain, "t": "2026-01-01 00:00:00"})
                db.session.commit()
            upgrade()
            kept = db.session.scalar(sa.text("SELECT totp_secret FROM staff_users"))
            assert kept != plain and decrypt_secret(kept) == plain
            db.session.commit()
            downgrade("0008")
            assert db.session.scalar(sa.text("SELECT totp_secret FROM staff_users")) == plain
            db.session.commit()
        finally:
            db.session.rollback()
            db.engine.dispose()
