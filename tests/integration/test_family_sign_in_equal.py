"""Family sign-in does the same work whether or not the address is known, so how long it
takes says nothing about who uses the service. Time itself is measured in
bench/family_sign_in.py; here, the work: the same SQL statements, in the same order, for
a known address, an unknown one, and a known one that has asked too often."""

from __future__ import annotations

import re
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy import event

from portal.data.drafts import EmailLink
from portal.data.outbox import OutboxMessage
from tests.integration.test_staff_casework import ready_request
from tests.support import csrf_token

_TABLE = re.compile(r'\b(?:FROM|INTO|UPDATE)\s+"?(\w+)', re.IGNORECASE)


def kind(statement: str) -> str:
    """What a statement does, and to which table ("INSERT email_links"). Ending a savepoint
    is one statement either way: kept (RELEASE) or undone (ROLLBACK TO)."""
    text = " ".join(statement.split()).upper()
    if text.startswith(("RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")):
        return "END SAVEPOINT"
    if text.startswith("SAVEPOINT"):
        return "SAVEPOINT"
    table = _TABLE.search(statement)
    return f"{text.split()[0]} {table.group(1).lower() if table else ''}".strip()


@contextmanager
def statements(app):
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:
        seen.append(kind(statement))

    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def ask_for_link(app, email: str) -> list[str]:
    """The statements run by one family sign-in form sent (not the page drawn before)."""
    client = app.test_client()
    page = client.get("/account/sign-in")
    token = csrf_token(page.get_data(as_text=True))
    with statements(app) as seen:
        sent = client.post("/account/sign-in", data={"csrf_token": token, "email": email})
    assert sent.status_code == 302 and sent.headers["Location"].endswith("/check-your-email")
    return seen


def kept(app, model, email: str) -> int:
    """Sign-in emails queued for, or sign-in links made for, an address."""
    found = (sa.select(sa.func.count()).select_from(OutboxMessage).where(
        OutboxMessage.to_address == email, OutboxMessage.kind == "family_sign_in")
        if model is OutboxMessage else sa.select(sa.func.count()).select_from(EmailLink)
        .where(EmailLink.subject == email, EmailLink.purpose == "family-sign-in"))
    with app.app_context():
        return int(app.extensions["sqlalchemy"].session.scalar(found))


def test_known_and_unknown_addresses_run_the_same_statements(app):
    known = ready_request(app).contact_email
    ask_for_link(app, "warm.up@example.com")  # anything done once per process, done

    for_known = ask_for_link(app, known)
    for_unknown = ask_for_link(app, "nobody.here@example.com")

    assert for_known == for_unknown
    # Both made a link and queued an email: the known address's are kept...
    assert "INSERT email_links" in for_known and "INSERT outbox_messages" in for_known
    assert kept(app, OutboxMessage, known) == 1 and kept(app, EmailLink, known) == 1
    # ...the unknown address's were undone: nothing is kept, nothing will be sent.
    assert kept(app, OutboxMessage, "nobody.here@example.com") == 0
    assert kept(app, EmailLink, "nobody.here@example.com") == 0


def test_an_address_that_asked_too_often_runs_the_same_statements_too(app):
    known = ready_request(app).contact_email
    for _ in range(app.config["FAMILY_LINKS_PER_HOUR"]):
        allowed = ask_for_link(app, known)
    over = ask_for_link(app, known)
    assert over == allowed == ask_for_link(app, "nobody.else@example.com")
    assert kept(app, OutboxMessage, known) == app.config["FAMILY_LINKS_PER_HOUR"]
