from datetime import date

import pytest

from portal.domain import nhs_number, postcodes, references
from portal.domain.dates import DateParts, DateProblem, age_on, parse_date
from portal.domain.ratings import Rating, suggest_rating
from portal.domain.request_states import ALLOWED, InvalidTransition, State, check_transition


@pytest.mark.parametrize("number", ["9434765919", "943 476 5919", "943-476-5919", "4010232137"])
def test_valid_nhs_numbers_pass(number):
    assert nhs_number.is_valid(number)


@pytest.mark.parametrize(
    "number",
    ["9434765918", "943476591", "94347659190", "abcdefghij", "", "0000000001"],
)
def test_wrong_nhs_numbers_fail(number):
    assert not nhs_number.is_valid(number)


def test_nhs_number_whose_check_digit_would_be_ten_is_never_valid():
    # 1000000010: weights give remainder 1, so the check digit would be 10.
    assert nhs_number.check_digit("100000001") is None
    assert not any(nhs_number.is_valid("100000001" + str(d)) for d in range(10))


def test_references_are_short_unambiguous_and_varied():
    made = {references.new_reference() for _ in range(2000)}
    assert len(made) == 2000
    for ref in made:
        assert references.is_well_formed(ref)
        assert not set(ref.replace("DSR-", "").replace("-", "")) & set("0O1IL5S2Z8B")


def test_reference_typed_loosely_is_understood():
    assert references.normalise(" dsr acde fghj ") == "DSR-ACDE-FGHJ"
    assert references.normalise("acdefghj") == "DSR-ACDE-FGHJ"


@pytest.mark.parametrize(
    "typed, expected",
    [("sw1a1aa", "SW1A 1AA"), ("LS1 4AP", "LS1 4AP"), (" m1 1ae ", "M1 1AE"), ("nope", None),
     ("12345", None)],
)
def test_postcodes(typed, expected):
    assert postcodes.normalise(typed) == expected


def test_age_turns_on_the_birthday():
    born = date(2010, 6, 15)
    assert age_on(born, date(2028, 6, 14)) == 17
    assert age_on(born, date(2028, 6, 15)) == 18


@pytest.mark.parametrize(
    "parts, code, part",
    [
        (("", "", ""), "missing", None),
        (("", "4", "2014"), "missing_day", "day"),
        (("3", "", "2014"), "missing_month", "month"),
        (("3", "4", ""), "missing_year", "year"),
        (("31", "2", "2015"), "not_real", "day"),
        (("3", "13", "2015"), "not_real", "month"),
        (("3", "4", "15"), "year_four_digits", "year"),
        (("x", "4", "2015"), "not_real", "day"),
    ],
)
def test_typed_dates_say_which_box_is_wrong(parts, code, part):
    with pytest.raises(DateProblem) as raised:
        parse_date(DateParts(*parts))
    assert raised.value.code == code
    assert raised.value.part == part


def test_month_may_be_typed_as_a_word():
    assert parse_date(DateParts("3", "April", "2014")) == date(2014, 4, 3)
    assert parse_date(DateParts("3", "sept", "2014")) == date(2014, 9, 3)


def test_in_hospital_is_always_blue():
    s = suggest_rating(in_hospital=True, risks=[])
    assert s.rating is Rating.BLUE and "in_hospital" in s.reasons


def test_red_signals_suggest_red_and_every_reason_is_kept():
    s = suggest_rating(in_hospital=False, risks=["family_strain", "imminent_admission",
                                                 "previous_admission"])
    assert s.rating is Rating.RED
    # Every answer is a reason, the most serious first: staff see the lower ones too.
    assert s.reasons == ("imminent_admission", "family_strain", "previous_admission")


def test_a_placement_on_the_brink_suggests_amber():
    s = suggest_rating(in_hospital=False, risks=["placement_unstable"])
    assert s.rating is Rating.AMBER and s.reasons == ("placement_unstable",)


def test_many_green_and_amber_signals_stay_amber():
    """No rule in the guidance turns several lesser signals into Red (and the same-day
    clock with it): four ticked Green and Amber signals are still Amber."""
    s = suggest_rating(
        in_hospital=False,
        risks=["placement_unstable", "behaviour_concern", "family_strain", "support_changes"],
    )
    assert s.rating is Rating.AMBER
    assert set(s.reasons) == {"placement_unstable", "behaviour_concern", "family_strain",
                              "support_changes"}
    assert "many_risks" not in s.reasons


@pytest.mark.parametrize(("answer", "rating"), [
    ("severe_behaviour", Rating.RED), ("placement_broken_down", Rating.RED),
    ("unmet_need", Rating.AMBER), ("multi_agency_urgent", Rating.AMBER),
    ("needs_increasing", Rating.GREEN),
    # National risk factors show a child belongs on the register, not how close a crisis is.
    ("previous_admission", Rating.GREEN), ("youth_justice", Rating.GREEN),
])
def test_each_answer_suggests_the_rating_the_guidance_gives_it(answer, rating):
    assert suggest_rating(in_hospital=False, risks=[answer]).rating is rating


def test_early_signs_suggest_green_and_nothing_ticked_says_so():
    assert suggest_rating(in_hospital=False, risks=["needs_increasing"]).rating is Rating.GREEN
    none = suggest_rating(in_hospital=False, risks=[])
    assert none.rating is Rating.GREEN and none.reasons == ("no_listed_risks",)


def test_unknown_answers_are_ignored_not_fatal():
    assert suggest_rating(in_hospital=False, risks=["retired_code"]).rating is Rating.GREEN


def test_urgency_orders_blue_and_red_first():
    ordered = sorted(Rating, key=lambda r: r.urgency, reverse=True)
    assert ordered[:2] == [Rating.BLUE, Rating.RED]
    assert Rating.RED.is_urgent and not Rating.AMBER.is_urgent


def test_request_states_allow_only_listed_moves():
    assert check_transition("submitted", "awaiting_consent") is State.AWAITING_CONSENT
    with pytest.raises(InvalidTransition):
        check_transition("declined", "accepted")
    with pytest.raises(InvalidTransition):
        check_transition("draft", "accepted")
    for state in State:
        if state not in (State.DECLINED, State.WITHDRAWN, State.DUPLICATE):
            assert State.WITHDRAWN in ALLOWED[state], f"{state} cannot be withdrawn"
