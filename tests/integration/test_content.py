"""Information pages, crisis help and the eligibility check."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup

from portal.public.content import PAGES
from tests.support import error_summary

ALL_PAGES = ["/", "/help-now", "/request", *[f"/about/{slug}" for slug in PAGES]]


@pytest.mark.parametrize("path", ALL_PAGES)
def test_every_page_reaches_crisis_help_in_one_click(sqlite_client, path):
    response = sqlite_client.get(path)
    assert response.status_code == 200
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    header_link = soup.select_one("header a.app-header__crisis")
    assert header_link["href"] == "/help-now"
    assert soup.select_one("footer a[href='/help-now']")
    # Every content page says what it is, in the title and the one heading.
    assert soup.h1.get_text(strip=True)
    assert soup.title.get_text(strip=True).startswith(soup.h1.get_text(strip=True)[:20]) or \
        path in {"/"}


def test_crisis_page_gives_the_numbers_to_call(sqlite_app, sqlite_client):
    html = sqlite_client.get("/help-now").get_data(as_text=True)
    text = re.sub(r"\s+", " ", BeautifulSoup(html, "html.parser").get_text(" "))
    assert "999" in text and "111" in text and "option 2" in text
    assert sqlite_app.config["CRISIS_LINE_PHONE"] in text
    assert sqlite_app.config["CRISIS_LINE_NAME"] in text
    assert "0800 1111" in text  # Childline
    assert "18001" in text  # Relay UK
    assert 'href="tel:999"' in html


def test_the_crisis_line_comes_from_settings(sqlite_url):
    from tests.conftest import make_app

    app = make_app(sqlite_url, CRISIS_LINE_PHONE="0808 123 4567",
                   CRISIS_LINE_NAME="Northshire children's crisis line")
    html = app.test_client().get("/help-now").get_data(as_text=True)
    assert "0808 123 4567" in html and "Northshire children&#39;s crisis line" in html


def test_what_the_register_is_not(sqlite_client):
    text = sqlite_client.get("/about/what-it-is").get_data(as_text=True).lower()
    assert "not a crisis service" in text
    assert "waiting list" in text


def test_who_it_is_for_needs_no_diagnosis_or_ehcp(sqlite_client):
    text = sqlite_client.get("/about/who-it-is-for").get_data(as_text=True)
    assert "diagnosis" in text and "EHCP" in text and "18" in text


def test_ratings_page_explains_every_colour(sqlite_client):
    soup = BeautifulSoup(sqlite_client.get("/about/ratings").get_data(as_text=True),
                         "html.parser")
    tags = {t.get_text(strip=True) for t in soup.select(".app-rating")}
    assert {"Green", "Amber", "Red", "Blue"} <= tags


def test_numbers_from_settings_are_shown_in_words(sqlite_app, sqlite_client):
    weeks = sqlite_app.config["DECISION_TARGET_WEEKS"]
    text = sqlite_client.get("/about/what-happens-next").get_data(as_text=True)
    assert f"{weeks} weeks" in text
    days = sqlite_app.config["DRAFT_TTL_DAYS"]
    assert f"{days} days" in sqlite_client.get("/about/privacy").get_data(as_text=True)


def test_unknown_content_page_is_not_found(sqlite_client):
    assert sqlite_client.get("/about/nothing-here").status_code == 404


def _check(client, **answers):
    last = None
    for question, answer in answers.items():
        last = client.submit(f"/check/{question}", {"answer": answer})
    return last


def test_likely_eligible_goes_on_to_a_request(sqlite_client):
    last = _check(sqlite_client, age="under_18", needs="yes", worries="yes")
    assert last.headers["Location"].endswith("/check/result")
    html = sqlite_client.get("/check/result").get_data(as_text=True)
    assert "likely to be right" in html and 'href="/request"' in html


def test_18_or_over_goes_to_the_adult_register(sqlite_client):
    last = _check(sqlite_client, age="adult")
    assert last.headers["Location"].endswith("/about/adult-register")


@pytest.mark.parametrize("needs", ["not_sure", "no", "suspected"])
def test_not_sure_may_still_ask(sqlite_client, needs):
    _check(sqlite_client, age="under_18", needs=needs, worries="not_sure")
    html = sqlite_client.get("/check/result").get_data(as_text=True)
    assert "You can still ask" in html and 'href="/request"' in html


def test_nobody_is_turned_away(sqlite_client):
    _check(sqlite_client, age="under_18", needs="no", worries="no")
    html = sqlite_client.get("/check/result").get_data(as_text=True)
    assert 'href="/request"' in html


def test_check_questions_need_an_answer(sqlite_client):
    html = sqlite_client.submit("/check/age", {}).get_data(as_text=True)
    assert error_summary(html) == [("#answer", "Select how old they are")]


def test_result_without_answers_starts_the_check(sqlite_client):
    assert sqlite_client.get("/check/result").headers["Location"].endswith("/check/age")
