"""Whose consent counts for a child in care, and whose never does."""

from __future__ import annotations

from datetime import date

import pytest

from portal.domain.consent import (
    CareStatus,
    Decision,
    Given,
    Missing,
    Signer,
    consent_status,
    counts_for_child,
)

TODAY = date(2026, 11, 23)
TWELVE = date(2014, 5, 1)
SIXTEEN = date(2010, 5, 1)


def council(decision: Decision = Decision.YES) -> Given:
    return Given(Signer.COUNCIL, decision, parental_responsibility=True)


def parent(decision: Decision = Decision.YES, **kwargs) -> Given:
    return Given(Signer.PARENT, decision, parental_responsibility=True, **kwargs)


def test_the_councils_consent_counts_for_a_child_under_a_care_order():
    status = consent_status(TWELVE, TODAY, [council()], care_status=CareStatus.CARE_ORDER)
    assert status.valid and status.missing == ()


@pytest.mark.parametrize("care", [CareStatus.ACCOMMODATED, CareStatus.NONE,
                                  CareStatus.UNKNOWN, None])
def test_the_councils_consent_does_not_count_without_a_care_order(care):
    status = consent_status(TWELVE, TODAY, [council()], care_status=care)
    assert not status.valid and status.missing == (Missing.PARENT_CONSENT,)


def test_accommodated_by_agreement_the_parents_consent_as_usual():
    status = consent_status(TWELVE, TODAY, [parent()], care_status=CareStatus.ACCOMMODATED)
    assert status.valid


def test_under_a_care_order_the_parents_may_also_consent():
    assert consent_status(TWELVE, TODAY, [parent()], care_status=CareStatus.CARE_ORDER).valid


def test_under_a_care_order_the_councils_answer_stands_over_the_parents():
    both = [parent(Decision.NO), council(Decision.YES)]
    assert consent_status(TWELVE, TODAY, both, care_status=CareStatus.CARE_ORDER).valid
    refused = [parent(Decision.YES), council(Decision.NO)]
    status = consent_status(TWELVE, TODAY, refused, care_status=CareStatus.CARE_ORDER)
    assert not status.valid and status.missing == (Missing.PARENT_SAID_NO,)


@pytest.mark.parametrize("who", ["foster_carer", "professional"])
@pytest.mark.parametrize("care", [CareStatus.CARE_ORDER, CareStatus.ACCOMMODATED, None])
def test_a_foster_carers_or_a_professionals_answer_never_counts(who, care):
    """Even ticked as having parental responsibility, or as the council."""
    for answer in (parent(acting_as=who),
                   Given(Signer.COUNCIL, Decision.YES, True, acting_as=who),
                   Given(Signer.YOUNG_PERSON, Decision.YES, acting_as=who)):
        assert not counts_for_child(answer, care)
        status = consent_status(TWELVE, TODAY, [answer], care_status=care)
        assert not status.valid
    older = consent_status(SIXTEEN, TODAY, [Given(Signer.YOUNG_PERSON, Decision.YES,
                                                  acting_as=who)], care_status=care)
    assert not older.valid and older.missing == (Missing.YOUNG_PERSON_CONSENT,)


def test_at_16_the_council_does_not_decide_for_the_young_person():
    status = consent_status(SIXTEEN, TODAY, [council()], care_status=CareStatus.CARE_ORDER)
    assert not status.valid and status.own_decision
    young = Given(Signer.YOUNG_PERSON, Decision.YES)
    assert consent_status(SIXTEEN, TODAY, [council(), young],
                          care_status=CareStatus.CARE_ORDER).valid


def test_a_parent_without_parental_responsibility_still_does_not_count():
    answer = Given(Signer.PARENT, Decision.YES, parental_responsibility=False)
    assert not consent_status(TWELVE, TODAY, [answer]).valid
