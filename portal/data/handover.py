"""The hand-over to the adult register at 18: the transition plan (from 17 years 6 months),
the young person's own answer about being referred, and the referral with its outcome.
Queries only: portal.cases.handover changes them.

A young person's answer is never edited: changing their mind is a new answer, and the
newest one stands. Each answer keeps the exact consent text it was given to (its id,
version and SHA-256), as the register's own consents do.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from portal.data.base import Base, Timestamped, utcnow
from portal.data.register import LIVE, RegisterEntry
from portal.extensions import db

AUDIENCE = "adult_referral"  # the consent text the young person reads
DECISIONS = ("yes", "no", "talk_first")
OUTCOMES = ("waiting", "accepted", "not_accepted")


class TransitionPlan(Timestamped, Base):
    """What the adult register needs to know, who leads the move, and when."""

    __tablename__ = "transition_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("register_entries.id"), unique=True)
    adult_needs: Mapped[str] = mapped_column(Text)  # what the adult register needs
    lead_name: Mapped[str] = mapped_column(String(200))
    lead_organisation: Mapped[str] = mapped_column(String(200))
    adult_services: Mapped[str | None] = mapped_column(Text)  # adult services involved
    wishes: Mapped[str | None] = mapped_column(Text)  # the young person's wishes
    target_referral_on: Mapped[date | None] = mapped_column(Date)
    written_by: Mapped[str] = mapped_column(String(200))

    version_id: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    __mapper_args__ = {"version_id_col": version_id}


class AdultReferralAnswer(Base):
    """The young person's own answer: may we pass their details to the adult register?"""

    __tablename__ = "adult_referral_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("register_entries.id"), index=True)
    decision: Mapped[str] = mapped_column(String(12))  # yes | no | talk_first
    own_words: Mapped[str | None] = mapped_column(Text)
    via: Mapped[str] = mapped_column(String(20))  # own_link
    signer_email: Mapped[str | None] = mapped_column(String(254))
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)
    locale: Mapped[str] = mapped_column(String(10))
    text_id: Mapped[int] = mapped_column(ForeignKey("consent_texts.id"))
    text_version: Mapped[int] = mapped_column(Integer)
    text_sha256: Mapped[str] = mapped_column(String(64))


class AdultReferral(Timestamped, Base):
    """The referral to the adult register, sent with the young person's yes."""

    __tablename__ = "adult_referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("register_entries.id"), unique=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("adult_referral_answers.id"))
    sent_on: Mapped[date] = mapped_column(Date)
    sent_to: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(20))  # waiting | accepted | not_accepted
    outcome_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(200))

    version_id: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    __mapper_args__ = {"version_id_col": version_id}


def plan_for(entry_id: int) -> TransitionPlan | None:
    return db.session.scalars(
        select(TransitionPlan).where(TransitionPlan.entry_id == entry_id)).first()


def answers_for(entry_id: int) -> list[AdultReferralAnswer]:
    """Every answer the young person gave, oldest first."""
    return list(db.session.scalars(
        select(AdultReferralAnswer).where(AdultReferralAnswer.entry_id == entry_id)
        .order_by(AdultReferralAnswer.answered_at, AdultReferralAnswer.id)))


def answer_for(entry_id: int) -> AdultReferralAnswer | None:
    """The answer that stands: the newest."""
    found = answers_for(entry_id)
    return found[-1] if found else None


def referral_for(entry_id: int) -> AdultReferral | None:
    return db.session.scalars(
        select(AdultReferral).where(AdultReferral.entry_id == entry_id)).first()


def live_born_on_or_before(last: date, limit: int) -> tuple[list[RegisterEntry], int]:
    """Live entries of young people born on or before `last` (17 and a half or older),
    the oldest first."""
    from sqlalchemy import func

    where = (LIVE, RegisterEntry.child_date_of_birth <= last)
    total = db.session.scalar(select(func.count()).select_from(RegisterEntry).where(*where))
    rows = db.session.scalars(select(RegisterEntry).where(*where).order_by(
        RegisterEntry.child_date_of_birth, RegisterEntry.id).limit(limit))
    return list(rows), int(total or 0)


def live_born_between(first: date, last: date) -> list[RegisterEntry]:
    """Live entries of those born in this window (the daily job: 18 today, or missed)."""
    return list(db.session.scalars(select(RegisterEntry).where(
        LIVE, RegisterEntry.archived_at.is_(None), RegisterEntry.child_date_of_birth >= first,
        RegisterEntry.child_date_of_birth <= last).order_by(RegisterEntry.id)))


def for_entries(entry_ids: list[int]) -> tuple[dict[int, TransitionPlan],
                                                 dict[int, AdultReferralAnswer],
                                                 dict[int, AdultReferral]]:
    """The plan, the answer that stands and the referral of each entry, in three queries
    however many entries (the attention list)."""
    if not entry_ids:
        return {}, {}, {}
    plans = {p.entry_id: p for p in db.session.scalars(
        select(TransitionPlan).where(TransitionPlan.entry_id.in_(entry_ids)))}
    answers: dict[int, AdultReferralAnswer] = {}
    for given in db.session.scalars(
            select(AdultReferralAnswer).where(AdultReferralAnswer.entry_id.in_(entry_ids))
            .order_by(AdultReferralAnswer.answered_at, AdultReferralAnswer.id)):
        answers[given.entry_id] = given  # the newest wins
    referrals = {r.entry_id: r for r in db.session.scalars(
        select(AdultReferral).where(AdultReferral.entry_id.in_(entry_ids)))}
    return plans, answers, referrals
