"""What a signed-in family can read: everything we hold (the page and its download), the
keyworker, counts in plain words, and pages that fit a 320 pixel wide phone screen."""

from __future__ import annotations

import json
import re
from typing import Any

from babel.dates import format_datetime, get_timezone
from bs4 import BeautifulSoup

from tests.conftest import ROOT
from tests.integration.staff_support import make_staff, post_form, sign_in, version_on
from tests.integration.test_family import family_signs_in
from tests.integration.test_staff_casework import _accept, ready_request
from tests.support import by_hand, csrf_token, years_ago

ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$")


# Staff do their part through their own pages ---------------------------------------------

def entry_form(staff, entry_id: str, which: str, fields: dict[str, Any]) -> Any:
    """Post one of the entry page's forms (each has its own prefix and version)."""
    page = staff.get(f"/staff/register/{entry_id}").get_data(as_text=True)
    data = {"csrf_token": csrf_token(page),
            f"{which}-version": version_on(page, f"{which}-version")}
    data.update({f"{which}-{name}": value for name, value in fields.items()})
    path = {"action": "actions", "close": "close", "details": "details",
            "rating": "rating"}[which]
    saved = staff.post(f"/staff/register/{entry_id}/{path}", data=data)
    assert saved.status_code == 302, saved.get_data(as_text=True)[:3000]
    return saved


def _day(prefix: str, day: int, month: int, year: int) -> dict[str, str]:
    return {f"{prefix}-day": str(day), f"{prefix}-month": str(month),
            f"{prefix}-year": str(year)}


def add_keyworker(staff, entry_id: str, name: str = "Kim Keyworker",
                  contact: str = "kim.keyworker@example.org") -> None:
    entry_form(staff, entry_id, "details", {
        "keyworker": name, "keyworker_contact": contact, **_day("next_review_on", 1, 1, 2099),
        **_day("cetr_last_on", 2, 3, 2026), **_day("cetr_next_on", 4, 5, 2099)})


def whole_story(app, client):
    """A request with something in every part of what we hold: messages both ways, a
    decision about consent, an entry with a keyworker, C(E)TR dates, a changed and
    released rating, an action done, an update from the family, staff who looked, and
    the entry closed. Returns (request, the family's client)."""
    import uuid

    from tests.integration.test_consent import (
        parent_signs,
        record_finding,
        request_row,
        send_request,
    )

    # At 16 it is the young person's decision; staff record that they lack capacity for
    # it, so the parent's consent stands (a decision about consent, held too).
    sender = app.test_client()
    reference = send_request(sender, born=years_ago(16, days=100),
                             email=f"family.{uuid.uuid4().hex[:8]}@example.com")
    parent_signs(sender, reference)
    record_finding(app, reference, "lacks_capacity_best_interests",
                   "Capacity assessed; best-interests meeting held.")
    with app.app_context():
        req = request_row(app, reference)
        app.extensions["sqlalchemy"].session.expunge(req)
    assert req.state == "ready_for_triage"
    staff = make_staff(app, "register_manager", name="Morgan Manager")
    sign_in(client, staff)
    page = client.get(f"/staff/requests/{req.id}/more-information").get_data(as_text=True)
    client.submit(f"/staff/requests/{req.id}/more-information", {
        "version": version_on(page), "question": "Does Robin have a social worker?"})
    family = family_signs_in(app, req.contact_email)
    post_form(family, f"/account/requests/{req.reference}",
              f"/account/requests/{req.reference}/reply", {"body": "Yes, since June."})
    entry_id = _accept(client, req).rsplit("/", 1)[1]
    entry_form(client, entry_id, "rating", {"rating": "red", "reason": "Placement at risk."})
    add_keyworker(client, entry_id)  # after the rating, which moves the next review
    post_form(client, f"/staff/register/{entry_id}", f"/staff/register/{entry_id}/release",
              {"release": "1"})
    entry_form(client, entry_id, "action", {
        "description": "Book a care, education and treatment review.",
        "owner": "Kim Keyworker", **_day("due_on", 2, 2, 2099)})
    page = client.get(f"/staff/register/{entry_id}").get_data(as_text=True)
    action_id = re.search(r"/actions/(\d+)/done", page).group(1)
    post_form(client, f"/staff/register/{entry_id}",
              f"/staff/register/{entry_id}/actions/{action_id}/done", {})
    family.submit(f"/account/requests/{req.reference}/something-has-changed",
                  {"events": ["a_and_e"], "details": "A long night in A&E."})
    _partners_and_reviews(app, int(entry_id), staff.id)
    entry_form(client, entry_id, "close", {"reason": "moved_area"})
    return req, family


def _partners_and_reviews(app, entry_id: int, staff_id: int) -> None:
    """A C(E)TR held, a professional involved and a partner agency's update (their own
    journeys are tested where they are built; here, only that the family is given them)."""
    import uuid
    from datetime import date

    from portal.data.cetr import CetrReview
    from portal.data.partners import Agency, PartnerUpdate
    from portal.data.referrals import EntryContact

    session = app.extensions["sqlalchemy"].session
    with app.app_context(), by_hand():
        agency = Agency(name=f"Northshire Children's Services {uuid.uuid4().hex[:6]}",
                        kind="social_care")
        session.add(agency)
        session.flush()
        session.add_all([
            PartnerUpdate(entry_id=entry_id, agency_id=agency.id, author_id=staff_id,
                          body="Visited at home; respite agreed."),
            EntryContact(entry_id=entry_id, name="Jo Carter", job="Social worker",
                         organisation="Northshire Council", kind="referrer"),
            CetrReview(entry_id=entry_id, kind="community", reason="Crisis at home.",
                       requested_on=date(2026, 2, 1), due_by=date(2026, 3, 1),
                       held_on=date(2026, 3, 2), outcome="More support at home.",
                       created_by="Morgan Manager")])
        session.commit()


def listed_paths(data: dict[str, Any]) -> set[str]:
    """Every key in a download, written as KEYS writes it: "a.b", and a list "a.b[]" with
    its items' keys after it ("a.b[].c")."""
    found: set[str] = set()

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                here = f"{path}.{key}" if path else key
                if isinstance(inner, list):
                    found.add(here + "[]")
                    for item in inner:
                        walk(item, here + "[]")
                else:
                    found.add(here)
                    walk(inner, here)

    walk(data, "")
    return found


def leaves(data: Any, path: str = "") -> list[tuple[str, Any]]:
    """(path, value) for every value that is not an object or a list."""
    if isinstance(data, dict):
        return [leaf for key, inner in data.items()
                for leaf in leaves(inner, f"{path}.{key}" if path else key)]
    if isinstance(data, list):
        return [leaf for item in data for leaf in leaves(item, path + "[]")]
    return [(path, data)]


def main_text(html: str) -> str:
    soup = BeautifulSoup(html, "html.parser")
    return re.sub(r"\s+", " ", soup.find("main").get_text(" "))


# Everything we hold --------------------------------------------------------------------

def test_the_download_has_exactly_the_documented_keys(app, client):
    from portal.family.held import CODED, KEYS

    req, family = whole_story(app, client)
    response = family.get(f"/account/requests/{req.reference}/my-data.json")
    assert response.mimetype == "application/json"
    data = json.loads(response.data)
    documented = [path for path, _meaning in KEYS]
    assert len(documented) == len(set(documented))
    assert listed_paths(data) == set(documented)
    for path, meaning in KEYS:
        assert str(meaning).strip(), path  # every key says what it means
    for path, value in leaves(data):
        if value is None or isinstance(value, bool | int):
            continue
        assert isinstance(value, str), (path, value)
        name = path.removesuffix("[]").rsplit(".", 1)[-1]
        if name.endswith("_at"):
            assert ISO_TIME.match(value), (path, value)
        elif name.endswith("_on"):
            assert ISO_DAY.match(value), (path, value)
        assert not re.search(r"datetime\.|<[a-z_.]+ object|^None$|^True$|^False$", value), \
            (path, value)
    # Every code comes with its meaning, in words (not the code again).
    for path in CODED:
        parent, _, key = path.removesuffix("[]").rpartition(".")
        for holder in _objects_at(data, parent):
            code, meaning = holder[key], holder[key + "_meaning"]
            if isinstance(code, list):
                assert len(code) == len(meaning)
                pairs = list(zip(code, meaning, strict=True))
            else:
                pairs = [(code, meaning)] if code is not None else []
            for one, words in pairs:
                assert words and words != one and "_" not in words, (path, one, words)
    entry = data["register_entry"]
    assert entry["rating"] == "red" and entry["rating_meaning"].startswith("Red")
    assert [c["rating"] for c in entry["rating_history"]] == ["red", "amber"]
    assert entry["keyworker"] == "Kim Keyworker"
    assert entry["keyworker_contact"] == "kim.keyworker@example.org"
    assert (entry["next_review_on"], entry["cetr_last_on"], entry["cetr_next_on"]) == (
        "2099-01-01", "2026-03-02", "2099-05-04")
    assert entry["actions"][0]["owner"] == "Kim Keyworker"
    assert entry["actions"][0]["due_on"] == "2099-02-02" and entry["actions"][0]["done_at"]
    assert entry["closed_reason"] == "moved_area" and entry["closed_at"]
    assert entry["cetr_reviews"] == [{"due_on": "2026-03-01", "booked_for_at": None,
                                      "held_on": "2026-03-02",
                                      "outcome": "More support at home."}]
    assert entry["people_involved"] == [{"name": "Jo Carter", "job": "Social worker",
                                         "organisation": "Northshire Council"}]
    assert [(u["agency"].startswith("Northshire Children's Services"), u["body"])
            for u in entry["partner_updates"]] == [(True, "Visited at home; respite agreed.")]
    assert data["consents"][0]["answer"] == "yes"
    assert data["consent_decisions"][0]["decision"] == "lacks_capacity_best_interests"
    assert [m["from"] for m in data["messages"]] == ["staff", "family"]
    assert data["updates"][0]["events"] == ["a_and_e"]
    assert data["people_with_access"][0]["role"] == "requester"
    assert {v["role"] for v in data["viewed_by_staff"]} == {"register_manager"}


def _objects_at(data: Any, path: str) -> list[dict[str, Any]]:
    """The objects found at a KEYS path ("" is the top), skipping nulls."""
    found = [data]
    for part in [p for p in path.split(".") if p]:
        listed = part.endswith("[]")
        key = part.removesuffix("[]")
        found = [item[key] for item in found if item.get(key) is not None]
        if listed:
            found = [inner for item in found for inner in item]
    return found


def test_the_page_shows_everything_in_plain_words_and_uk_time(app, client):
    req, family = whole_story(app, client)
    html = family.get(f"/account/requests/{req.reference}/my-data").get_data(as_text=True)
    text = main_text(html)
    uk = format_datetime(req.submitted_at, "d MMMM yyyy, HH:mm",
                         tzinfo=get_timezone("Europe/London"), locale="en")
    for shown in (
        uk,  # times in UK time, as people read them
        "No longer on the register",
        "Red: immediate risk", "Amber: high risk", "Placement at risk.",  # rating, history
        "Kim Keyworker", "kim.keyworker@example.org",
        "1 January 2099", "2 March 2026", "4 May 2099",  # next review, C(E)TR dates
        "Book a care, education and treatment review.", "By: 2 February 2099", "Done:",
        "Moved to another area",  # why it closed
        "Yes, agreed", "Parent or carer",  # consent in words
        "Lacks capacity for this decision", "Dr Example, psychologist",
        "Does Robin have a social worker?", "Yes, since June.",
        "You told us something has changed", "They went to A&E", "A long night in A&E.",
        req.contact_email, "Sent the request",
        "Register manager",
        "Held: 2 March 2026", "More support at home.",  # the C(E)TR and what was agreed
        "Jo Carter, Social worker (Northshire Council)",  # who is involved
        "Northshire Children's Services", "Visited at home; respite agreed.",
    ):
        assert shown in text, shown
    for code in ("on_register", "left_register", "requester", "register_manager",
                 "moved_area", "a_and_e", "lacks_capacity_best_interests", "red"):
        assert not re.search(rf"(?<![\w.\[]){code}(?![\w\[])", _without_key_list(text)), code
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", _without_key_list(text))  # readable dates


def _without_key_list(text: str) -> str:
    """The page's words, less the list of the download's keys (written as in the file)."""
    return text.split("What each part of the file means")[0]


def test_the_rating_is_held_back_until_the_team_shares_it(app, client):
    req = ready_request(app)
    staff = make_staff(app, "triage_officer")
    sign_in(client, staff)
    entry_id = _accept(client, req).rsplit("/", 1)[1]
    family = family_signs_in(app, req.contact_email)
    data = json.loads(family.get(f"/account/requests/{req.reference}/my-data.json").data)
    assert data["register_entry"]["rating"] is None
    assert data["register_entry"]["rating_meaning"] is None
    assert data["register_entry"]["rating_history"] == []
    text = main_text(family.get(f"/account/requests/{req.reference}/my-data").get_data(
        as_text=True))
    assert "Amber" not in text and "Coordination needed." not in text
    assert "The team will share the rating with you" in text
    assert entry_id


# The keyworker -------------------------------------------------------------------------

def test_ask_for_a_keyworker_only_when_there_is_none(app, client):
    from portal.data.family import FamilyUpdate

    req = ready_request(app)
    staff = make_staff(app, "triage_officer")
    sign_in(client, staff)
    entry_id = _accept(client, req).rsplit("/", 1)[1]
    family = family_signs_in(app, req.contact_email)
    page = f"/account/requests/{req.reference}"
    ask = f"{page}/ask/keyworker"
    assert ask in family.get(page).get_data(as_text=True)  # nobody named yet
    add_keyworker(client, entry_id, contact="kim.keyworker@example.org")
    html = family.get(page).get_data(as_text=True)
    assert ask not in html and "Ask for a keyworker" not in html
    box = BeautifulSoup(html, "html.parser").find(id="keyworker")
    assert box is not None and "Kim Keyworker" in box.get_text()
    assert box.find("a", href="mailto:kim.keyworker@example.org") is not None
    # Going to the old address shows how to reach them, and asks for nobody.
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        before = db.session.query(FamilyUpdate).filter_by(request_id=req.id).count()
    shown = family.get(ask).get_data(as_text=True)
    assert "Kim Keyworker" in shown and 'name="details"' not in shown
    family.post(ask, data={"csrf_token": csrf_token(shown), "details": "x"})
    with app.app_context():
        assert db.session.query(FamilyUpdate).filter_by(request_id=req.id).count() == before
    # A phone number is a link to call.
    add_keyworker(client, entry_id, contact="0113 496 0000")
    html = family.get(page).get_data(as_text=True)
    box = BeautifulSoup(html, "html.parser").find(id="keyworker")
    assert box.find("a", href="tel:01134960000") is not None
    # Once the entry closes, nobody is their keyworker any more: they can ask again.
    entry_form(client, entry_id, "close", {"reason": "risk_reduced"})
    html = family.get(page).get_data(as_text=True)
    assert BeautifulSoup(html, "html.parser").find(id="keyworker") is None
    assert ask in html


# Counts in plain words -----------------------------------------------------------------

def test_one_minute_is_not_one_minutes(app, client):
    req = ready_request(app)
    before = app.config["FAMILY_LINK_TTL_MINUTES"]
    app.config["FAMILY_LINK_TTL_MINUTES"] = 1
    try:
        client.submit("/account/sign-in", {"email": req.contact_email})
        one = main_text(client.get("/account/sign-in/check-your-email").get_data(
            as_text=True))
    finally:
        app.config["FAMILY_LINK_TTL_MINUTES"] = before
    assert "for 1 minute." in one and "1 minutes" not in one
    many = main_text(client.get("/account/sign-in/check-your-email").get_data(as_text=True))
    assert f"for {before} minutes." in many


COUNT_WORDS = ("minute", "hour", "day", "week", "month", "year", "time", "message",
               "request", "person", "people", "action", "review", "update")


def test_every_count_on_a_family_page_is_plural_aware():
    """A number put into a sentence ({{ n }} days) must choose its own plural."""
    blocks = re.compile(r"{%-?\s*trans\b(.*?)%}(.*?){%-?\s*endtrans\s*-?%}", re.S)
    counted = re.compile(rf"{{{{\s*\w+\s*}}}}\s+(?:{'|'.join(COUNT_WORDS)})s?\b")
    problems = []
    for path in sorted((ROOT / "templates" / "family").glob("*.html")):
        for _head, body in blocks.findall(path.read_text()):
            if counted.search(body) and "pluralize" not in body:
                problems.append(f"{path.name}: {body.strip()[:80]}")
    assert problems == []


# 320 pixels wide -----------------------------------------------------------------------

# Long enough to be far wider than a phone (about 650 pixels), short enough for the
# key that stops an email being queued twice, which holds the address too.
LONG_EMAIL = "a" * 30 + "@" + "b" * 38 + ".example.com"
LONG_WORD = "Supercalifragilistic" * 12
