"""Finding a child on the volume data: milliseconds per search at 100,000 requests.

It makes a SQLite database (or uses `--url`, e.g. a PostgreSQL one already loaded), loads
made-up requests with `flask seed-volume` (a fifth of them on the register), adds a few
children with ordinary names among them, and times each kind of search as staff run it
(what was typed read, the database asked, names ranked), as a triage officer (requests and
entries) and as a partner agency (entries only). It prints the median and the slowest of
`--repeat` runs of each, in milliseconds. The page around it (about 10 ms to draw 50 rows,
see DESIGN.md) comes on top.

    .venv/bin/python bench/search.py [--requests 100000] [--repeat 20] [--url URL]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.live import migrate  # noqa: E402

FLASK = str(Path(sys.executable).parent / "flask")
NAMED = [("John Smith", "9434765919", date(2012, 5, 4)),
         ("Joanne Smythe", None, date(2011, 2, 3)),
         ("Catherine O'Brien", None, date(2014, 7, 21))]


def flask(url: str, *args: str) -> None:
    env = {**os.environ, "PORTAL_ENV": "test", "DATABASE_URL": url}
    subprocess.run([FLASK, "--app", "portal", *args], cwd=ROOT, env=env, check=True,
                   capture_output=True)


def add_named(app) -> None:  # type: ignore[no-untyped-def]
    """A few children with ordinary names, stored the way the service stores a request."""
    from sqlalchemy import insert

    from portal.cases.operation import operation
    from portal.data.requests import SupportRequest, last_request_id, name_key
    from portal.extensions import db

    @operation
    def add() -> None:
        start = last_request_id()
        rows = []
        for n, (name, nhs, born) in enumerate(NAMED, start=1):
            rows.append({
                "id": start + n, "reference": f"BEN-{start + n:08d}",
                "idempotency_key": f"bench-search-{start + n}", "state": "ready_for_triage",
                "locale": "en", "submitted_at": time_now(), "requester_role": "parent",
                "requester_name": "Bench Parent", "contact_method": "phone",
                "child_name": name, "child_date_of_birth": born, "nhs_number": nhs,
                "postcode": "LS1 4AP", "living_situation": "family_home",
                "education_setting": "Example School", "autism": "diagnosed",
                "learning_disability": "no", "in_hospital": False, "risks": [],
                "services": [], "preferred_language": "English", "needs_interpreter": False,
                "suggested_rating": "green", "suggestion_reasons": [],
                "name_key": name_key(name), "version_id": 1})
        db.session.execute(insert(SupportRequest), rows)

    with app.app_context():
        add()
        db.session.commit()


def time_now():  # type: ignore[no-untyped-def]
    from portal.data.base import utcnow

    return utcnow()


SEARCHES = [
    ("name, misspelt and reordered", "Smyth, Jonh"),
    ("name, found nowhere", "Zebedee Xylophonist"),
    ("name shared by every volume row", "Volume Chlid"),
    ("reference", "vol 00001234"),
    ("NHS number", "943 476 5919"),
    ("date of birth", "04/05/2012"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--url", help="a database already loaded with seed-volume")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        url = args.url
        if url is None:
            url = f"sqlite:///{folder}/search.sqlite3"
            started = time.perf_counter()
            migrate(url)
            flask(url, "seed-volume", "--requests", str(args.requests), "--entries",
                  str(args.requests // 5))
            print(f"Loaded {args.requests:,} requests in {time.perf_counter() - started:.0f} s")
        os.environ.update(PORTAL_ENV="test", DATABASE_URL=url)
        from portal import create_app
        from portal.data import search as store
        from portal.domain.names import parse_query

        app = create_app()
        if args.url is None:
            add_named(app)
        print(f"{'search':34} {'as':8} {'found':>6} {'median ms':>10} {'slowest ms':>11}")
        with app.app_context():
            for label, typed in SEARCHES:
                for who, entries_only in (("triage", False), ("partner", True)):
                    times = []
                    found = 0
                    for _ in range(args.repeat):
                        begun = time.perf_counter()
                        results = store.search(parse_query(typed), entries_only=entries_only)
                        times.append((time.perf_counter() - begun) * 1000)
                        found = results.total
                    print(f"{label:34} {who:8} {found:6d} {statistics.median(times):10.1f} "
                          f"{max(times):11.1f}")


if __name__ == "__main__":
    main()
