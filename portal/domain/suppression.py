"""Small-number suppression for figures published outside the service (the monthly return).

Any count from 1 to 4 is shown as "*" (0 is shown as 0: nobody can be picked out of
nobody). A total shown beside its cells would give a hidden cell away by subtraction, so
where one cell of a row or column that has a total is hidden, the next smallest count in
it is hidden too (secondary suppression), until no row or column has exactly one hidden.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence

HIDDEN = "*"
SMALLEST, LARGEST = 1, 4


def is_small(count: int) -> bool:
    return SMALLEST <= count <= LARGEST


def shown(count: int) -> str:
    """One count on its own (no total beside it)."""
    return HIDDEN if is_small(count) else str(count)


def suppress(cells: dict[Hashable, int], groups: Sequence[Sequence[Hashable]],
             hide: Iterable[Hashable] = ()) -> dict[Hashable, str]:
    """Every cell as shown. `groups`: the cells that add up together, each with its total
    among them (a row and its row total, a column and its column total). `hide`: cells
    hidden whatever their count (the same number is hidden in another table)."""
    hidden = {key for key, count in cells.items() if is_small(count)}
    hidden |= {key for key in hide if key in cells}
    changed = True
    while changed:
        changed = False
        for group in groups:
            if sum(key in hidden for key in group) != 1:
                continue
            # The next smallest count that is not 0 (a 0 hides nothing): cells before
            # totals, then the first in the group's order.
            candidates = [(cells[key], index) for index, key in enumerate(group)
                          if key not in hidden and cells[key] > 0]
            if not candidates:
                continue
            _count, index = min(candidates)
            hidden.add(group[index])
            changed = True
    return {key: HIDDEN if key in hidden else str(count) for key, count in cells.items()}


def suppress_table(rows: Sequence[Sequence[int]], hide: Iterable[tuple[int, int]] = ()
                   ) -> list[list[str]]:
    """A table of counts with a total column added on the right and a total row below,
    every cell as shown. `hide`: (row, column) of cells to hide whatever their count, the
    totals' row and column counted too."""
    width = len(rows[0]) if rows else 0
    cells: dict[Hashable, int] = {}
    for r, row in enumerate(rows):
        if len(row) != width:
            raise ValueError("every row needs the same number of cells")
        for c, count in enumerate(row):
            cells[(r, c)] = int(count)
        cells[(r, width)] = sum(row)
    for c in range(width + 1):
        cells[(len(rows), c)] = sum(cells[(r, c)] for r in range(len(rows)))
    groups: list[list[Hashable]] = []
    for r in range(len(rows) + 1):
        groups.append([(r, c) for c in range(width + 1)])
    for c in range(width + 1):
        groups.append([(r, c) for r in range(len(rows) + 1)])
    out = suppress(cells, groups, hide)
    return [[out[(r, c)] for c in range(width + 1)] for r in range(len(rows) + 1)]
