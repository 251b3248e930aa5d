"""Care, education and treatment reviews (C(E)TRs): each one from the request to its
outcome, and the recommendations that became actions. Queries only: portal.cases.cetr
changes them.

A review is open until it is held or cancelled. "Held in month M" means held_on falls in
M; "on time" means held_on <= due_by."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, mapped_column

from portal.data.base import Base, Timestamped
from portal.data.register import LIVE, RegisterAction, RegisterEntry
from portal.extensions import db

KINDS = ("community", "inpatient", "post_admission")


class CetrReview(Timestamped, Base):
    __tablename__ = "cetr_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("register_entries.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # community | inpatient | post_admission
    reason: Mapped[str] = mapped_column(Text)  # why it is asked for
    requested_on: Mapped[date] = mapped_column(Date)
    admitted_on: Mapped[date | None] = mapped_column(Date)  # post-admission: counted from
    due_by: Mapped[date] = mapped_column(Date, index=True)
    booked_for: Mapped[datetime | None]  # UTC
    panel: Mapped[str | None] = mapped_column(Text)  # panel members, as written
    chair: Mapped[str | None] = mapped_column(String(200))
    papers_due_at: Mapped[datetime | None]  # 24 hours before booked_for (the setting)
    papers_sent_at: Mapped[datetime | None]
    papers_sent_by: Mapped[str | None] = mapped_column(String(200))
    papers_late: Mapped[bool] = mapped_column(Boolean, default=False)
    held_on: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(Text)  # the summary the family reads
    panel_notes: Mapped[str | None] = mapped_column(Text)  # staff only
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))

    version_id: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    __mapper_args__ = {"version_id_col": version_id}

    @property
    def is_open(self) -> bool:
        return self.held_on is None and self.cancelled_at is None

    @property
    def stage(self) -> str:
        """requested, booked, papers_sent, held or cancelled."""
        if self.cancelled_at is not None:
            return "cancelled"
        if self.held_on is not None:
            return "held"
        if self.papers_sent_at is not None:
            return "papers_sent"
        if self.booked_for is not None:
            return "booked"
        return "requested"

    @property
    def on_time(self) -> bool | None:
        return None if self.held_on is None else self.held_on <= self.due_by


class CetrRecommendation(Base):
    """A recommendation of a review, kept as an action on the entry."""

    __tablename__ = "cetr_recommendations"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("cetr_reviews.id"), index=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("register_actions.id"), index=True)


def find_review(review_id: int) -> CetrReview | None:
    return db.session.get(CetrReview, review_id)


def reviews_for(entry_id: int) -> list[CetrReview]:
    """Newest first: open ones by due date, then the rest."""
    return list(db.session.scalars(select(CetrReview).where(
        CetrReview.entry_id == entry_id).order_by(CetrReview.requested_on.desc(),
                                                  CetrReview.id.desc())))


def last_held(entry_id: int) -> CetrReview | None:
    return db.session.scalars(select(CetrReview).where(
        CetrReview.entry_id == entry_id, CetrReview.held_on.is_not(None))
        .order_by(CetrReview.held_on.desc(), CetrReview.id.desc())).first()


def open_review(entry_id: int) -> CetrReview | None:
    return db.session.scalars(select(CetrReview).where(
        CetrReview.entry_id == entry_id, CetrReview.held_on.is_(None),
        CetrReview.cancelled_at.is_(None)).order_by(CetrReview.due_by)).first()


def recommendations_of(review_id: int) -> list[RegisterAction]:
    return list(db.session.scalars(
        select(RegisterAction).join(CetrRecommendation,
                                    CetrRecommendation.action_id == RegisterAction.id)
        .where(CetrRecommendation.review_id == review_id).order_by(CetrRecommendation.id)))


OPEN = (CetrReview.held_on.is_(None), CetrReview.cancelled_at.is_(None))


def due_within(last_day: date, limit: int
               ) -> tuple[list[tuple[CetrReview, RegisterEntry]], int]:
    """Open reviews of live entries due by `last_day` (overdue ones first), soonest first."""
    where = (*OPEN, LIVE, CetrReview.due_by <= last_day)
    query = select(CetrReview, RegisterEntry).join(
        RegisterEntry, RegisterEntry.id == CetrReview.entry_id).where(*where)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.execute(query.order_by(CetrReview.due_by, CetrReview.id).limit(limit))
    return [(review, entry) for review, entry in rows], int(total or 0)


def blue_without_review(by: date, limit: int) -> tuple[list[RegisterEntry], int]:
    """Live Blue entries whose next C(E)TR falls by `by` (or has no date), with no open
    review asked for: someone needs to ask for one."""
    has_open = select(CetrReview.id).where(CetrReview.entry_id == RegisterEntry.id,
                                           *OPEN).exists()
    where = (LIVE, RegisterEntry.rating == "blue", ~has_open,
             (RegisterEntry.cetr_next_on.is_(None)) | (RegisterEntry.cetr_next_on <= by))
    total = db.session.scalar(select(func.count()).select_from(RegisterEntry).where(*where))
    rows = db.session.scalars(select(RegisterEntry).where(*where).order_by(
        RegisterEntry.cetr_next_on, RegisterEntry.id).limit(limit))
    return list(rows), int(total or 0)


def for_family(entry_id: int) -> list[tuple[CetrReview, list[RegisterAction]]]:
    """What the family sees: each review not cancelled, newest first, with the
    recommendations of those held (never the panel's notes: the template leaves them)."""
    return [(review, recommendations_of(review.id) if review.held_on else [])
            for review in reviews_for(entry_id) if review.cancelled_at is None]
