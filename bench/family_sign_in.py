"""Family sign-in: is asking for a link as slow for an unknown address as for a known one?

It makes a SQLite database, sends one request with a parent's consent (so one address
is known), serves the app with gunicorn, and sends the sign-in form for the known
address and for unknown ones in turn, each from a new connection, as a phone would. It
prints the median time of each and their ratio (aim: between 0.9 and 1.1). The known
address is asked at most FAMILY_LINKS_PER_HOUR times an hour, so the run sets that high.

    .venv/bin/python bench/family_sign_in.py [--rounds 31]
"""

from __future__ import annotations

import argparse
import http.client
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.live import gunicorn, migrate  # noqa: E402

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def known_address(database_url: str) -> str:
    """Send one request through the journey in-process; its contact address is known."""
    import os

    os.environ.setdefault("PORTAL_ENV", "test")
    from tests.conftest import make_app
    from tests.integration.test_staff_casework import ready_request

    app = make_app(database_url)
    email = ready_request(app).contact_email
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()
    return email


def ask(base: str, email: str) -> float:
    """Seconds from sending the form to the answer (the page's form fetched first)."""
    parts = urlsplit(base)
    page = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    page.request("GET", "/account/sign-in")
    answer = page.getresponse()
    html = answer.read().decode()
    cookie = answer.getheader("Set-Cookie", "").split(";", 1)[0]
    page.close()
    token = CSRF.search(html)
    assert token, "no form on the sign-in page"
    body = urlencode({"csrf_token": token.group(1), "email": email})
    post = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    start = time.perf_counter()
    post.request("POST", "/account/sign-in", body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    sent = post.getresponse()
    sent.read()
    took = time.perf_counter() - start
    post.close()
    assert sent.status == 302, sent.status
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=31)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        database = f"sqlite:///{Path(folder) / 'portal.sqlite3'}"
        migrate(database)
        email = known_address(database)
        settings = {"FAMILY_LINKS_PER_HOUR": str(options.rounds + 5),
                    "RATELIMIT_ENABLED": "0"}
        with gunicorn(database, workers=1, threads=1, extra_env=settings) as base:
            for number in range(3):  # warm up
                ask(base, email)
                ask(base, f"warm.up.{number}@example.com")
            known, unknown = [], []
            for number in range(options.rounds):
                known.append(ask(base, email))
                unknown.append(ask(base, f"nobody.{number}@example.com"))
    known_ms = statistics.median(known) * 1000
    unknown_ms = statistics.median(unknown) * 1000
    print(f"known address:   median {known_ms:.1f} ms over {options.rounds}")
    print(f"unknown address: median {unknown_ms:.1f} ms over {options.rounds}")
    print(f"unknown / known: {unknown_ms / known_ms:.2f}")


if __name__ == "__main__":
    main()
