"""The monthly return's figures from history alone: as things stood at the month's end,
whatever happened later."""

from __future__ import annotations

from datetime import date, datetime

from portal.domain.returns import (
    Entry,
    History,
    Keyworked,
    Rated,
    Review,
    age_band,
    figures,
    fingerprint,
    months_from,
    parse_month,
    previous_month,
)


def rated(entry_id: int, day: date, rating: str, n: int = 0) -> Rated:
    return Rated(entry_id, day, (datetime(day.year, day.month, day.day, 12), n), rating)


def keyworked(entry_id: int, day: date, has: bool, n: int = 0) -> Keyworked:
    return Keyworked(entry_id, day, (datetime(day.year, day.month, day.day, 12), n), has)


def history() -> History:
    return History(
        entries=[
            Entry(1, date(2026, 9, 3), date(2014, 10, 31), None, None, "female", "A", "North"),
            Entry(2, date(2026, 10, 5), date(2022, 1, 1), date(2026, 10, 20),
                  "risk_reduced", "male", "N", None),
            Entry(3, date(2026, 10, 7), date(2009, 6, 1), None, None, None, None, "South"),
            Entry(4, date(2026, 11, 2), date(2012, 1, 1), None, None),
        ],
        ratings=[
            rated(1, date(2026, 9, 3), "amber"), rated(1, date(2026, 10, 9), "red", 1),
            rated(1, date(2026, 10, 30), "blue", 2), rated(1, date(2026, 11, 15), "red", 3),
            rated(2, date(2026, 10, 5), "green"),
            rated(3, date(2026, 10, 7), "blue"),
            rated(4, date(2026, 11, 2), "amber"),
        ],
        keyworkers=[keyworked(1, date(2026, 9, 3), True),
                    keyworked(1, date(2026, 10, 31), False, 1),
                    keyworked(3, date(2026, 10, 7), True)],
        cetrs=[Review(3, "inpatient", date(2026, 10, 20), date(2026, 10, 21)),
               Review(1, "post_admission", date(2026, 11, 20), date(2026, 11, 13))],
    )


def test_children_on_the_register_at_the_end_of_the_month_by_their_rating_then():
    october = figures(history(), "2026-10")
    assert october["on_register"] == {"blue": 2, "red": 0, "amber": 0, "green": 0}
    september = figures(history(), "2026-09")
    assert september["on_register"] == {"blue": 0, "red": 0, "amber": 1, "green": 0}


def test_added_and_removed_in_the_month_with_why_they_left():
    october = figures(history(), "2026-10")
    assert october["added"] == {"blue": 1, "red": 0, "amber": 0, "green": 1}
    assert october["removed"] == {"risk_reduced": 1}
    assert figures(history(), "2026-11")["removed"] == {}


def test_admissions_are_moves_to_blue_from_another_rating_in_the_month():
    assert figures(history(), "2026-10")["admissions"] == 1  # entry 3 was added at Blue
    assert figures(history(), "2026-11")["admissions"] == 0


def test_cetrs_held_in_the_month_and_whether_on_time():
    october = figures(history(), "2026-10")["cetrs"]
    assert october["inpatient"] == {"held": 1, "on_time": 1}
    november = figures(history(), "2026-11")["cetrs"]
    assert november["post_admission"] == {"held": 1, "on_time": 0}


def test_keyworker_cover_as_it_stood_on_the_last_day():
    october = figures(history(), "2026-10")["keyworkers"]
    # Entry 1 lost its keyworker on 31 October (Blue then); entry 3 has one.
    assert october["blue"] == {"with": 1, "without": 1}
    september = figures(history(), "2026-09")["keyworkers"]
    assert september["amber"] == {"with": 1, "without": 0}


def test_breakdowns_by_age_at_month_end_sex_ethnic_group_and_area():
    october = figures(history(), "2026-10")
    # Entry 1 turns 12 on 31 October: 10 to 13. Entry 3 is 17.
    assert october["by_age"]["10_13"]["blue"] == 1
    assert october["by_age"]["16_17"]["blue"] == 1
    assert october["by_sex"]["female"]["blue"] == 1
    assert october["by_sex"]["not_recorded"]["blue"] == 1
    assert october["by_ethnicity"]["white"]["blue"] == 1
    assert october["by_ethnicity"]["not_recorded"]["blue"] == 1
    assert october["by_local_authority"] == {
        "North": {"blue": 1, "red": 0, "amber": 0, "green": 0},
        "South": {"blue": 1, "red": 0, "amber": 0, "green": 0}}


def test_later_events_never_move_an_earlier_month():
    before = figures(history(), "2026-10")
    later = history()
    later.ratings.append(rated(3, date(2026, 12, 1), "red", 9))
    later.keyworkers.append(keyworked(1, date(2026, 12, 2), True, 9))
    later.cetrs.append(Review(3, "inpatient", date(2026, 12, 3), date(2026, 12, 1)))
    assert fingerprint(figures(later, "2026-10")) == fingerprint(before)
    assert fingerprint(figures(later, "2026-12")) != fingerprint(figures(history(),
                                                                         "2026-12"))


def test_age_bands_at_their_edges():
    born = date(2010, 3, 15)
    assert age_band(born, date(2015, 3, 14)) == "under_5"
    assert age_band(born, date(2015, 3, 15)) == "5_9"
    assert age_band(born, date(2020, 3, 15)) == "10_13"
    assert age_band(born, date(2024, 3, 15)) == "14_15"
    assert age_band(born, date(2028, 3, 14)) == "16_17"
    assert age_band(born, date(2028, 3, 15)) == "18_over"


def test_months():
    assert previous_month(date(2026, 1, 1)) == "2025-12"
    assert months_from("2025-11", "2026-02") == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert parse_month("2026-13") is None and parse_month("26-10") is None
    assert parse_month("2026-10") == (2026, 10)


def test_a_rating_hidden_in_one_table_is_hidden_in_every_table_that_shows_it():
    from portal.domain.returns import shown_tables

    found = figures(History(entries=[]), "2026-10")
    found["on_register"] = {"blue": 8, "red": 4, "amber": 5, "green": 20}
    found["keyworkers"] = {"blue": {"with": 8, "without": 0}, "red": {"with": 4, "without": 0},
                           "amber": {"with": 5, "without": 0}}
    for name in ("by_age", "by_sex", "by_ethnicity"):
        found[name] = {"all": dict(found["on_register"])}
    # By area, South's Red 1 is covered by hiding its Blue 8, and so Blue's total: if the
    # register by rating showed Blue's 8, South's 8 and then its 1 would come back.
    found["by_local_authority"] = {"North": {"blue": 0, "red": 3, "amber": 5, "green": 8},
                                   "South": {"blue": 8, "red": 1, "amber": 0, "green": 12}}
    shown = shown_tables(found)
    keys, on = shown["on_register"]
    assert {k for k, row in zip(keys, on, strict=False) if row[0] == "*"} == {
        "blue", "red", "amber"}
    assert on[3][0] == "20" and on[-1][0] == "37"
    _keys, kw = shown["keyworkers"]
    assert [row[2] for row in kw[:3]] == ["*", "*", "*"]
    for name in ("by_age", "by_sex", "by_ethnicity", "by_local_authority"):
        _keys, grid = shown[name]
        assert grid[-1][:4] == ["*", "*", "*", "20"], name
        for line in [*grid, *zip(*grid, strict=True)]:
            assert list(line).count("*") != 1, (name, grid)


def test_alone_the_register_by_rating_would_show_blue():
    from portal.domain.suppression import suppress_table

    assert [row[0] for row in suppress_table([[8], [4], [5], [20]])] == [
        "8", "*", "*", "20", "37"]  # why the tables are linked


def test_a_month_with_nobody_on_the_register_shows_noughts():
    from portal.domain.returns import shown_tables

    shown = shown_tables(figures(History(entries=[]), "2026-10"))
    assert shown["on_register"][1][-1] == ["0", "0"]
    assert shown["by_local_authority"] == ([], [])
    assert shown["removed"][0] == []
