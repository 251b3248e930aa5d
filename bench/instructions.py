"""Instructions per request, counted by valgrind's callgrind: the same figure every run,
whatever else the machine is doing (requests per second vary by 10% or more here).

    .venv/bin/python bench/instructions.py            # needs valgrind

For each page it runs the app in-process twice under callgrind, once with no requests
and once with N (each from a new client carrying a family's session cookie, as a phone
would), and prints the difference divided by N, and its ratio to a bare Flask route.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = {"bare Flask route": "/bench/bare", "content page": "/about/ratings",
         "question page": "/request/who"}


def _serve(path: str, count: int) -> None:
    """Child process: build the app, start a request, then fetch `path` count times."""
    os.environ["PORTAL_ENV"] = "test"
    sys.path.insert(0, str(ROOT))
    from bench.app import build
    from portal.data.migrate import upgrade

    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    app = build()
    with app.app_context():
        upgrade()
    client = app.test_client()
    page = client.get("/request").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/request/start", data={"csrf_token": token})
    cookie = client.get_cookie("dsr_session").value
    for _ in range(50 + count):  # warm up, then the requests counted
        fresh = app.test_client()
        fresh.set_cookie("dsr_session", cookie)
        assert fresh.get(path).status_code == 200


def _instructions(path: str, count: int) -> int:
    result = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
         __file__, "--serve", path, str(count)],
        capture_output=True, text=True, check=True, cwd=ROOT)
    return int(re.search(r"Collected : (\d+)", result.stderr).group(1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--serve", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve(args.serve[0], int(args.serve[1]))
        return
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed")
    counts = {name: (_instructions(path, args.requests) - _instructions(path, 0))
              // args.requests for name, path in PAGES.items()}
    bare = counts["bare Flask route"]
    print(f"{'page':30} {'instructions':>14} {'ratio to bare':>14}")
    for name, value in counts.items():
        print(f"{name:30} {value:>14,} {value / bare:>14.3f}")


if __name__ == "__main__":
    main()
