"""Staff pages at 1,000 and at 100,000 requests: does the time stay flat as data grows?

For each size it makes a SQLite database, loads made-up requests (a fifth of them on the
register) with `flask seed-volume`, serves it with gunicorn, signs a register manager in
(password and code), and times the queue, the register and the dashboard. It prints the
median time of each page at each size and the ratio large / small (aim: 1.3 or less).

    .venv/bin/python bench/staff.py [--small 1000] [--large 100000] [--requests 200]
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pyotp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.live import gunicorn, migrate  # noqa: E402

FLASK = str(Path(sys.executable).parent / "flask")
PAGES = ("/staff/queue", "/staff/queue?show=all", "/staff/register", "/staff/dashboard")
PASSWORD = "Bench-Heron-Meadow-2026"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def flask(url: str, *args: str) -> None:
    env = {**os.environ, "PORTAL_ENV": "test", "DATABASE_URL": url}
    subprocess.run([FLASK, "--app", "portal", *args], cwd=ROOT, env=env, check=True,
                   capture_output=True)


class Browser:
    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.host, self.port, self.cookie = parts.hostname, parts.port, ""

    def request(self, method: str, path: str, form: dict[str, str] | None = None
                ) -> tuple[int, str, str]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode()
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        connection.close()
        return response.status, response.getheader("Location") or "", text

    def submit(self, path: str, form: dict[str, str]) -> tuple[int, str, str]:
        _, _, page = self.request("GET", path)
        return self.request("POST", path, {"csrf_token": CSRF.search(page).group(1), **form})


def sign_in(base: str, email: str) -> Browser:
    browser = Browser(base)
    status, location, _ = browser.submit("/staff/sign-in",
                                         {"email": email, "password": PASSWORD})
    assert status == 302 and location.endswith("/set-up-codes"), (status, location)
    _, _, page = browser.request("GET", "/staff/sign-in/set-up-codes")
    key = re.search(r'id="totp-key">([^<]+)<', page).group(1).replace(" ", "")
    status, _, _ = browser.submit("/staff/sign-in/set-up-codes",
                                  {"code": pyotp.TOTP(key).now()})
    assert status == 302
    return browser


def measure(browser: Browser, path: str, count: int) -> float:
    for _ in range(10):  # warm up
        browser.request("GET", path)
    times = []
    for _ in range(count):
        start = time.perf_counter()
        status, _, _ = browser.request("GET", path)
        times.append(time.perf_counter() - start)
        assert status == 200, (path, status)
    return statistics.median(times) * 1000


def run_size(folder: str, rows: int, count: int) -> dict[str, float]:
    url = f"sqlite:///{folder}/bench-{rows}.sqlite3"
    migrate(url)
    flask(url, "seed-volume", "--requests", str(rows), "--entries", str(rows // 5))
    email = f"bench.{rows}@example.org"
    flask(url, "create-staff", email, "--name", "Bench Manager", "--role",
          "register_manager", "--password", PASSWORD)
    with gunicorn(url, workers=1) as base:
        browser = sign_in(base, email)
        return {path: measure(browser, path, count) for path in PAGES}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        small = run_size(folder, args.small, args.requests)
        large = run_size(folder, args.large, args.requests)
    print(f"median ms per page (gunicorn 1 worker, SQLite, {args.requests} requests each)")
    print(f"{'page':28} {args.small:>10,} {args.large:>10,} {'ratio':>7}")
    for path in PAGES:
        print(f"{path:28} {small[path]:10.2f} {large[path]:10.2f} "
              f"{large[path] / small[path]:7.2f}")


if __name__ == "__main__":
    main()
