"""Keeping the dashboard's figures (portal.data.stats) in step with the register."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from sqlalchemy import delete

from portal.cases.operation import operation
from portal.data import stats
from portal.data.register import RegisterEntry
from portal.data.stats import RegisterStat, contribution, month_of
from portal.extensions import db


def add(month: str, deltas: dict[str, int]) -> None:
    """Add deltas to a month's rows (insert or add, safely under concurrent writers)."""
    deltas = {k: v for k, v in deltas.items() if v}
    if not deltas:
        return
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    for key, value in deltas.items():
        statement = insert(RegisterStat).values(month=month, key=key, value=value)
        db.session.execute(statement.on_conflict_do_update(
            index_elements=[RegisterStat.month, RegisterStat.key],
            set_={"value": RegisterStat.value + statement.excluded.value}))


def of(entry: RegisterEntry) -> dict[str, int]:
    return contribution(live=entry.closed_at is None, rating=entry.rating,
                        has_keyworker=entry.keyworker is not None)


def record_change(before: dict[str, int], after: dict[str, int], day: date) -> None:
    keys = set(before) | set(after)
    add(month_of(day), {k: after.get(k, 0) - before.get(k, 0) for k in keys})


@contextmanager
def tracked(entry: RegisterEntry) -> Iterator[None]:
    """Keep the figures in step with whatever the block changes in the entry."""
    before = of(entry)
    yield
    record_change(before, of(entry), date.today())


def record_decision(day: date, days_taken: int) -> None:
    add(month_of(day), {"decided": 1, "decided_days": days_taken})


@operation
def rebuild() -> int:
    """Work every figure out again from the register itself (after a bulk load)."""
    totals = stats.rebuilt_totals()
    db.session.execute(delete(RegisterStat))
    db.session.add_all(RegisterStat(month=m, key=k, value=v) for (m, k), v in totals.items())
    return len(totals)
