"""Finding a child by what a member of staff types: a name however it is spelt or ordered,
a request reference, an NHS number or a date of birth. Pure Python: no web, no database.

Names are compared word by word, in any order ("Smith, John" finds John Smith): each word
typed is matched with the closest word of the name, by a similarity ratio (difflib's)
raised when the two words sound alike (a Soundex code, with a few English spellings of the
same first sound folded together: "Catherine" and "Katherine", "Philip" and "Filip").
The database keeps each name's sound codes (`sounds_key`), so it only has to look closely
at names sharing at least one sound with what was typed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from difflib import SequenceMatcher
from functools import lru_cache
from typing import TypeVar

from portal.domain import nhs_number, references

T = TypeVar("T")

# A name matches when the words typed match it this well on average (0 to 1)...
MATCH = 0.72
# ...and no word typed matches worse than this (so "John Brown" is not John Smith).
WORD_FLOOR = 0.5
# Two words that sound alike count as at least this similar.
SOUND_ALIKE = 0.75
SOUNDS_KEY_LENGTH = 200

_SOUNDEX = {**dict.fromkeys("bfpv", "1"), **dict.fromkeys("cgjkqsxz", "2"),
            **dict.fromkeys("dt", "3"), "l": "4", **dict.fromkeys("mn", "5"), "r": "6"}
# Spellings of the same first sound: folded before the code is taken.
_FIRST_SOUNDS = (("ph", "f"), ("kn", "n"), ("gn", "n"), ("wr", "r"), ("ps", "s"),
                 ("wh", "w"), ("x", "s"))


def words(text: str) -> list[str]:
    """Lower-case words of letters: accents dropped ("Zoë" is "zoe"), apostrophes closed
    up ("O'Brien" is "obrien"), anything else a space ("Smith-Jones" is two words)."""
    plain = unicodedata.normalize("NFKD", text or "")
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).lower()
    plain = re.sub(r"['\u2019`]", "", plain)
    # Letters of any script (a name in Arabic or Chinese is found by its own letters).
    return [w for w in re.split(r"[\W\d_]+", plain) if w]


@lru_cache(maxsize=8192)
def sound(word: str) -> str:
    """A word's sound code: Soundex (first letter and three digits), after folding spellings
    of the same first sound together (ph/f, kn/n, wr/r; c as k or s)."""
    word = "".join(words(word))
    if not word:
        return ""
    for spelling, said in _FIRST_SOUNDS:
        if word.startswith(spelling):
            word = said + word[len(spelling):]
            break
    if word[0] == "c":
        word = ("s" if word[1:2] in ("e", "i", "y") else "k") + word[1:]
    code = word[0]
    last = _SOUNDEX.get(word[0], "")
    for ch in word[1:]:
        digit = _SOUNDEX.get(ch, "")
        if digit and digit != last:
            code += digit
            if len(code) == 4:
                break
        if ch not in "hw":  # h and w do not separate two letters of the same sound
            last = digit
    return (code + "000")[:4]


def sounds_key(*names: str | None) -> str:
    """The sound codes of every word of these names, each once, space separated with a
    space at each end (so the database can look for " J500 " anywhere in it)."""
    seen: list[str] = []
    for name in names:
        for word in words(name or ""):
            code = sound(word)
            if code not in seen:
                seen.append(code)
    key = " " + " ".join(seen) + " "
    while len(key) > SOUNDS_KEY_LENGTH:  # a very long name keeps its first sounds
        seen.pop()
        key = " " + " ".join(seen) + " "
    return key if seen else ""


def query_sounds(typed: str) -> list[str]:
    """The sound codes to look for: one per word typed (initials have none)."""
    found: list[str] = []
    for word in words(typed):
        if len(word) > 1 and sound(word) not in found:
            found.append(sound(word))
    return found


def word_similarity(typed: str, word: str) -> float:
    """How alike a word typed is to a word of a name, 0 to 1."""
    if typed == word:
        return 1.0
    if len(typed) == 1:  # an initial
        return 0.9 if word.startswith(typed) else 0.0
    # difflib's ratio, with one for typing slips (a letter missed, added, changed or two
    # swapped): "Jonh" is nearer John than Joan.
    longest = max(len(typed), len(word))
    ratio = (SequenceMatcher(None, typed, word, autojunk=False).ratio()
             + 1 - _slips(typed, word) / longest) / 2
    if len(typed) >= 3 and word.startswith(typed):  # the start of a name: "Alex" for Alexander
        ratio = max(ratio, 0.85)
    if sound(typed) == sound(word):  # alike in sound: halfway closer, keeping the order
        ratio = max(ratio + (1 - ratio) / 2, SOUND_ALIKE)
    return min(ratio, 0.99)


def _slips(a: str, b: str) -> int:
    """Typing slips between two words: letters missed, added or changed, and two letters
    swapped (the optimal string alignment distance)."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(rows[i - 1][j] + 1, row[j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[i - 2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def score(typed: str, *names: str | None,
          cache: dict[tuple[str, str], float] | None = None) -> float:
    """How well what was typed matches a child's names (their full name, and any name they
    prefer), 0 to 1: the mean over the words typed of each one's best match, nudged up a
    little when the typed words cover the whole name (John Smith before John Smith-Jones).
    0 when any word typed matches nothing of the name."""
    asked = words(typed)
    held = [w for name in names for w in words(name or "")]
    if not asked or not held:
        return 0.0
    alike = cache if cache is not None else {}

    def similar(a: str, w: str) -> float:
        if (a, w) not in alike:
            alike[(a, w)] = word_similarity(a, w)
        return alike[(a, w)]

    best = [max(similar(a, w) for w in held) for a in asked]
    if min(best) < WORD_FLOOR:
        return 0.0
    mean = sum(best) / len(best)
    full = words(names[0] or "") or held
    covered = sum(1 for w in full if max(similar(a, w) for a in asked) >= MATCH)
    return round(0.9 * mean + 0.1 * covered / len(full), 4)


def matches(typed: str, *names: str | None) -> bool:
    return score(typed, *names) >= MATCH


def rank(typed: str, candidates: list[tuple[T, tuple[str | None, ...]]]
         ) -> list[tuple[T, float]]:
    """The candidates (anything, with its names) that match, best first; equal scores keep
    the order they came in."""
    cache: dict[tuple[str, str], float] = {}  # first names and surnames come again and again
    scored = [(item, score(typed, *names, cache=cache)) for item, names in candidates]
    kept = [(item, s) for item, s in scored if s >= MATCH]
    return sorted(kept, key=lambda pair: -pair[1])


# What was typed ----------------------------------------------------------------------

@dataclass(frozen=True)
class Query:
    """kind: "reference", "nhs_number", "date_of_birth", "name", or "empty" / "unclear"
    (nothing to look for: no letters to be a name, and not a number or date we know)."""

    kind: str
    value: str = ""
    born: date | None = None


_DATE_PATTERNS = (
    re.compile(r"^(?P<d>\d{1,2})\s*[/.\-\s]\s*(?P<m>\d{1,2}|[a-z]+)\s*[/.\-\s]\s*(?P<y>\d{4})$"),
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$"),
)
_MONTHS = {name: n for n, names in enumerate((
    ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
    ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
    ("oct", "october"), ("nov", "november"), ("dec", "december")), start=1) for name in names}
# Other references a request can carry (made-up volume data: "VOL-00001234").
_OTHER_REFERENCE = re.compile(r"^([A-Z]{3})-?(\d{8})$")


def _date(text: str) -> date | None:
    for pattern in _DATE_PATTERNS:
        found = pattern.match(text.lower())
        if found is None:
            continue
        month_text = found["m"]
        month = int(month_text) if month_text.isdecimal() else _MONTHS.get(month_text)
        if month is None:
            return None
        try:
            return date(int(found["y"]), month, int(found["d"]))
        except ValueError:
            return None
    return None


def parse_query(typed: str) -> Query:
    """Say what kind of thing was typed in the search box."""
    text = " ".join((typed or "").split())[:200]
    if not text:
        return Query("empty")
    squashed = re.sub(r"[\s\-]", "", text)
    if squashed.isdecimal() and len(squashed) == 10 and squashed.isascii():
        return Query("nhs_number", nhs_number.normalise(squashed))
    upper = squashed.upper()
    if upper.startswith(references.PREFIX) and upper.isalnum() and upper.isascii():
        # One of ours, well formed or not (a reference with a look-alike character typed
        # is then simply not found).
        return Query("reference", references.normalise(upper))
    other = _OTHER_REFERENCE.match(upper)
    if other:
        return Query("reference", f"{other[1]}-{other[2]}")
    born = _date(text)
    if born is not None:
        return Query("date_of_birth", born.isoformat(), born)
    if any(ch.isdigit() for ch in text) or not words(text):
        return Query("unclear", text)
    return Query("name", " ".join(words(text)))
