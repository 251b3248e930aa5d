"""Small-number suppression: 1 to 4 hidden, 0 and 5 shown, and a total never gives a
hidden cell away."""

from __future__ import annotations

import pytest

from portal.domain.suppression import HIDDEN, shown, suppress, suppress_table


@pytest.mark.parametrize(("count", "expected"), [(0, "0"), (1, HIDDEN), (4, HIDDEN),
                                                 (5, "5"), (17, "17")])
def test_counts_from_1_to_4_are_hidden_and_0_and_5_are_shown(count, expected):
    assert shown(count) == expected


def test_a_table_with_nothing_small_is_shown_in_full_with_its_totals():
    assert suppress_table([[5, 6], [7, 0]]) == [["5", "6", "11"], ["7", "0", "7"],
                                                 ["12", "6", "18"]]


def test_one_small_cell_in_a_row_hides_the_next_smallest_too():
    table = suppress_table([[3, 10, 20], [6, 8, 30]])
    # Row 0 had one hidden cell (3): 10 goes as well, so 33 - 20 cannot give 3 back.
    assert table[0] == [HIDDEN, HIDDEN, "20", "33"]
    # Column 0 then had one hidden (3): its next smallest, 6, goes; column 1 likewise 8.
    assert table[1] == [HIDDEN, HIDDEN, "30", "44"]
    assert table[2] == ["9", "18", "50", "77"]


def test_no_row_or_column_with_a_total_is_left_with_exactly_one_hidden_cell():
    table = suppress_table([[1, 9, 12, 0], [7, 2, 15, 6], [11, 13, 0, 8]])
    rows = table
    columns = [list(column) for column in zip(*table, strict=True)]
    for line in rows + columns:
        assert line.count(HIDDEN) != 1, table
    # and whatever is shown is the true count
    assert table[0][2] == "12" and table[3][4] == "84"


def test_zeros_are_never_hidden_to_cover_a_small_cell():
    table = suppress_table([[2, 0, 9]])
    assert table[0] == [HIDDEN, "0", HIDDEN, "11"]


def test_a_hidden_total_needs_a_second_hidden_cell_in_its_column():
    # Row 0 adds up to 3 (hidden, and so are its cells); the total column then has one
    # hidden cell above the grand total, so the next smallest total goes too.
    table = suppress_table([[1, 2], [10, 20], [30, 40]])
    totals = [row[2] for row in table]
    assert totals.count(HIDDEN) >= 2
    assert totals[-1] == "103"


def test_groups_given_by_hand():
    out = suppress({"a": 3, "b": 7, "total": 10}, [["a", "b", "total"]])
    assert out == {"a": HIDDEN, "b": HIDDEN, "total": "10"}
