"""Do a request's answers show that someone may be in danger now?

This decides one thing: whether to show, at once, the numbers to call in an emergency,
and to mark the request so staff see it straight away. It never decides anything about
the request itself, and it is not a rating: staff read every answer.

Two kinds of answer count:

- the ticks for the most serious signals (a hospital admission expected soon, severe
  distress, severe behaviour that challenges, nowhere safe to live or learn, a home,
  care or school place that has broken down);
- words and phrases in the family's own words that say a life or someone's safety is
  at risk now. The list is short on purpose and reviewed: each phrase is narrow enough
  that ordinary descriptions of a hard time ("we cannot keep going like this", "he
  loves jumping off the sofa") do not match. Text is compared in lower case, with
  curly apostrophes made straight and spaces made single.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# The ticks on "what is happening now" that mean danger now (see ratings.Risk).
DANGER_RISKS = frozenset({
    "imminent_admission",
    "severe_distress",
    "severe_behaviour",
    "no_safe_placement",
    "placement_broken_down",
})

_SELF = r"(?:himself|herself|themselves|themself|myself|yourself)"
_WHOSE = r"(?:his|her|their|my|your)"

# Each entry: a reviewed pattern, matched against the tidied lower-case text.
PHRASES: tuple[str, ...] = (
    r"\bsuicid",  # suicide, suicidal
    rf"\bkill(?:s|ed|ing)? {_SELF}\b",
    r"\b(?:tried|tries|trying|try|threatened|threatening|threatens) to kill\b",
    r"\b(?:want|wants|wanted|wanting) to die\b",
    rf"\b(?:end|ends|ending|ended|take|takes|taking|took) {_WHOSE} (?:own )?life\b",
    r"\boverdos",  # overdose, overdosed
    r"\bligature",
    rf"\bhang(?:s|ed|ing)? {_SELF}\b",
    rf"\b(?:cut|cuts|cutting|stab|stabs|stabbed|stabbing) {_SELF}\b",
    r"\bstrangl",  # strangle, strangled, strangling
    # "tried to jump out of the window", "jumped off the bridge"
    r"\bjump(?:s|ed|ing)? (?:out of|off|from) (?:a |an |the |his |her |their |my |our )?"
    r"(?:\w+ )?(?:window|bridge|roof|balcony|building|car)\b",
    r"\bin front of (?:a |the )?(?:car|cars|train|bus|lorry|traffic)\b",
    # "I can't keep him safe", "school cannot keep my son safe"
    r"\b(?:can't|cant|cannot|can not|couldn't|could not|unable to|not able to) keep "
    r"(?:\w+ ){1,3}safe\b",
    r"\bnot safe (?:at home|tonight|right now|now)\b",
    r"\b(?:is|are|am|was|were) in (?:immediate |real )?danger\b",
)
_MATCHERS = tuple(re.compile(p) for p in PHRASES)
_SPACES = re.compile(r"\s+")


def tidy(text: str) -> str:
    """Lower case, straight apostrophes, single spaces."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    return _SPACES.sub(" ", text).strip()


def words_show_danger(text: str | None) -> bool:
    """True when the words contain one of the reviewed phrases."""
    if not text:
        return False
    tidied = tidy(text)
    return any(m.search(tidied) for m in _MATCHERS)


def ticks_show_danger(risks: Iterable[str] | None) -> bool:
    return any(str(code) in DANGER_RISKS for code in risks or ())


def shows_danger_now(*, risks: Iterable[str] | None = (),
                     texts: Iterable[str | None] = ()) -> bool:
    """The answers show that someone may be in danger now."""
    return ticks_show_danger(risks) or any(words_show_danger(t) for t in texts)
