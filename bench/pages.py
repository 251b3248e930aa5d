"""Requests per second for a bare Flask route, a content page and a question page.

All three are served by the same gunicorn server in the same run, so the ratios to the
bare route compare like with like on whatever machine this runs on.

    make bench            (or: .venv/bin/python bench/pages.py --seconds 5)
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import re
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.live import gunicorn, migrate  # noqa: E402

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def _cookie_for_question(base: str) -> str:
    """Start a request, as a family would, so the question page has a draft behind it."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port)
    connection.request("GET", "/request")
    response = connection.getresponse()
    page = response.read().decode()
    cookie = response.getheader("Set-Cookie").split(";", 1)[0]
    connection.request("POST", "/request/start",
                       body=urlencode({"csrf_token": CSRF_RE.search(page).group(1)}),
                       headers={"Cookie": cookie,
                                "Content-Type": "application/x-www-form-urlencoded"})
    response = connection.getresponse()
    response.read()
    assert response.status == 302, response.status
    return (response.getheader("Set-Cookie") or cookie).split(";", 1)[0]


def _hammer(args: tuple[str, str, str, float]) -> int:
    base, path, cookie, seconds = args
    parts = urlsplit(base)
    headers = {"Cookie": cookie} if cookie else {}
    done = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        connection.close()
        if response.status != 200:
            raise RuntimeError(f"{path} answered {response.status}")
        done += 1
    return done


def measure(base: str, path: str, cookie: str, seconds: float, clients: int) -> float:
    with multiprocessing.get_context("spawn").Pool(clients) as pool:
        pool.map(_hammer, [(base, path, cookie, 0.5)] * clients)  # warm up
        counts = pool.map(_hammer, [(base, path, cookie, seconds)] * clients)
    return sum(counts) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.sqlite3"
        migrate(url)
        with gunicorn(url, workers=args.workers, app="bench.app:build()") as base:
            cookie = _cookie_for_question(base)
            pages = [
                ("bare Flask route", "/bench/bare", ""),
                ("content page (/about/ratings)", "/about/ratings", ""),
                ("question page (/request/who)", "/request/who", cookie),
            ]
            results = [(name, path, measure(base, path, c, args.seconds, args.clients))
                       for name, path, c in pages]
    bare = results[0][2]
    if args.json:
        print(json.dumps([{"page": n, "path": p, "rps": round(r, 1),
                           "ratio": round(r / bare, 3)} for n, p, r in results]))
        return
    print(f"gunicorn {args.workers} sync worker(s), {args.clients} client process(es), "
          f"{args.seconds:g}s per page, new connection per request")
    print(f"{'page':34} {'req/s':>9} {'ratio to bare':>14}")
    for name, _path, rps in results:
        print(f"{name:34} {rps:9.1f} {rps / bare:14.3f}")


if __name__ == "__main__":
    main()
