"""The consent rules themselves, with no web page or database in the way."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from portal.domain.consent import (
    Decision,
    Found,
    Given,
    Missing,
    Signer,
    StaffFinding,
    consent_status,
    decides_for_themselves,
    finding_applies,
    is_adult,
    may_answer,
    may_withdraw,
)
from portal.domain.reviews import below_red_after_discharge, next_review, red_until

TODAY = date(2026, 11, 23)
NOON = datetime(2026, 11, 23, 12, 0)


def born(years: int, days: int = 10) -> date:
    return TODAY.replace(year=TODAY.year - years) - timedelta(days=days)


PARENT_YES = Given(Signer.PARENT, Decision.YES, parental_responsibility=True)


def young(decision: Decision, at: datetime | None = None) -> Given:
    return Given(Signer.YOUNG_PERSON, decision, at=at)


@pytest.mark.parametrize("acting", ["parent", "family", "staff", "system"])
def test_only_the_young_person_answers_for_themselves(acting):
    assert may_answer(Signer.YOUNG_PERSON, "young_person")
    assert not may_answer(Signer.YOUNG_PERSON, acting)


def test_only_a_parent_or_carer_answers_as_one():
    assert may_answer(Signer.PARENT, "parent")
    assert not may_answer(Signer.PARENT, "young_person")


@pytest.mark.parametrize("signer", ["parent", "young_person"])
def test_an_answer_is_withdrawn_only_by_whoever_gave_it(signer):
    assert may_withdraw(signer, signer)
    for other in ("parent", "young_person", "family", "staff"):
        if other != signer:
            assert not may_withdraw(signer, other)


def test_at_16_and_17_the_young_persons_own_decision_stands():
    for years in (16, 17):
        status = consent_status(born(years), TODAY, [PARENT_YES])
        assert not status.valid and status.missing == (Missing.YOUNG_PERSON_CONSENT,)
        said_no = consent_status(born(years), TODAY, [PARENT_YES, young(Decision.NO)])
        assert not said_no.valid and said_no.missing == (Missing.YOUNG_PERSON_SAID_NO,)
        assert consent_status(born(years), TODAY, [young(Decision.YES)]).valid


def test_unless_staff_record_they_lack_capacity_for_this_decision():
    finding = [StaffFinding.LACKS_CAPACITY_BEST_INTERESTS]
    status = consent_status(born(16), TODAY, [PARENT_YES, young(Decision.NO)], finding)
    assert status.valid and not status.own_decision
    assert not decides_for_themselves(born(16), TODAY, finding)


@pytest.mark.parametrize("years", [18, 19])
def test_18_or_over_on_the_day_is_never_valid_here(years):
    for given in ([young(Decision.YES)], [PARENT_YES, young(Decision.YES)]):
        status = consent_status(born(years, 0), TODAY, given)
        assert not status.valid and status.missing == (Missing.ADULT,)
    assert is_adult(born(18, 0), TODAY)
    assert not is_adult(born(18, 0) + timedelta(days=1), TODAY)  # 18 tomorrow


def test_under_16_a_parents_yes_is_enough_but_a_childs_no_needs_a_staff_decision():
    status = consent_status(born(12), TODAY, [PARENT_YES, young(Decision.NO, NOON)])
    assert status.valid  # the parent's consent is enough in law...
    assert status.childs_view is Decision.NO and status.needs_staff_decision  # ...but heard
    talk = consent_status(born(12), TODAY, [PARENT_YES, young(Decision.TALK_FIRST, NOON)])
    assert talk.needs_staff_decision
    agreed = consent_status(born(12), TODAY, [PARENT_YES, young(Decision.YES, NOON)])
    assert agreed.childs_view is None and not agreed.needs_staff_decision


def test_a_staff_decision_to_go_ahead_answers_the_no_it_was_made_after():
    decided = Found(StaffFinding.PROCEED_DESPITE_CHILDS_VIEW, NOON + timedelta(hours=1))
    status = consent_status(born(12), TODAY, [PARENT_YES, young(Decision.NO, NOON)],
                            [decided])
    assert status.valid and not status.needs_staff_decision
    # A later no is a new view, and must be weighed again.
    again = consent_status(born(12), TODAY,
                           [PARENT_YES, young(Decision.NO, NOON + timedelta(days=2))],
                           [decided])
    assert again.needs_staff_decision


def test_a_gillick_competent_child_decides_for_themselves():
    finding = [StaffFinding.GILLICK_COMPETENT]
    assert decides_for_themselves(born(14), TODAY, finding)
    assert not consent_status(born(14), TODAY, [PARENT_YES, young(Decision.NO)],
                              finding).valid
    assert consent_status(born(14), TODAY, [young(Decision.YES)], finding).valid


def test_each_finding_belongs_to_an_age():
    assert finding_applies(StaffFinding.GILLICK_COMPETENT, 15)
    assert not finding_applies(StaffFinding.GILLICK_COMPETENT, 16)
    assert finding_applies(StaffFinding.LACKS_CAPACITY_BEST_INTERESTS, 17)
    assert not finding_applies(StaffFinding.LACKS_CAPACITY_BEST_INTERESTS, 15)
    assert not finding_applies(StaffFinding.LACKS_CAPACITY_BEST_INTERESTS, 18)


def test_the_next_review_follows_the_rating_and_red_holds_after_leaving_hospital():
    days = {"blue": 28, "red": 14, "amber": 28, "green": 91}
    assert next_review("red", TODAY, days) == TODAY + timedelta(days=14)
    assert next_review("green", TODAY, days) == TODAY + timedelta(days=91)
    left = TODAY - timedelta(days=3)
    assert red_until(left, 14) == left + timedelta(days=14)
    assert below_red_after_discharge("amber", left, TODAY, 14)
    assert below_red_after_discharge("green", left, TODAY, 14)
    assert not below_red_after_discharge("red", left, TODAY, 14)
    assert not below_red_after_discharge("amber", TODAY - timedelta(days=15), TODAY, 14)
    assert not below_red_after_discharge("amber", None, TODAY, 14)
