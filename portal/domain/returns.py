"""The monthly return's figures, worked out from history alone (no web, no database).

Everything is counted as it stood at the end of the month's last day, or happened within
the month, so a change made later never moves a month already past: the figures kept at a
month's end and the ones worked out again afterwards are the same. Counts only: no names,
no dates of birth, nothing that points at one child."""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from portal.domain.suppression import HIDDEN, suppress_table

RATINGS = ("blue", "red", "amber", "green")
KEYWORKER_RATINGS = ("blue", "red", "amber")  # every child rated these should have one
CETR_KINDS = ("community", "inpatient", "post_admission")

AGE_BANDS = ("under_5", "5_9", "10_13", "14_15", "16_17", "18_over")

SEXES = ("female", "male", "indeterminate", "not_known")

# NHS ethnic categories (NHS Data Dictionary ETHNIC CATEGORY, 2001 census groups): the
# code kept on the entry, and the group the return counts it in.
ETHNIC_GROUPS = {
    "A": "white", "B": "white", "C": "white",
    "D": "mixed", "E": "mixed", "F": "mixed", "G": "mixed",
    "H": "asian", "J": "asian", "K": "asian", "L": "asian",
    "M": "black", "N": "black", "P": "black",
    "R": "other", "S": "other",
    "Z": "not_stated",
}
ETHNICITIES = tuple(ETHNIC_GROUPS)
GROUPS = ("white", "mixed", "asian", "black", "other", "not_stated")
NOT_RECORDED = "not_recorded"


@dataclass(frozen=True)
class Entry:
    id: int
    added_on: date
    born: date
    closed_on: date | None  # the local day it closed (None: open, or closed later)
    closed_reason: str | None
    sex: str | None = None
    ethnicity: str | None = None
    local_authority: str | None = None
    rating_now: str = "green"  # only if its rating history is missing


@dataclass(frozen=True)
class Rated:
    """A rating from `on` (a local day); `order` sorts changes on the same day."""
    entry_id: int
    on: date
    order: tuple[datetime, int]
    rating: str


@dataclass(frozen=True)
class Keyworked:
    entry_id: int
    on: date
    order: tuple[datetime, int]
    has_keyworker: bool


@dataclass(frozen=True)
class Review:
    """A C(E)TR that was held (cancelled ones are not counted)."""
    entry_id: int
    kind: str
    held_on: date
    due_by: date


@dataclass
class History:
    entries: list[Entry]
    ratings: list[Rated] = field(default_factory=list)
    keyworkers: list[Keyworked] = field(default_factory=list)
    cetrs: list[Review] = field(default_factory=list)


# Months ------------------------------------------------------------------------------------

def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def parse_month(month: str) -> tuple[int, int] | None:
    """(year, month) from "2026-10", or None if it is not one."""
    if len(month) != 7 or month[4] != "-" or not (month[:4] + month[5:]).isdigit():
        return None
    year, number = int(month[:4]), int(month[5:])
    if not (2000 <= year <= 2999 and 1 <= number <= 12):
        return None
    return year, number


def first_day(month: str) -> date:
    parsed = parse_month(month)
    if parsed is None:
        raise ValueError(month)
    return date(parsed[0], parsed[1], 1)


def last_day(month: str) -> date:
    start = first_day(month)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def previous_month(day: date) -> str:
    """The month before the one `day` is in."""
    return month_of(day.replace(day=1) - timedelta(days=1))


def months_from(first: str, last: str) -> list[str]:
    """Every month from `first` to `last`, oldest first."""
    found, day = [], first_day(first)
    end = first_day(last)
    while day <= end:
        found.append(month_of(day))
        day = last_day(month_of(day)) + timedelta(days=1)
    return found


# Who is who at a month's end -------------------------------------------------------------

def age_band(born: date, on: date) -> str:
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    if age < 5:
        return "under_5"
    if age < 10:
        return "5_9"
    if age < 14:
        return "10_13"
    if age < 16:
        return "14_15"
    if age < 18:
        return "16_17"
    return "18_over"


def ethnic_group(code: str | None) -> str:
    return ETHNIC_GROUPS.get(code or "", NOT_RECORDED)


def _by_entry(events: Iterable[Any]) -> dict[int, list[Any]]:
    found: dict[int, list[Any]] = defaultdict(list)
    for event in events:
        found[event.entry_id].append(event)
    for listed in found.values():
        listed.sort(key=lambda e: e.order)
    return found


def _latest(events: list[Any], end: date) -> Any | None:
    latest = None
    for event in events:
        if event.on > end:
            break
        latest = event
    return latest


def on_register(entry: Entry, end: date) -> bool:
    return entry.added_on <= end and (entry.closed_on is None or entry.closed_on > end)


def _zeros(keys: Iterable[str]) -> dict[str, int]:
    return {key: 0 for key in keys}


def figures(history: History, month: str) -> dict[str, Any]:
    """The month's return: plain counts, before any suppression."""
    start, end = first_day(month), last_day(month)
    ratings = _by_entry(history.ratings)
    keyworkers = _by_entry(history.keyworkers)

    live = _zeros(RATINGS)
    added = _zeros(RATINGS)
    removed: Counter[str] = Counter()
    admissions = 0
    cover = {rating: {"with": 0, "without": 0} for rating in KEYWORKER_RATINGS}
    by_age = {band: _zeros(RATINGS) for band in AGE_BANDS}
    by_sex = {sex: _zeros(RATINGS) for sex in (*SEXES, NOT_RECORDED)}
    by_group = {group: _zeros(RATINGS) for group in (*GROUPS, NOT_RECORDED)}
    by_area: dict[str, dict[str, int]] = {}

    for entry in history.entries:
        changes = ratings.get(entry.id, [])
        if start <= entry.added_on <= end:
            first = changes[0].rating if changes else entry.rating_now
            added[first] = added.get(first, 0) + 1
        if entry.closed_on is not None and start <= entry.closed_on <= end:
            removed[entry.closed_reason or "unknown"] += 1
        for before, after in zip(changes, changes[1:], strict=False):
            if (after.rating == "blue" and before.rating != "blue"
                    and start <= after.on <= end):
                admissions += 1
        if not on_register(entry, end):
            continue
        latest = _latest(changes, end)
        rating = latest.rating if latest else (changes[0].rating if changes
                                               else entry.rating_now)
        live[rating] = live.get(rating, 0) + 1
        if rating in cover:
            kw = _latest(keyworkers.get(entry.id, []), end)
            cover[rating]["with" if kw is not None and kw.has_keyworker else "without"] += 1
        by_age[age_band(entry.born, end)][rating] += 1
        by_sex[entry.sex if entry.sex in SEXES else NOT_RECORDED][rating] += 1
        by_group[ethnic_group(entry.ethnicity)][rating] += 1
        area = by_area.setdefault(entry.local_authority or NOT_RECORDED, _zeros(RATINGS))
        area[rating] += 1

    cetrs = {kind: {"held": 0, "on_time": 0} for kind in CETR_KINDS}
    for review in history.cetrs:
        if start <= review.held_on <= end:
            counted = cetrs.setdefault(review.kind, {"held": 0, "on_time": 0})
            counted["held"] += 1
            counted["on_time"] += review.held_on <= review.due_by

    return {
        "month": month,
        "on_register": live,
        "added": added,
        "removed": dict(sorted(removed.items())),
        "admissions": admissions,
        "cetrs": cetrs,
        "keyworkers": cover,
        "by_age": by_age,
        "by_sex": by_sex,
        "by_ethnicity": by_group,
        "by_local_authority": dict(sorted(by_area.items())),
    }


def canonical(figures_: dict[str, Any]) -> str:
    return json.dumps(figures_, sort_keys=True, separators=(",", ":"))


def fingerprint(figures_: dict[str, Any]) -> str:
    """SHA-256 of the figures: kept with the sign-off, to see whether they changed since."""
    return hashlib.sha256(canonical(figures_).encode()).hexdigest()


# Shown outside the service: small numbers hidden -------------------------------------

BREAKDOWNS = ("by_age", "by_sex", "by_ethnicity", "by_local_authority")
Grid = tuple[list[str], list[list[str]]]  # the rows' keys; every cell as shown, totals too


def shown_tables(found: dict[str, Any]) -> dict[str, Grid]:
    """Every table of the return as it may be shown outside the service: counts from 1 to
    4 hidden, with secondary suppression in each table; and the number of children with
    each rating, which several tables show (the register by rating, the keyworkers' row
    totals, each breakdown's total row), hidden in all of them wherever one hides it, so
    no table can give back what another hid."""
    on_rows = [[found["on_register"][r]] for r in RATINGS]
    kw_keys = list(found["keyworkers"])
    kw_rows = [[found["keyworkers"][r]["with"], found["keyworkers"][r]["without"]]
               for r in kw_keys]
    breakdowns = {name: (list(found[name]), [[row.get(r, 0) for r in RATINGS]
                                             for row in found[name].values()])
                  for name in BREAKDOWNS}
    shared: set[str] = set()
    while True:
        on = suppress_table(on_rows, hide=[(i, c) for i, r in enumerate(RATINGS)
                                           if r in shared for c in (0, 1)])
        hidden = {r for i, r in enumerate(RATINGS) if on[i][0] == HIDDEN}
        kw = suppress_table(kw_rows, hide=[(i, 2) for i, r in enumerate(kw_keys)
                                           if r in shared])
        hidden |= {r for i, r in enumerate(kw_keys) if kw[i][2] == HIDDEN}
        shown: dict[str, Grid] = {}
        for name, (keys, rows) in breakdowns.items():
            if not rows:  # nobody to break down (no local authority recorded, say)
                shown[name] = (keys, [])
                continue
            grid = suppress_table(rows, hide=[(len(rows), j) for j, r in enumerate(RATINGS)
                                              if r in shared])
            hidden |= {r for j, r in enumerate(RATINGS) if grid[len(rows)][j] == HIDDEN}
            shown[name] = (keys, grid)
        if hidden <= shared:
            break
        shared |= hidden
    removed = list(found["removed"])
    cetrs = list(found["cetrs"])
    return {
        "on_register": (list(RATINGS), on),
        "added": (list(RATINGS), suppress_table([[found["added"][r]] for r in RATINGS])),
        "removed": (removed, suppress_table([[found["removed"][k]] for k in removed])),
        "cetrs": (cetrs, suppress_table([[found["cetrs"][k]["on_time"],
                                          found["cetrs"][k]["held"]
                                          - found["cetrs"][k]["on_time"]] for k in cetrs])),
        "keyworkers": (kw_keys, kw),
        **shown,
    }
