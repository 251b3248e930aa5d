"""Staff accounts and sign-in for tests: a fresh account per test, signed in for real."""

from __future__ import annotations

import itertools
import re
import time
import uuid
from typing import Any

import pyotp
import sqlalchemy as sa

from portal.data.base import utcnow
from portal.data.staff import StaffUser
from tests.support import by_hand, csrf_token

PASSWORD = "Heron-Meadow-Lantern-42"
_numbers = itertools.count(1)


def make_staff(app: Any, role: str, *, enrolled: bool = True, name: str | None = None
               ) -> StaffUser:
    from portal.cases import staff as staff_cases
    from portal.cases.operation import Actor
    from portal.common.auth import encrypt_secret, hash_password
    from portal.data.staff import Role

    db = app.extensions["sqlalchemy"]
    with app.app_context():
        user = staff_cases.create(
            Actor.system("tests"), email=f"{role}-{uuid.uuid4().hex[:8]}@example.org",
            name=name or f"{role.replace('_', ' ').title()} {next(_numbers)}",
            role=Role(role), password_hash=hash_password(PASSWORD))
        secret = pyotp.random_base32()
        if enrolled:
            with by_hand():
                user.totp_secret = encrypt_secret(secret)  # stored encrypted, as the app does
                user.totp_confirmed_at = utcnow()
                db.session.flush()
        db.session.commit()
        db.session.refresh(user)
        db.session.expunge(user)
    if enrolled:
        user.totp_secret = secret  # the detached copy holds what the person's app holds
    return user


def current_code(secret: str, offset: int = 0) -> str:
    totp = pyotp.TOTP(secret)
    return totp.at(time.time() + offset * totp.interval)


def sign_in(client: Any, user: StaffUser, *, code_offset: int = 0) -> Any:
    """Email and password, then the code. Returns the last response."""
    password = client.submit("/staff/sign-in", {"email": user.email, "password": PASSWORD})
    assert password.status_code == 302, password.get_data(as_text=True)[:2000]
    assert password.headers["Location"].endswith("/staff/sign-in/code")
    done = client.submit("/staff/sign-in/code",
                         {"code": current_code(user.totp_secret, code_offset)})
    assert done.status_code == 302, done.get_data(as_text=True)[:2000]
    return done


def forget_last_code(app: Any, user: StaffUser) -> None:
    """Let the same code be used again (a second device signing in within 30 seconds)."""
    with app.app_context(), by_hand():
        db = app.extensions["sqlalchemy"]
        db.session.execute(sa.update(StaffUser).where(StaffUser.id == user.id)
                           .values(totp_last_step=None))
        db.session.commit()


def post_form(client: Any, page_url: str, action: str, data: dict[str, Any]) -> Any:
    """Post a form from a page (the token from that page), as a browser would."""
    page = client.get(page_url)
    assert page.status_code == 200, (page_url, page.status_code)
    return client.post(action, data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                     **data})


def version_on(html: str, name: str = "version") -> str:
    return re.search(rf'name="{name}" value="(\d+)"', html).group(1)


def queue_rows(client: Any, url: str = "/staff/queue", pages: int = 40) -> list[str]:
    """The text of every row of the queue, in order, across all its pages (the databases
    are shared by the whole test run, so a request can rightly be on page 2)."""
    from bs4 import BeautifulSoup

    rows: list[str] = []
    joiner = "&" if "?" in url else "?"
    for page in range(1, pages + 1):
        soup = BeautifulSoup(client.get(f"{url}{joiner}page={page}").get_data(as_text=True),
                             "html.parser")
        table = soup.select_one("table.app-queue")
        if table is not None:
            rows += [tr.get_text(" ", strip=True) for tr in table.select("tbody tr")]
        if soup.select_one(".govuk-pagination__next") is None:
            break
    return rows


def row_for(rows: list[str], reference: str) -> str:
    found = [row for row in rows if reference in row]
    assert len(found) == 1, f"{reference} is in {len(found)} rows of the queue"
    return found[0]


def position(rows: list[str], reference: str) -> int:
    return next(i for i, row in enumerate(rows) if reference in row)
