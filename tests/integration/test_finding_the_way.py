"""Finding the way: following a request, help when someone is in danger, changing an
answer, coming back from the crisis page, progress, limits, what the eligibility check
already said, and words that fit the person reading them."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from portal.data.audit import AuditEvent
from portal.data.family import FamilyAccess
from portal.data.outbox import OutboxMessage
from portal.data.requests import SupportRequest
from tests.support import csrf_token, error_summary, parent_answers, years_ago

DANGER_TEXT = "He tried to jump out of the window tonight. I can't keep him safe"
ORDINARY = {"risks": ["family_strain"],
            "risks_in_own_words": "He finds school hard and we are all very tired."}
PHONE_ONLY = {"contact-details": {"contact_email": "", "contact_phone": "07700 900 982"},
              "contact-method": {"contact_method": "text"}}


# Helpers -----------------------------------------------------------------------------

def _soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def _text(response) -> str:
    return re.sub(r"\s+", " ", _soup(response).get_text(" "))


def _answer_up_to(client, last: str, **overrides):
    """Start a request and answer every page up to and including `last`."""
    client.start_request()
    response = None
    for slug, data in parent_answers(**overrides):
        response = client.submit(f"/request/{slug}", data)
        assert response.status_code == 302, (slug, response.get_data(as_text=True)[:1500])
        if slug == last:
            break
    return response


def _send(client):
    page = client.get("/request/check-answers")
    assert page.status_code == 200, page.headers.get("Location")
    html = page.get_data(as_text=True)
    key = re.search(r'name="submission_key" value="([^"]+)"', html).group(1)
    sent = client.post("/request/check-answers",
                       data={"csrf_token": csrf_token(html), "submission_key": key})
    assert sent.status_code == 302
    return sent.headers["Location"], sent.headers["Location"].rsplit("/", 1)[1]


def _stored(app, reference):
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        stored = db.session.scalars(
            select(SupportRequest).where(SupportRequest.reference == reference)).one()
        db.session.expunge(stored)
        return stored


def _tel_links(soup) -> set[str]:
    return {a["href"] for a in soup.select("a[href^='tel:']")}


def _has_help_now_warning(response, app) -> bool:
    soup = _soup(response)
    banner = soup.select_one(".govuk-notification-banner")
    if banner is None:
        return False
    crisis = "tel:" + re.sub(r"[^\d+]", "", app.config["CRISIS_LINE_PHONE"])
    return {"tel:999", "tel:111", crisis} <= _tel_links(banner)


def _check(client, **answers):
    for question, answer in answers.items():
        client.submit(f"/check/{question}", {"answer": answer})


# 2. Following a request --------------------------------------------------------------

def test_follow_your_request_is_on_the_home_page_and_in_the_footer(client):
    soup = _soup(client.get("/"))
    main = soup.select_one("main").find("a", string=re.compile("Follow your request"))
    assert main is not None and main["href"] == "/account/sign-in"
    footer = soup.select_one("footer").find("a", string=re.compile("Follow your request"))
    assert footer is not None and footer["href"] == "/account/sign-in"


def test_the_confirmation_says_how_to_follow_the_request(client):
    client.answer_all()
    where, _reference = _send(client)
    page = client.get(where)
    link = _soup(page).select_one("main").find("a", string=re.compile("Follow your request"))
    assert link is not None and link["href"] == "/account/sign-in"
    assert "We will email you at alex@example.com" in _text(page)


def test_a_family_that_gave_only_a_phone_number_can_add_an_email_to_follow_online(
        app, client):
    client.answer_all(**PHONE_ONLY)
    where, reference = _send(client)
    page = client.get(where)
    text = _text(page)
    assert "We will send text messages to 07700 900 982" in text
    assert "cannot follow your request online yet" in text
    form = _soup(page).select_one(f"form[action='/request/sent/{reference}/email']")
    assert form is not None and form.select_one("input[name=email][type=email]")

    added = client.post(f"/request/sent/{reference}/email", data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "email": "Jo@Example.com "})
    assert added.status_code == 302 and added.headers["Location"].endswith(where)
    after = _text(client.get(where))
    assert "Email address added" in after
    assert "We will send text messages to 07700 900 982" in after  # as they chose

    stored = _stored(app, reference)
    assert stored.contact_email == "Jo@example.com"
    assert stored.contact_method == "text"
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        access = db.session.scalars(select(FamilyAccess).where(
            FamilyAccess.request_id == stored.id)).all()
        assert [(a.email, a.role) for a in access] == [("jo@example.com", "requester")]
        events = db.session.scalars(select(AuditEvent).where(
            AuditEvent.subject_id == str(stored.id),
            AuditEvent.action == "request.contact_email_added")).all()
        assert len(events) == 1
        mail = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.dedupe_key == f"request_received:{reference}")).one()
        assert mail.to_address == "Jo@example.com" and reference in mail.body


def test_only_the_browser_that_sent_the_request_can_add_an_email(app, client):
    client.answer_all(**PHONE_ONLY)
    _where, reference = _send(client)
    stranger = app.test_client()
    token = csrf_token(stranger.get("/request").get_data(as_text=True))
    refused = stranger.post(f"/request/sent/{reference}/email",
                            data={"csrf_token": token, "email": "someone@example.com"})
    assert refused.status_code == 404
    assert _stored(app, reference).contact_email is None


def test_an_email_address_already_given_is_never_replaced(app, client):
    client.answer_all()
    where, reference = _send(client)
    page = _soup(client.get(where))
    assert page.select_one(f"form[action='/request/sent/{reference}/email']") is None
    token = csrf_token(client.get("/request").get_data(as_text=True))
    kept = client.post(f"/request/sent/{reference}/email",
                       data={"csrf_token": token, "email": "other@example.com"})
    assert kept.status_code == 302
    assert _stored(app, reference).contact_email == "alex@example.com"

    from portal.cases.requests import add_contact_email

    with app.app_context():
        db = app.extensions["sqlalchemy"]
        stored = db.session.scalars(
            select(SupportRequest).where(SupportRequest.reference == reference)).one()
        assert add_contact_email(stored, "other@example.com") is False
        db.session.commit()
    assert _stored(app, reference).contact_email == "alex@example.com"


def test_adding_an_email_needs_a_real_address(client):
    client.answer_all(**PHONE_ONLY)
    where, reference = _send(client)
    page = client.get(where)
    wrong = client.post(f"/request/sent/{reference}/email", data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "email": "jo@"})
    assert wrong.status_code == 200
    assert error_summary(wrong.get_data(as_text=True)) == [
        ("#email", "Enter an email address in the correct format, like name@example.com")]
    assert _soup(wrong).title.get_text().startswith("Error:")


# 3. Danger now ----------------------------------------------------------------------

DANGER_TICKS = ["imminent_admission", "severe_distress", "severe_behaviour",
                "no_safe_placement", "placement_broken_down"]


def test_the_danger_ticks_are_the_reviewed_ones():
    from portal.domain import danger

    assert sorted(danger.DANGER_RISKS) == sorted(DANGER_TICKS)


@pytest.mark.parametrize("risk", DANGER_TICKS)
def test_each_danger_tick_shows_danger(risk):
    from portal.domain import danger

    assert danger.shows_danger_now(risks=[risk])


@pytest.mark.parametrize("risk", ["placement_unstable", "family_strain", "needs_increasing",
                                  "crisis_contact", "previous_admission"])
def test_other_ticks_do_not(risk):
    from portal.domain import danger

    assert not danger.shows_danger_now(risks=[risk])


@pytest.mark.parametrize("words", [
    DANGER_TEXT,
    "I CAN’T KEEP HIM SAFE",
    "School say they cannot keep my son safe.",
    "She said she wants to die.",
    "He is talking about suicide.",
    "She took an overdose last week.",
    "He tried to hang himself.",
    "She has been cutting herself again.",
    "He tried to strangle his sister.",
    "He ran in front of a car on purpose.",
    "She is not safe at home.",
    "He threatened to kill his brother.",
    "He jumped off the bridge.",
])
def test_words_that_show_danger(words):
    from portal.domain import danger

    assert danger.words_show_danger(words)


@pytest.mark.parametrize("words", [
    "He loves jumping on the trampoline and off the sofa.",
    "We cannot keep going like this without help.",
    "School say he is safe in class but struggles at lunch.",
    "He likes looking out of the window at the trains.",
    "She was excluded and is now on a part-time timetable.",
    "We have tried medication, therapy and short breaks.",
    "He keeps his room tidy and feels safe with routines.",
    "Our dog died last year and he still talks about it.",
    "",
])
def test_ordinary_words_do_not(words):
    from portal.domain import danger

    assert not danger.words_show_danger(words)


def test_danger_warns_on_the_next_page_and_the_confirmation_and_flags_the_request(
        app, client):
    moved = _answer_up_to(client, "happening-now", **{"happening-now": {
        "risks": ["severe_distress", "imminent_admission"],
        "risks_in_own_words": DANGER_TEXT}})
    assert moved.headers["Location"].endswith("/request/services")
    assert _has_help_now_warning(client.get("/request/services"), app)
    for slug, data in parent_answers()[11:]:
        client.submit(f"/request/{slug}", data)
    where, reference = _send(client)
    assert _has_help_now_warning(client.get(where), app)
    assert _stored(app, reference).danger_now is True


def test_words_alone_warn_and_flag_the_request(app, client):
    _answer_up_to(client, "happening-now", **{"happening-now": {
        "risks": ["placement_unstable"], "risks_in_own_words": DANGER_TEXT}})
    assert _has_help_now_warning(client.get("/request/services"), app)
    for slug, data in parent_answers()[11:]:
        client.submit(f"/request/{slug}", data)
    _where, reference = _send(client)
    stored = _stored(app, reference)
    assert stored.suggested_rating == "amber"  # the ticks alone suggest Amber
    assert stored.danger_now is True


def test_danger_in_a_later_answer_warns_on_the_page_after_it(app, client):
    _answer_up_to(client, "tried", **{"happening-now": ORDINARY,
                                       "tried": {"tried": "Nothing works. She is suicidal."}})
    assert _has_help_now_warning(client.get("/request/would-help"), app)
    assert not _has_help_now_warning(client.get("/request/services"), app)


def test_saving_for_later_after_danger_shows_the_warning_too(app, client):
    _answer_up_to(client, "hospital")
    page = client.get("/request/happening-now")
    saved = client.post("/request/happening-now", data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "risks": "severe_behaviour",
        "action": "save"})
    assert saved.headers["Location"].endswith("/request/save")
    assert _has_help_now_warning(client.get("/request/save"), app)


def test_an_ordinary_request_shows_no_warning_and_is_not_flagged(app, client):
    _answer_up_to(client, "happening-now", **{"happening-now": ORDINARY})
    assert not _has_help_now_warning(client.get("/request/services"), app)
    for slug, data in parent_answers()[11:]:
        client.submit(f"/request/{slug}", data)
    where, reference = _send(client)
    assert not _has_help_now_warning(client.get(where), app)
    assert _stored(app, reference).danger_now is False


NUMBER = re.compile(r"\b(?:999|111|0800 1111|116 123|18001 111)\b")


def _numbers_outside_links(soup, extra: str) -> list[str]:
    found = []
    for text in soup.find_all(string=True):
        if text.parent.name in {"script", "style", "title"}:
            continue
        link = text.find_parent("a")
        calls = link is not None and link.get("href", "").startswith(("tel:", "sms:"))
        if (NUMBER.search(text) or extra in text) and not calls:
            found.append(text.strip())
    return found


def test_every_phone_number_on_these_pages_starts_a_call(app, client):
    crisis_line = app.config["CRISIS_LINE_PHONE"]
    pages = [_soup(client.get("/help-now")).select_one("main"),
             _soup(client.get("/")).select_one("main"),
             _soup(client.get("/about/what-it-is")).select_one(".app-crisis-aside")]
    _answer_up_to(client, "happening-now", **{"happening-now": {
        "risks": ["no_safe_placement"], "risks_in_own_words": ""}})
    pages.append(_soup(client.get("/request/services")).select_one("main"))
    for slug, data in parent_answers()[11:]:
        client.submit(f"/request/{slug}", data)
    where, _reference = _send(client)
    pages.append(_soup(client.get(where)).select_one("main"))
    for soup in pages:
        assert _numbers_outside_links(soup, crisis_line) == []
    crisis = _soup(client.get("/help-now"))
    assert {"tel:999", "tel:111", "tel:08001111", "tel:116123", "tel:18001111"} <= \
        _tel_links(crisis)


# 4. Changing an answer -----------------------------------------------------------------

def test_a_change_that_adds_no_question_goes_straight_back(client):
    client.answer_all()
    changed = client.submit("/request/who?change=1", {"who": "young_person"})
    assert changed.headers["Location"].endswith("/request/check-answers")


def test_a_change_that_adds_a_question_asks_only_that_one_then_goes_back(client):
    client.answer_all()
    changed = client.submit("/request/who?change=1", {"who": "family"})
    assert changed.headers["Location"].endswith("/request/relationship?change=1")
    page = client.get("/request/relationship?change=1")
    assert _soup(page).select_one("a.govuk-back-link")["href"] == "/request/who?change=1"
    # Going to "check your answers" first still asks the new question, then comes back.
    bounced = client.get("/request/check-answers")
    assert bounced.headers["Location"].endswith("/request/relationship?change=1")
    answered = client.submit("/request/relationship?change=1", {"relationship": "Aunt"})
    assert answered.headers["Location"].endswith("/request/check-answers")
    assert "Aunt" in _text(client.get("/request/check-answers"))


def test_a_young_person_who_changes_to_a_parent_is_asked_their_name_only(client):
    client.answer_all(who={"who": "young_person"}, **{"your-name": None})
    changed = client.submit("/request/who?change=1", {"who": "parent"})
    assert changed.headers["Location"].endswith("/request/your-name?change=1")
    answered = client.submit("/request/your-name?change=1", {"requester_name": "Jo Example"})
    assert answered.headers["Location"].endswith("/request/check-answers")


def test_a_question_that_applies_again_is_asked_again(client):
    client.answer_all(who={"who": "family"}, relationship={"relationship": "Uncle"})
    client.submit("/request/who?change=1", {"who": "parent"})
    changed = client.submit("/request/who?change=1", {"who": "family"})
    assert changed.headers["Location"].endswith("/request/relationship?change=1")
    page = client.get("/request/relationship?change=1").get_data(as_text=True)
    assert 'value="Uncle"' in page  # what they said before, ready to confirm


# 7. Back from the crisis page -----------------------------------------------------------

def test_the_crisis_page_leads_back_to_the_question(client):
    _answer_up_to(client, "nhs-number")
    page = _soup(client.get("/request/postcode"))
    crisis_link = page.select_one("header a.app-header__crisis")["href"]
    parts = urlsplit(crisis_link)
    assert parts.path == "/help-now"
    assert parse_qs(parts.query) == {"back": ["/request/postcode"]}
    crisis = _soup(client.get(crisis_link))
    back = crisis.find("a", string=re.compile("Go back to your request"))
    assert back is not None and back["href"] == "/request/postcode"


def test_the_way_back_keeps_a_change(client):
    client.answer_all()
    page = _soup(client.get("/request/postcode?change=1"))
    crisis = _soup(client.get(page.select_one("header a.app-header__crisis")["href"]))
    back = crisis.find("a", string=re.compile("Go back to your request"))
    assert back["href"] == "/request/postcode?change=1"
    check = _soup(client.get("/request/check-answers"))
    crisis = _soup(client.get(check.select_one("header a.app-header__crisis")["href"]))
    back = crisis.find("a", string=re.compile("Go back to your request"))
    assert back["href"] == "/request/check-answers"


@pytest.mark.parametrize("target", [
    "https://evil.example/request/postcode", "//evil.example/request/postcode",
    "/\\evil.example", "/account/", "/request/not-a-question", "/about/privacy",
    "/request/postcode?next=https://evil.example", "javascript:alert(1)", "",
])
def test_the_crisis_page_goes_back_only_to_our_request_pages(client, target):
    html = client.get("/help-now?back=" + quote(target, safe="")).get_data(as_text=True)
    soup = BeautifulSoup(html, "html.parser")
    back = soup.find("a", string=re.compile("Go back to your request"))
    if target.startswith("/request/postcode?"):
        assert back["href"] == "/request/postcode"  # rebuilt: nothing else carried over
    else:
        assert back is None
    assert "evil" not in "".join(a.get("href", "") for a in soup.find_all("a"))


# 8. Progress, limits and what the eligibility check said -----------------------------

def _caption(response) -> str:
    caption = _soup(response).select_one("main .govuk-caption-l")
    return caption.get_text(strip=True) if caption else ""


def test_each_question_page_says_which_question_of_how_many(client):
    client.start_request()
    assert _caption(client.get("/request/who")) == "Question 1 of 19"
    client.submit("/request/who", {"who": "family"})
    assert _caption(client.get("/request/relationship")) == "Question 2 of 20"
    assert _caption(client.get("/request/contact-method")) == "Question 20 of 20"
    client.submit("/request/who", {"who": "young_person"})
    assert _caption(client.get("/request/child-name")) == "Question 2 of 18"


@pytest.mark.parametrize("slug,name", [("tried", "tried"), ("would-help", "would_help"),
                                       ("communication", "communication_needs"),
                                       ("happening-now", "risks_in_own_words")])
def test_long_answers_show_their_limit_before_any_error(client, slug, name):
    client.start_request()
    soup = _soup(client.get(f"/request/{slug}"))
    group = soup.select_one(f"textarea[name={name}]").find_parent(class_="govuk-form-group")
    assert "govuk-character-count" in group["class"]
    assert group["data-module"] == "govuk-character-count"
    assert group["data-maxlength"] == "5000"
    info = soup.select_one(f"#{name}-info")
    assert info.get_text(strip=True) == "You can enter up to 5,000 characters"
    assert f"{name}-info" in soup.select_one(f"textarea[name={name}]")["aria-describedby"]


def test_what_the_eligibility_check_said_is_not_asked_again(app, client):
    _check(client, age="under_18", needs="no", worries="yes")
    client.start_request()
    assert _caption(client.get("/request/who")) == "Question 1 of 17"
    answers = dict(parent_answers())
    for slug in ("who", "child-name", "date-of-birth", "nhs-number", "postcode",
                 "where-they-live"):
        client.submit(f"/request/{slug}", answers[slug])
    moved = client.submit("/request/education", answers["education"])
    assert moved.headers["Location"].endswith("/request/hospital")  # autism, LD: known
    page = client.get("/request/hospital")
    assert _caption(page) == "Question 8 of 17"
    assert _soup(page).select_one("a.govuk-back-link")["href"] == "/request/education"
    for slug, data in parent_answers()[9:]:
        client.submit(f"/request/{slug}", data)
    check = _soup(client.get("/request/check-answers"))
    rows = {row.dt.get_text(strip=True): row.select_one(".govuk-summary-list__value")
            .get_text(" ", strip=True) for row in check.select(".govuk-summary-list__row")}
    assert rows["Autism"] == "No" and rows["Learning disability"] == "No"
    _where, reference = _send(client)
    stored = _stored(app, reference)
    assert (stored.autism, stored.learning_disability) == ("no", "no")
    # The next request from this browser is about another child: asked again.
    client.start_request()
    assert _caption(client.get("/request/who")) == "Question 1 of 19"


@pytest.mark.parametrize("needs", ["yes", "suspected", "not_sure"])
def test_the_eligibility_check_is_never_stretched_into_a_guess(client, needs):
    _check(client, age="under_18", needs=needs, worries="yes")
    moved = _answer_up_to(client, "education")
    assert moved.headers["Location"].endswith("/request/autism")
    page = _soup(client.get("/request/autism"))
    assert page.select("input[name=autism][checked]") == []


# 9. Words for the person reading -----------------------------------------------------

def test_a_young_person_over_18_is_spoken_to_as_themselves(client):
    born = years_ago(19)
    client.start_request()
    client.submit("/request/who", {"who": "young_person"})
    client.submit("/request/child-name", {"child_name": "Kai Example"})
    client.submit("/request/date-of-birth", {
        "child_dob-day": str(born.day), "child_dob-month": str(born.month),
        "child_dob-year": str(born.year)})
    text = _text(client.get("/request/over-18"))
    assert "means you are 18 or over" in text and "they are 18" not in text


def test_a_parent_of_someone_over_18_is_told_they_are_18_or_over(client):
    _answer_up_to(client, "date-of-birth", born=years_ago(19))
    text = _text(client.get("/request/over-18"))
    assert "means they are 18 or over" in text


def test_the_not_likely_result_gives_real_places_to_get_help(client):
    _check(client, age="under_18", needs="no", worries="no")
    page = client.get("/check/result")
    text = _text(page)
    assert "The register may not be the right help" in text
    for place in ("GP", "special educational needs and disabilities (SEND)",
                  "children's services"):
        assert place in text, place
    hrefs = {a["href"] for a in _soup(page).select("main a")}
    assert "/help-now" in hrefs and "https://www.gov.uk/find-local-council" in hrefs
    assert "/request" in hrefs  # and they can still ask
