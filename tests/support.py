"""Shared test data and helpers: a parent's answers, page checks, CSRF handling."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import date
from typing import Any

from bs4 import BeautifulSoup

from portal.data.engine import writes_allowed


def by_hand() -> Any:
    """Set up or age rows directly, as a test (the app itself writes only through
    portal.cases; the guard refuses anything else)."""
    return writes_allowed("test set-up")

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
REFERENCE_RE = re.compile(r'id="reference">([A-Z0-9-]+)<')


def years_ago(years: int, days: int = 30) -> date:
    today = date.today()
    try:
        born = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        born = today.replace(year=today.year - years, day=28)
    return date.fromordinal(born.toordinal() - days)


def unique_nhs_number() -> str:
    """A real-looking NHS number (right check digit) that no other test uses."""
    import secrets

    from portal.domain.nhs_number import check_digit

    while True:
        first_nine = "9" + "".join(secrets.choice("0123456789") for _ in range(8))
        digit = check_digit(first_nine)
        if digit is not None:
            return first_nine + str(digit)


def parent_answers(**overrides: Any) -> list[tuple[str, dict[str, Any]]]:
    """Every question page of the journey, answered the way a parent would."""
    born = overrides.pop("born", years_ago(12))
    answers: dict[str, dict[str, Any]] = {
        "who": {"who": "parent"},
        "child-name": {"child_name": "Sam Example", "child_preferred_name": "Sammy"},
        "date-of-birth": {"child_dob-day": str(born.day), "child_dob-month": str(born.month),
                          "child_dob-year": str(born.year)},
        # Each child its own number: two children with one NHS number are flagged as a
        # clash, and staff cannot add either until it is corrected.
        "nhs-number": {"nhs_number": unique_nhs_number()},
        "postcode": {"postcode": "ls1 4ap"},
        "where-they-live": {"living_situation": "family_home"},
        "education": {"education_setting": "Example Primary School"},
        "autism": {"autism": "diagnosed"},
        "learning-disability": {"learning_disability": "suspected"},
        "hospital": {"in_hospital": "no"},
        "happening-now": {"risks": ["placement_unstable", "family_strain"],
                          "risks_in_own_words": "School say they struggle to support him."},
        "services": {"services": ["camhs", "school"]},
        "tried": {"tried": "Reduced timetable and a support worker."},
        "would-help": {"would_help": "A plan everyone agrees to."},
        "communication": {"communication_needs": ""},
        "language": {"preferred_language": "English"},
        "your-name": {"requester_name": "Alex Example"},
        "contact-details": {"contact_email": "alex@example.com", "contact_phone": ""},
        "contact-method": {"contact_method": "email"},
    }
    for slug, data in overrides.items():
        if data is None:  # a question this person is not asked
            answers.pop(slug.replace("_", "-"))
        else:
            answers[slug.replace("_", "-")] = data
    return list(answers.items())


def csrf_token(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def page_problems(html: str) -> list[str]:
    """What a person (or a screen reader) would trip over on any page we serve."""
    soup = BeautifulSoup(html, "html.parser")
    problems = []
    root = soup.find("html")
    if root is None or not root.get("lang"):
        problems.append("<html> has no lang")
    title = soup.find("title")
    if title is None or not title.get_text(strip=True):
        problems.append("no <title>")
    h1s = soup.find_all("h1")
    if len(h1s) != 1:
        problems.append(f"{len(h1s)} <h1> elements")
    ids = Counter(tag["id"] for tag in soup.find_all(id=True))
    dupes = [i for i, n in ids.items() if n > 1]
    if dupes:
        problems.append(f"duplicate ids: {dupes}")
    for form in soup.find_all("form"):
        if (form.get("method") or "get").lower() == "post" and not form.find(
            "input", attrs={"name": "csrf_token"}
        ):
            problems.append(f"form without CSRF token: {form.get('action')}")
    for label in soup.find_all("label"):
        target = label.get("for")
        if target and not soup.find(id=target):
            problems.append(f"label for missing id {target}")
    return problems


def error_summary(html: str) -> list[tuple[str, str]]:
    """(link target, message) pairs in the error summary."""
    soup = BeautifulSoup(html, "html.parser")
    box = soup.select_one(".govuk-error-summary")
    if box is None:
        return []
    return [(a["href"], a.get_text(strip=True)) for a in box.select("a")]


def field_errors(html: str) -> dict[str, str]:
    soup = BeautifulSoup(html, "html.parser")
    result = {}
    for p in soup.select(".govuk-error-message"):
        field_id = p.get("id", "").removesuffix("-error")
        result[field_id] = p.get_text(" ", strip=True).replace("Error:", "").strip()
    return result


def flatten(data: dict[str, Any]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for key, value in data.items():
        values: Iterable[Any] = value if isinstance(value, list) else [value]
        pairs.extend((key, str(v)) for v in values)
    return pairs


# What production needs beyond a secret and a database, every detail real (phone numbers
# Ofcom keeps for drama; tests/integration/test_production_settings.py checks each one).
REAL_DETAILS = {
    "ORGANISATION_NAME": "Northfield Integrated Care Board",
    "CRISIS_LINE_PHONE": "0808 157 0192", "CRISIS_LINE_HOURS": "Every day, 8am to midnight",
    "CONTACT_PHONE": "0113 496 0123", "CONTACT_EMAIL": "dsr.team@nhs.net",
    "BASE_URL": "https://dsr.northfield.nhs.uk", "MAIL_SERVER": "smtp.northfield.nhs.uk",
    "MAIL_FROM": "dsr.noreply@nhs.net",
    "TOTP_ENCRYPTION_KEYS": "kHjvDfr-Hbp1DBnc95hE1Yd-wj1FVqM0xSQiaaTu0nk=",
}
