"""SECURITY.md's table of requirements names tests: each one must exist.

Each row's last cell lists `path/to/test_file.py::test_name` entries (a parametrized
test may be named with its parameters, `test_name[param]`). The file must exist and hold
a `def test_name` (or `async def`), so a renamed or deleted test fails here, not silently
in the document.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SECURITY_MD = ROOT / "SECURITY.md"
HEADER = re.compile(r"^\|\s*Requirement\s*\|\s*How it is met\s*\|\s*Test\s*\|\s*$")
SEPARATOR = re.compile(r"^\|(\s*:?-{3,}:?\s*\|)+\s*$")
REFERENCE = re.compile(r"([\w./-]+\.py)::([A-Za-z_]\w*)(\[[^\]]*\])?")
MIN_ROWS = 25


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def table_rows(text: str) -> list[list[str]]:
    """The rows of the table whose header is Requirement | How it is met | Test."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if HEADER.match(line)), None)
    assert start is not None, "SECURITY.md has no Requirement | How it is met | Test table"
    assert SEPARATOR.match(lines[start + 1]), "the table's header has no separator line"
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append(_cells(line))
    return rows


def references(cell: str) -> list[tuple[str, str]]:
    return [(path, name) for path, name, _params in REFERENCE.findall(cell)]


def defines(path: Path, name: str) -> bool:
    pattern = re.compile(rf"^\s*(async\s+)?def\s+{re.escape(name)}\s*\(", re.MULTILINE)
    return bool(pattern.search(path.read_text(encoding="utf-8")))


def test_the_parser_reads_names_files_and_parameters():
    cell = ("tests/a/test_x.py::test_one; tests/a/test_x.py::test_two[sqlite]"
            " and tests/b/test_y.py::test_three")
    assert references(cell) == [("tests/a/test_x.py", "test_one"),
                                ("tests/a/test_x.py", "test_two"),
                                ("tests/b/test_y.py", "test_three")]
    text = ("intro\n\n| Requirement | How it is met | Test |\n|---|---|---|\n"
            "| V1.1.1 A | b | tests/t.py::test_a |\n| V1.1.2 C | d | tests/t.py::test_b |\n"
            "\nafter | not a row |\n")
    assert table_rows(text) == [["V1.1.1 A", "b", "tests/t.py::test_a"],
                                ["V1.1.2 C", "d", "tests/t.py::test_b"]]


def test_the_table_has_enough_rows_each_with_a_requirement_and_a_test():
    rows = table_rows(SECURITY_MD.read_text(encoding="utf-8"))
    assert len(rows) >= MIN_ROWS, f"only {len(rows)} rows"
    for row in rows:
        assert len(row) == 3, f"a row needs three cells: {row}"
        requirement, how, tests = row
        assert re.match(r"^V\d+\.\d+\.\d+ \S", requirement), f"no ASVS id: {requirement!r}"
        assert how, f"{requirement}: says nothing of how it is met"
        assert references(tests), f"{requirement}: names no test"


def test_every_test_the_table_names_exists():
    missing = []
    for requirement, _how, tests in table_rows(SECURITY_MD.read_text(encoding="utf-8")):
        for path, name in references(tests):
            file = ROOT / path
            if not (path.startswith("tests/") and file.is_file()):
                missing.append(f"{requirement}: no file {path}")
            elif not name.startswith("test_") or not defines(file, name):
                missing.append(f"{requirement}: no test {name} in {path}")
    assert not missing, "\n".join(missing)
