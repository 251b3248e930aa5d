"""Who must consent for a child to be on the register, by age (no Flask, no database).

- Under 16: a parent or carer with parental responsibility consents, and the child's own
  views are asked. Staff can record that the child is competent to decide for themselves
  (Gillick competence); then the child's own answer decides.
- 16 and 17: the young person is presumed to have capacity (Mental Capacity Act 2005), so
  it is their decision and a parent's consent alone is not enough, unless staff record
  that the young person lacks capacity for this decision and a best-interests decision
  was made.
- 18 or over on the day: this register is for under-18s, so no consent is valid here;
  the person is pointed to the adult register.
- A child under 16 who says no (or wants to talk first) while a parent has said yes:
  the parent's consent is enough in law, but the child's view is flagged for staff, who
  decide whether to go ahead and record why.
- Only the person who gave an answer can withdraw it, and only the young person answers
  for themselves: a parent can never answer or withdraw in their place.
- A child in care under a care order (Children Act 1989 s.31): the council shares
  parental responsibility with the parents, so a named social worker may consent for the
  council; the parents may also consent as usual, and once the council has answered, its
  answer is the one that stands (the order lets it limit how the parents use theirs). A
  child accommodated by agreement (s.20): the parents keep parental responsibility and
  consent as usual; the council's answer does not count.
- Foster carers and the professionals who refer a child never hold parental
  responsibility by being one: their answer never counts as consent.
"""

from __future__ import annotations

import calendar
import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from portal.domain.dates import ADULT_AGE, age_on

OWN_DECISION_AGE = 16


class Signer(enum.StrEnum):
    PARENT = "parent"  # a parent or carer with parental responsibility
    YOUNG_PERSON = "young_person"
    COUNCIL = "council"  # a named social worker, for the council under a care order


class CareStatus(enum.StrEnum):
    """Whether the child is looked after by a council, and how."""

    CARE_ORDER = "care_order"  # Children Act 1989 s.31: the council shares parental resp.
    ACCOMMODATED = "accommodated"  # s.20, by agreement: the parents keep it
    NONE = "none"
    UNKNOWN = "unknown"


CARE_ORDER_BASIS = "care order (Children Act 1989 s.31)"

# People who may ask for a child to be added but never consent by being who they are.
NEVER_CONSENT = frozenset({"foster_carer", "professional"})


class Decision(enum.StrEnum):
    YES = "yes"
    NO = "no"
    TALK_FIRST = "talk_first"  # "I want to talk to someone first"


class StaffFinding(enum.StrEnum):
    GILLICK_COMPETENT = "gillick_competent"  # under 16, able to decide for themselves
    LACKS_CAPACITY_BEST_INTERESTS = "lacks_capacity_best_interests"  # 16-17, MCA
    # Under 16: the child said no, staff heard it and decided to go ahead (with a reason).
    PROCEED_DESPITE_CHILDS_VIEW = "proceed_despite_childs_view"


# Findings register managers record about who decides (the other one is a triage decision).
CAPACITY_FINDINGS = (StaffFinding.GILLICK_COMPETENT, StaffFinding.LACKS_CAPACITY_BEST_INTERESTS)


class Missing(enum.StrEnum):
    """What is still needed, in an order the family can act on."""

    PARENT_CONSENT = "parent_consent"
    YOUNG_PERSON_CONSENT = "young_person_consent"
    YOUNG_PERSON_SAID_NO = "young_person_said_no"
    YOUNG_PERSON_WANTS_TO_TALK = "young_person_wants_to_talk"
    PARENT_SAID_NO = "parent_said_no"
    ADULT = "adult"  # 18 or over: the adult register, not this one


class Advice(enum.StrEnum):
    """Not needed for consent to be valid, but should happen."""

    ASK_CHILDS_VIEWS = "ask_childs_views"


@dataclass(frozen=True)
class Given:
    """One consent answer that has not been withdrawn."""

    signer: Signer
    decision: Decision
    parental_responsibility: bool = False
    at: datetime | None = None
    # Who the signer is when known to be someone who never consents by being it
    # ("foster_carer", "professional"): their answer is not consent.
    acting_as: str | None = None


def counts_for_child(answer: Given, care_status: str | None = None) -> bool:
    """Does this answer stand as the consent of someone with parental responsibility?

    A parent's with parental responsibility does; the council's only for a child under a
    care order; a foster carer's or a referring professional's never."""
    if answer.acting_as in NEVER_CONSENT:
        return False
    if answer.signer is Signer.COUNCIL:
        return care_status == CareStatus.CARE_ORDER
    return answer.signer is Signer.PARENT and answer.parental_responsibility


@dataclass(frozen=True)
class Found:
    """A finding staff recorded, and when."""

    finding: StaffFinding
    at: datetime | None = None


@dataclass(frozen=True)
class ConsentStatus:
    valid: bool
    age: int
    own_decision: bool  # True when the young person's decision is the one that counts
    missing: tuple[Missing, ...] = ()
    advice: tuple[Advice, ...] = field(default=())
    # Under 16: the child's own answer was no (or "talk to someone first") though a parent
    # consented; `childs_view_decided` once staff recorded that they go ahead anyway.
    childs_view: Decision | None = None
    childs_view_decided: bool = False

    @property
    def needs_staff_decision(self) -> bool:
        """The child's no must be weighed by staff before anyone adds them."""
        return self.childs_view is not None and not self.childs_view_decided


def _latest(given: Iterable[Given], signer: Signer) -> Given | None:
    found = None
    for answer in given:  # oldest first: the last answer is the one that stands
        if answer.signer is signer:
            found = answer
    return found


def consent_status(born: date, today: date, given: Iterable[Given],
                   findings: Iterable[StaffFinding | Found] = (),
                   care_status: str | None = None) -> ConsentStatus:
    """Is there valid consent today, and if not, what exactly is missing?

    `care_status` (a CareStatus value) says whether the council's answer counts."""
    given = list(given)
    recorded = [f if isinstance(f, Found) else Found(f) for f in findings]
    findings = {f.finding for f in recorded}
    age = age_on(born, today)
    if age >= ADULT_AGE:
        return ConsentStatus(valid=False, age=age, own_decision=True,
                             missing=(Missing.ADULT,))
    holders = [g for g in given if counts_for_child(g, care_status)]
    # Under a care order the council's answer, once given, is the one that stands.
    parent = _latest(holders, Signer.COUNCIL) or _latest(holders, Signer.PARENT)
    young = _latest((g for g in given if g.acting_as not in NEVER_CONSENT),
                    Signer.YOUNG_PERSON)
    parent_yes = parent is not None and parent.decision is Decision.YES
    young_yes = young is not None and young.decision is Decision.YES

    def _young_missing() -> tuple[Missing, ...]:
        if young is None:
            return (Missing.YOUNG_PERSON_CONSENT,)
        if young.decision is Decision.NO:
            return (Missing.YOUNG_PERSON_SAID_NO,)
        if young.decision is Decision.TALK_FIRST:
            return (Missing.YOUNG_PERSON_WANTS_TO_TALK,)
        return ()

    if age >= OWN_DECISION_AGE:
        if StaffFinding.LACKS_CAPACITY_BEST_INTERESTS in findings:
            missing = () if parent_yes else (Missing.PARENT_CONSENT,)
            return ConsentStatus(valid=parent_yes, age=age, own_decision=False,
                                 missing=missing)
        return ConsentStatus(valid=young_yes, age=age, own_decision=True,
                             missing=_young_missing())

    if StaffFinding.GILLICK_COMPETENT in findings:
        return ConsentStatus(valid=young_yes, age=age, own_decision=True,
                             missing=_young_missing())

    # Under 16: a parent or carer decides, and the child's views are asked.
    if parent is None:
        missing: tuple[Missing, ...] = (Missing.PARENT_CONSENT,)
    elif parent.decision is not Decision.YES:
        missing = (Missing.PARENT_SAID_NO,)
    else:
        missing = ()
    advice = (Advice.ASK_CHILDS_VIEWS,) if young is None else ()
    childs_view = young.decision if young is not None and not young_yes else None
    decided = childs_view is not None and any(
        f.finding is StaffFinding.PROCEED_DESPITE_CHILDS_VIEW
        and (f.at is None or young is None or young.at is None or f.at >= young.at)
        for f in recorded)
    return ConsentStatus(valid=parent_yes, age=age, own_decision=False, missing=missing,
                         advice=advice, childs_view=childs_view, childs_view_decided=decided)


def is_adult(born: date, today: date) -> bool:
    """18 or over: this register is not for them (the adult register is)."""
    return age_on(born, today) >= ADULT_AGE


def decides_for_themselves(born: date, today: date,
                           findings: Iterable[StaffFinding] = ()) -> bool:
    """True when the young person's own answer is their consent (16 or 17, or Gillick
    competent under 16), not only their view."""
    findings = set(findings)
    if age_on(born, today) >= OWN_DECISION_AGE:
        return StaffFinding.LACKS_CAPACITY_BEST_INTERESTS not in findings
    return StaffFinding.GILLICK_COMPETENT in findings


def may_answer(signer: Signer, acting_as: str) -> bool:
    """Only the young person answers as the young person; only a parent or carer answers
    as a parent. Nobody answers in somebody else's place."""
    return acting_as == signer.value


def may_withdraw(signer: Signer | str, acting_as: str) -> bool:
    """An answer is withdrawn by the person who gave it, and by nobody else."""
    return acting_as == Signer(signer).value


def finding_applies(finding: StaffFinding, age: int) -> bool:
    """Gillick competence is about a child under 16; lack of capacity under the Mental
    Capacity Act is about a young person of 16 or 17."""
    if finding is StaffFinding.GILLICK_COMPETENT:
        return age < OWN_DECISION_AGE
    if finding is StaffFinding.LACKS_CAPACITY_BEST_INTERESTS:
        return OWN_DECISION_AGE <= age < ADULT_AGE
    return age < OWN_DECISION_AGE


def who_decides(born: date, today: date) -> Signer:
    """Whose consent the service asks for first."""
    return Signer.YOUNG_PERSON if age_on(born, today) >= OWN_DECISION_AGE else Signer.PARENT


class Reminder(enum.StrEnum):
    YEARLY_CHECK = "yearly_check"  # does the family still want to be on the register?
    TURNED_16 = "turned_16"  # their own decision now: fresh consent needed
    ADULT_REGISTER = "adult_register"  # from 17 and a half: the adult register


def add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def reminders_due(born: date, today: date, last_signed: date,
                  young_person_consented: bool) -> list[tuple[Reminder, str]]:
    """Reminders due today, each with a key that is the same however often this runs."""
    due: list[tuple[Reminder, str]] = []
    years = age_on(last_signed, today)  # whole years since consent was last given
    if years >= 1:
        due.append((Reminder.YEARLY_CHECK, f"{Reminder.YEARLY_CHECK}:{last_signed}:{years}"))
    if age_on(born, today) >= OWN_DECISION_AGE and not young_person_consented:
        due.append((Reminder.TURNED_16, str(Reminder.TURNED_16)))
    if today >= add_months(born, 17 * 12 + 6):
        due.append((Reminder.ADULT_REGISTER, str(Reminder.ADULT_REGISTER)))
    return due
