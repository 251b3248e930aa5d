"""Bad input: a clear message beside the field and in the summary, and nothing typed is lost."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from portal.data.drafts import Draft
from portal.data.requests import SupportRequest
from tests.support import csrf_token, error_summary, field_errors, parent_answers, years_ago


def _answer_up_to(client, stop: str) -> None:
    client.start_request()
    for slug, data in parent_answers():
        if slug == stop:
            return
        assert client.submit(f"/request/{slug}", data).status_code == 302


def _value(html: str, name: str) -> str | None:
    field = BeautifulSoup(html, "html.parser").find(attrs={"name": name})
    if field is None:
        return None
    return field.get_text() if field.name == "textarea" else field.get("value")


def _dob(day: str, month: str, year: str) -> dict[str, str]:
    return {"child_dob-day": day, "child_dob-month": month, "child_dob-year": year}


@pytest.mark.parametrize(("typed", "anchor", "message"), [
    (("31", "2", "2015"), "#child_dob-day", "Date of birth must be a real date"),
    (("", "", ""), "#child_dob-day", "Enter their date of birth"),
    (("12", "", "2015"), "#child_dob-month", "Date of birth must include a month"),
    (("3", "4", "15"), "#child_dob-year", "Year must include 4 numbers"),
    (("1", "13", "2015"), "#child_dob-month", "Date of birth must be a real date"),
])
def test_impossible_dates_are_explained_and_kept(client, typed, anchor, message):
    _answer_up_to(client, "date-of-birth")
    page = client.submit("/request/date-of-birth", _dob(*typed))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert error_summary(html) == [(anchor, message)]
    assert field_errors(html)["child_dob"] == message
    assert html.count(message) == 2  # beside the field and in the summary
    assert "<title>Error:" in html
    for part, value in zip(("day", "month", "year"), typed, strict=True):
        assert _value(html, f"child_dob-{part}") == value


def test_a_future_date_of_birth_is_refused(client):
    _answer_up_to(client, "date-of-birth")
    tomorrow = date.today() + timedelta(days=1)
    html = client.submit("/request/date-of-birth", _dob(
        str(tomorrow.day), str(tomorrow.month), str(tomorrow.year))).get_data(as_text=True)
    assert error_summary(html) == [("#child_dob-day",
                                    "Date of birth must be today or in the past")]
    assert _value(html, "child_dob-year") == str(tomorrow.year)


def test_a_child_aged_18_or_over_is_sent_to_the_adult_register(client):
    _answer_up_to(client, "date-of-birth")
    born = years_ago(18, days=1)
    moved = client.submit("/request/date-of-birth", _dob(
        str(born.day), str(born.month), str(born.year)))
    assert moved.headers["Location"].endswith("/request/over-18")
    page = client.get("/request/over-18").get_data(as_text=True)
    assert "/about/adult-register" in page
    # The date is kept so they can correct it, and the journey cannot go on past it.
    again = client.get("/request/date-of-birth").get_data(as_text=True)
    assert _value(again, "child_dob-year") == str(born.year)
    assert client.get("/request/check-answers").headers["Location"].endswith("/over-18")
    assert client.get("/request/postcode").headers["Location"].endswith("/over-18")


def test_a_child_of_17_can_still_be_added(client):
    _answer_up_to(client, "date-of-birth")
    born = years_ago(17, days=300)
    moved = client.submit("/request/date-of-birth", _dob(
        str(born.day), str(born.month), str(born.year)))
    assert moved.headers["Location"].endswith("/request/nhs-number")


@pytest.mark.parametrize(("typed", "message"), [
    ("943 476 5918", "Enter a real NHS number. Check you have typed every number correctly"),
    ("943 476 591", "NHS number must be 10 numbers"),
    ("943-476-59l9", "NHS number must only include numbers"),
])
def test_a_wrong_nhs_number_is_refused_and_kept(client, typed, message):
    _answer_up_to(client, "nhs-number")
    html = client.submit("/request/nhs-number", {"nhs_number": typed}).get_data(as_text=True)
    assert error_summary(html) == [("#nhs_number", message)]
    assert _value(html, "nhs_number") == typed


def test_nhs_number_is_optional(client):
    _answer_up_to(client, "nhs-number")
    moved = client.submit("/request/nhs-number", {"nhs_number": ""})
    assert moved.headers["Location"].endswith("/request/postcode")


@pytest.mark.parametrize(("slug", "name"), [
    ("child-name", "child_name"),
    ("tried", "tried"),
    ("education", "education_setting"),
])
def test_a_100000_character_answer_is_refused_and_kept(client, slug, name):
    _answer_up_to(client, slug)
    huge = "a" * 100_000
    data = dict(dict(parent_answers())[slug])
    data[name] = huge
    response = client.submit(f"/request/{slug}", data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    (anchor, message), = error_summary(html)
    assert anchor == f"#{name}" and "characters or fewer" in message
    assert _value(html, name) == huge


def test_html_and_script_are_always_shown_escaped(app, client):
    nasty = '<script>alert("x")</script><b onmouseover=alert(1)>bold</b>'
    client.answer_all(**{
        "child-name": {"child_name": nasty, "child_preferred_name": nasty},
        "tried": {"tried": nasty},
        "happening-now": {"risks": ["family_strain"], "risks_in_own_words": nasty},
    })
    html = client.get("/request/check-answers").get_data(as_text=True)
    assert "<script>alert" not in html and "<b onmouseover" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    page = client.get("/request/tried").get_data(as_text=True)
    assert "<script>alert" not in page
    assert _value(page, "tried") == nasty  # shown back exactly as typed, as text
    too_long = client.submit("/request/child-name", {"child_name": nasty + "x" * 300})
    assert "<script>alert" not in too_long.get_data(as_text=True)


def test_a_missing_csrf_token_gets_a_friendly_page_and_stores_nothing(app, client):
    client.get("/request")
    response = client.post("/request/start", data={})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Your answers were not sent" in html or "try again" in html.lower()
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        before = db.session.scalar(select(func.count()).select_from(Draft))
    client.post("/request/start", data={"csrf_token": "forged"})
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Draft)) == before


def test_a_foreign_csrf_token_cannot_submit_someone_elses_answers(app, client):
    client.answer_all()
    page = client.get("/request/check-answers").get_data(as_text=True)
    attacker = app.test_client()
    foreign = csrf_token(attacker.get("/request").get_data(as_text=True))
    key = _value(page, "submission_key")
    response = client.post("/request/check-answers",
                           data={"csrf_token": foreign, "submission_key": key})
    assert response.status_code == 400
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        assert db.session.scalar(select(func.count()).select_from(SupportRequest).where(
            SupportRequest.idempotency_key == key)) == 0
    # Their answers are all still there after the refusal.
    assert "Sam Example" in client.get("/request/check-answers").get_data(as_text=True)


def test_radios_need_an_answer(client):
    _answer_up_to(client, "where-they-live")
    html = client.submit("/request/where-they-live", {}).get_data(as_text=True)
    assert error_summary(html) == [("#living_situation", "Select where they live now")]
    assert 'id="living_situation"' in html  # the summary link has a target


def test_a_made_up_choice_is_refused(client):
    _answer_up_to(client, "happening-now")
    html = client.submit("/request/happening-now", {"risks": ["nonsense"]}).get_data(
        as_text=True)
    assert error_summary(html)


def test_none_of_these_cannot_be_mixed_with_services(client):
    _answer_up_to(client, "services")
    html = client.submit("/request/services", {"services": ["none", "gp"]}).get_data(
        as_text=True)
    (anchor, _message), = error_summary(html)
    assert anchor == "#services"


def test_contact_needs_an_email_or_a_phone(client):
    _answer_up_to(client, "contact-details")
    html = client.submit("/request/contact-details",
                         {"contact_email": "", "contact_phone": ""}).get_data(as_text=True)
    assert error_summary(html)
    bad = client.submit("/request/contact-details",
                        {"contact_email": "alex@", "contact_phone": "07700 900"})
    html = bad.get_data(as_text=True)
    assert _value(html, "contact_email") == "alex@"
    assert {a for a, _ in error_summary(html)} >= {"#contact_email"}


def test_the_contact_method_must_match_the_details_given(client):
    client.answer_all(**{"contact-details": {"contact_email": "", "contact_phone":
                                             "07700 900982"},
                         "contact-method": {"contact_method": "text"}})
    html = client.submit("/request/contact-method",
                         {"contact_method": "email"}).get_data(as_text=True)
    (anchor, message), = error_summary(html)
    assert anchor == "#contact_method" and "did not give an email address" in message
    # Taking the phone number away later means the way to contact them is asked again.
    client.submit("/request/contact-details?change=1",
                  {"contact_email": "alex@example.com", "contact_phone": ""})
    moved = client.get("/request/check-answers")
    assert moved.headers["Location"].endswith("/request/contact-method")
