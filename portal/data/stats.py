"""Register figures kept as they change, so the dashboard never counts the whole register.

Each change to an entry adds small deltas to a row per (month, key): +1 Amber and -1 Red
in November, say. The live count is the sum of every month's deltas, and a month's
closing count is the sum up to that month: a few dozen rows whatever the register's size.
The deltas are written by portal.cases.figures.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from portal.data.base import Base
from portal.data.register import RatingChange, RegisterEntry
from portal.data.requests import SupportRequest
from portal.extensions import db

RATINGS = ("blue", "red", "amber", "green")
RAB = frozenset({"blue", "red", "amber"})


class RegisterStat(Base):
    __tablename__ = "register_stats"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def contribution(*, live: bool, rating: str, has_keyworker: bool) -> dict[str, int]:
    """What one entry adds to the live figures."""
    if not live:
        return {}
    parts = {f"live:{rating}": 1}
    if rating in RAB:
        parts["rab"] = 1
        if has_keyworker:
            parts["rab_keyworker"] = 1
    return parts


def live_total(rating: str | None = None) -> int:
    """Entries on the register now (with this rating, if given)."""
    from sqlalchemy import func

    keys = [f"live:{rating}"] if rating else [f"live:{r}" for r in RATINGS]
    return int(db.session.scalar(select(func.coalesce(func.sum(RegisterStat.value), 0))
                                 .where(RegisterStat.key.in_(keys))) or 0)


def monthly(last_month: str, months: int) -> list[tuple[str, dict[str, int]]]:
    """For each of the last N months: the live counts at its end, and its decisions."""
    rows = db.session.execute(select(RegisterStat.month, RegisterStat.key,
                                     RegisterStat.value).order_by(RegisterStat.month))
    by_month: dict[str, dict[str, int]] = defaultdict(dict)
    for month, key, value in rows:
        by_month[month][key] = value
    wanted = _months_back(last_month, months)
    running: dict[str, int] = defaultdict(int)
    result = []
    for month in sorted(set(by_month) | set(wanted)):
        if month > last_month:
            break
        for key, value in by_month.get(month, {}).items():
            if not key.startswith("decided"):
                running[key] += value
        if month in wanted:
            figures = dict(running)
            figures["decided"] = by_month.get(month, {}).get("decided", 0)
            figures["decided_days"] = by_month.get(month, {}).get("decided_days", 0)
            result.append((month, figures))
    return result


def _months_back(last: str, count: int) -> list[str]:
    year, month = (int(p) for p in last.split("-"))
    months = []
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return sorted(months)


def rebuilt_totals() -> dict[tuple[str, str], int]:
    """Every (month, key) figure worked out from the register itself, not from the deltas."""
    totals: dict[tuple[str, str], int] = defaultdict(int)
    changes: dict[int, list[tuple[date, str]]] = defaultdict(list)
    for entry_id, changed_at, rating in db.session.execute(
            select(RatingChange.entry_id, RatingChange.changed_at, RatingChange.rating)
            .order_by(RatingChange.entry_id, RatingChange.changed_at, RatingChange.id)):
        changes[entry_id].append((changed_at.date(), rating))
    for entry in db.session.execute(select(
            RegisterEntry.id, RegisterEntry.added_on, RegisterEntry.rating,
            RegisterEntry.keyworker, RegisterEntry.closed_at)).all():
        history = changes.get(entry.id) or [(entry.added_on, entry.rating)]
        has_keyworker = entry.keyworker is not None
        current: dict[str, int] = {}
        for day, rating in history:
            new = contribution(live=True, rating=rating, has_keyworker=has_keyworker)
            for key in set(current) | set(new):
                totals[(month_of(day), key)] += new.get(key, 0) - current.get(key, 0)
            current = new
        if entry.closed_at is not None:
            for key, value in current.items():
                totals[(month_of(entry.closed_at.date()), key)] -= value
    for submitted, decided in db.session.execute(select(
            SupportRequest.submitted_at, SupportRequest.decided_at)
            .where(SupportRequest.decided_at.is_not(None))):
        month = month_of(decided.date())
        totals[(month, "decided")] += 1
        totals[(month, "decided_days")] += (decided.date() - submitted.date()).days
    return {k: v for k, v in totals.items() if v}
