"""Input is bounded where it comes in: hidden control characters are a field error in the
person's language, every text has a limit, page numbers and ids that cannot be there are
a 404, a malformed form is a 400, a redirect never carries a control character, and a
request saved for later keeps only what its questions ask for, within their limits."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa

from portal.data.drafts import Draft
from portal.data.requests import SupportRequest
from tests.integration.staff_support import make_staff, sign_in
from tests.support import csrf_token, error_summary, field_errors, parent_answers

HIDDEN = "must not include hidden special characters"
HUGE = "99999999999999999999"


def _draft(app, client) -> dict:
    """The answers stored for this browser's unfinished request."""
    with client.session_transaction() as session:
        draft_id = session["draft_id"]
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        answers = db.session.get(Draft, draft_id).answers
        db.session.rollback()
    return answers


def _answer_up_to(client, slug: str) -> None:
    client.start_request()
    for step, data in parent_answers():
        if step == slug:
            return
        response = client.submit(f"/request/{step}", data)
        assert response.status_code == 302, step


# Control characters --------------------------------------------------------------------

@pytest.mark.parametrize("slug, data, field", [
    ("child-name", {"child_name": "Sam\x00 Example", "child_preferred_name": ""},
     "child_name"),
    ("child-name", {"child_name": "Sam Example", "child_preferred_name": "Sa\x1bm"},
     "child_preferred_name"),
    ("tried", {"tried": "A support worker\x00"}, "tried"),
    ("happening-now", {"risks_in_own_words": "It is\x00 hard"}, "risks_in_own_words"),
])
def test_a_hidden_control_character_is_a_field_error_and_is_never_stored(
        app, client, slug, data, field):
    _answer_up_to(client, slug)
    page = client.submit(f"/request/{slug}", data)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert HIDDEN in field_errors(html)[field]
    assert error_summary(html)[0][0] == f"#{field}"
    assert "\x00" not in json.dumps(_draft(app, client))


def test_a_request_refused_a_nul_is_then_sent_on_both_databases(app, client):
    """A NUL typed into an answer once made every Send fail on PostgreSQL."""
    _answer_up_to(client, "tried")
    refused = client.submit("/request/tried", {"tried": "Respite\x00 twice"})
    assert HIDDEN in field_errors(refused.get_data(as_text=True))["tried"]
    for step, data in parent_answers():
        if step in {"who", "child-name", "date-of-birth", "nhs-number", "postcode",
                    "where-they-live", "education", "autism", "learning-disability",
                    "hospital", "happening-now", "services"}:
            continue
        assert client.submit(f"/request/{step}", data).status_code == 302, step
    sent = client.submit("/request/check-answers", {
        "submission_key": _draft_key(app, client)})
    assert sent.status_code == 302
    assert "/request/sent/" in sent.headers["Location"]


def _draft_key(app, client) -> str:
    with client.session_transaction() as session:
        draft_id = session["draft_id"]
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        key = db.session.get(Draft, draft_id).idempotency_key
        db.session.rollback()
    return key


def test_line_breaks_and_tabs_are_fine_in_a_long_answer_but_not_in_a_name(app, client):
    _answer_up_to(client, "tried")
    kept = client.submit("/request/tried", {"tried": "First line\r\n\tsecond line"})
    assert kept.status_code == 302
    assert _draft(app, client)["tried"] == "First line\r\n\tsecond line"
    name = client.submit("/request/child-name",
                         {"child_name": "Sam\r\nBcc: x@example.com", "child_preferred_name": ""})
    assert name.status_code == 200
    assert HIDDEN in field_errors(name.get_data(as_text=True))["child_name"]


def test_the_control_character_error_is_in_the_persons_language(app, client):
    """The message goes through translation with the field's own name in it."""
    _answer_up_to(client, "your-name")
    page = client.submit("/request/your-name", {"requester_name": "Alex\x07"})
    message = field_errors(page.get_data(as_text=True))["requester_name"]
    assert message == "Your name must not include hidden special characters. Type it in again"


def test_a_nul_in_the_staff_sign_in_email_is_a_field_error(app):
    client = app.test_client()
    page = client.submit("/staff/sign-in", {"email": "a\x00b@example.org", "password": "x"})
    assert page.status_code == 200
    assert HIDDEN in field_errors(page.get_data(as_text=True))["email"]


def test_a_password_that_is_far_too_long_is_refused_before_it_is_checked(app):
    client = app.test_client()
    page = client.submit("/staff/sign-in", {"email": "someone@example.org",
                                            "password": "x" * 5000})
    assert page.status_code == 200
    assert "1,000 characters or fewer" in field_errors(page.get_data(as_text=True))["password"]


def test_a_staff_note_with_a_nul_is_a_field_error(app):
    from tests.integration.test_staff_casework import ready_request

    req = ready_request(app)
    staff = app.test_client()
    sign_in(staff, make_staff(app, "register_manager"))
    page = staff.submit(f"/staff/requests/{req.id}/more-information",
                        {"question": "When\x00 did it start?"})
    assert page.status_code == 200
    assert HIDDEN in page.get_data(as_text=True)


# Page numbers, ids, malformed values ----------------------------------------------------

@pytest.fixture
def manager(app):
    staff = app.test_client()
    sign_in(staff, make_staff(app, "register_manager"))
    return staff


LISTS = ["/staff/queue", "/staff/register", "/staff/audit", "/staff/meeting"]


def test_a_page_number_that_cannot_be_there_is_not_found(manager):
    for path in LISTS:
        for page in [HUGE, "100001", "0", "-1", "abc", "²", "1" * 5000]:
            assert manager.get(f"{path}?page={page}").status_code == 404, (path, page[:20])


def test_a_page_number_past_the_last_page_shows_an_empty_page(manager):
    for path in LISTS:
        for page in ["100000", "2", "1", ""]:
            assert manager.get(f"{path}?page={page}").status_code == 200, (path, page)


def test_an_id_larger_than_the_database_holds_is_not_found(manager):
    for path in [f"/staff/register/{HUGE}", "/staff/register/2147483648",
                 "/staff/register/2147483647", f"/staff/requests/{HUGE}",
                 f"/staff/requests/{HUGE}/decline", f"/staff/requests/{HUGE}/consent-finding"]:
        assert manager.get(path).status_code == 404, path


def test_a_meeting_outcome_for_no_real_entry_is_a_bad_request(manager):
    for entry in ["abc", "", "²", "1" * 30, "2147483648", "1\x00"]:
        page = manager.get("/staff/meeting")
        response = manager.post("/staff/meeting", data={
            "csrf_token": csrf_token(page.get_data(as_text=True)), "entry": entry})
        assert response.status_code == 400, entry
        assert "<h1" in response.get_data(as_text=True)


def test_the_audit_log_takes_any_filter_without_failing(manager):
    for query in ["staff=%00", "staff=abc", "reference=%00", "page=1"]:
        assert manager.get(f"/staff/audit?{query}").status_code == 200, query


def test_checking_a_code_with_a_control_character_finds_nothing(app):
    staff = app.test_client()
    sign_in(staff, make_staff(app, "triage_officer"))
    assert staff.get("/staff/verify?code=AB%00CD").status_code == 200


def test_a_meeting_at_the_end_of_the_calendar_is_the_meeting_today(app, manager):
    """An outcome's next review is counted from the meeting's date: 9999-12-31 has no
    room after it."""
    from tests.integration.staff_support import version_on
    from tests.integration.test_staff_casework import _accept, ready_request

    entry_id = _accept(manager, ready_request(app)).rsplit("/", 1)[1]
    page = manager.get(f"/staff/register/{entry_id}").get_data(as_text=True)
    manager.post(f"/staff/register/{entry_id}/details", data={
        "csrf_token": csrf_token(page), "details-version": version_on(page, "details-version"),
        "details-next_review_on-day": "2", "details-next_review_on-month": "1",
        "details-next_review_on-year": "2020"})
    meeting = "/staff/meeting?meeting=9999-12-31&due=2020-01-02"
    page = manager.get(meeting).get_data(as_text=True)
    version = re.search(rf'name="e{entry_id}-version" value="(\d+)"', page).group(1)
    saved = manager.post(meeting, data={
        "csrf_token": csrf_token(page), "entry": entry_id, f"e{entry_id}-version": version,
        f"e{entry_id}-rating": "amber", f"e{entry_id}-outcome": "Carry on.",
        f"e{entry_id}-next_review": "91"})
    assert saved.status_code == 302


def test_sending_a_request_with_a_nul_for_its_key_is_no_error(app, client):
    client.answer_all()
    response = client.submit("/request/check-answers", {"submission_key": "\x00"})
    assert response.status_code == 302


def test_a_date_of_birth_in_unusual_digits_is_a_field_error(app, client):
    """'²' is a digit to Python's isdigit, but not a number int() reads."""
    _answer_up_to(client, "date-of-birth")
    page = client.submit("/request/date-of-birth", {
        "child_dob-day": "1", "child_dob-month": "²", "child_dob-year": "2015"})
    assert page.status_code == 200
    assert field_errors(page.get_data(as_text=True))


def test_an_nhs_number_in_unusual_digits_is_a_field_error(app, client):
    _answer_up_to(client, "nhs-number")
    page = client.submit("/request/nhs-number", {"nhs_number": "²" * 10})
    assert page.status_code == 200
    assert "NHS number must only include numbers" in page.get_data(as_text=True)


# Redirects -----------------------------------------------------------------------------

@pytest.mark.parametrize("target", ["/%0d%0aSet-Cookie:%20x=y", "/request%0a", "/%00",
                                    "/about%09x", "/%c2%85"])
def test_the_language_switch_never_redirects_with_a_control_character(client, target):
    response = client.get(f"/language/en?next={target}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "Set-Cookie: x" not in str(response.headers)


def test_the_language_switch_still_goes_back_to_the_page(client):
    response = client.get("/language/en?next=/about/privacy%3Fx%3D1")
    assert response.headers["Location"] == "/about/privacy?x=1"


def test_staff_sign_in_never_keeps_a_next_with_a_control_character(app):
    user = make_staff(app, "register_manager")
    staff = app.test_client()
    page = staff.get("/staff/sign-in?next=/staff/queue%0d%0aX:y")
    token = csrf_token(page.get_data(as_text=True))
    from tests.integration.staff_support import PASSWORD, current_code

    staff.post("/staff/sign-in?next=/staff/queue%0d%0aX:y",
               data={"csrf_token": token, "email": user.email, "password": PASSWORD})
    done = staff.submit("/staff/sign-in/code", {"code": current_code(user.totp_secret)})
    assert done.status_code == 302
    assert "\n" not in done.headers["Location"] and "X:y" not in done.headers["Location"]


# Saved for later -----------------------------------------------------------------------

def test_save_for_later_does_not_store_a_name_far_too_long(app, client):
    _answer_up_to(client, "child-name")
    saved = client.submit("/request/child-name", {
        "child_name": "x" * 100_000, "child_preferred_name": "Sammy", "action": "save"})
    assert saved.headers["Location"].endswith("/request/save")
    pending = _draft(app, client)["_pending"]["child-name"]
    assert pending == {"child_preferred_name": ["Sammy"]}  # the valid one is kept
    again = client.get("/request/child-name").get_data(as_text=True)
    assert 'value="Sammy"' in again


def test_save_for_later_never_stores_an_invented_field_or_megabytes(app, client):
    _answer_up_to(client, "tried")
    saved = client.submit("/request/tried", {
        "tried": "y" * 1_900_000, "invented": "z" * 1000, "action": "save"})
    assert saved.status_code == 302
    answers = _draft(app, client)
    assert "invented" not in json.dumps(answers)
    assert len(json.dumps(answers)) < 10_000
    assert answers["_pending"]["tried"] == {}


def test_save_for_later_keeps_an_unfinished_date_but_not_hidden_characters(app, client):
    _answer_up_to(client, "date-of-birth")
    client.submit("/request/date-of-birth", {
        "child_dob-day": " 31 ", "child_dob-month": "2", "child_dob-year": "20",
        "action": "save"})
    assert _draft(app, client)["_pending"]["date-of-birth"] == {
        "child_dob-day": ["31"], "child_dob-month": ["2"], "child_dob-year": ["20"]}
    client.submit("/request/date-of-birth", {
        "child_dob-day": "3\x00", "child_dob-month": "2", "child_dob-year": "9" * 100_000,
        "action": "save"})
    assert _draft(app, client)["_pending"]["date-of-birth"] == {}


def test_save_for_later_keeps_the_fields_within_bounds_of_a_page_with_a_mistake(
        app, client):
    _answer_up_to(client, "happening-now")
    client.submit("/request/happening-now", {
        "risks": ["family_strain"], "risks_in_own_words": "Hard\x00", "action": "save"})
    assert _draft(app, client)["_pending"]["happening-now"] == {"risks": ["family_strain"]}
    client.submit("/request/happening-now", {
        "risks": ["family_strain", "made_up"], "risks_in_own_words": "  Very hard  ",
        "action": "save"})
    assert _draft(app, client)["_pending"]["happening-now"] == {
        "risks": ["family_strain"], "risks_in_own_words": ["Very hard"]}
    again = client.get("/request/happening-now").get_data(as_text=True)
    assert "Very hard" in again


def test_a_saved_request_can_still_be_finished_and_sent(app, client):
    _answer_up_to(client, "tried")
    client.submit("/request/tried", {"tried": "\x00" * 10, "junk": "x", "action": "save"})
    for step, data in parent_answers():
        if step in {"who", "child-name", "date-of-birth", "nhs-number", "postcode",
                    "where-they-live", "education", "autism", "learning-disability",
                    "hospital", "happening-now", "services"}:
            continue
        assert client.submit(f"/request/{step}", data).status_code == 302, step
    sent = client.submit("/request/check-answers",
                         {"submission_key": _draft_key(app, client)})
    assert "/request/sent/" in sent.headers["Location"]
    reference = sent.headers["Location"].rsplit("/", 1)[1]
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        stored = db.session.scalars(sa.select(SupportRequest).where(
            SupportRequest.reference == reference)).one()
        assert stored.tried == "Reduced timetable and a support worker."
        db.session.rollback()
