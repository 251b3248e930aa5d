"""The words people read: the information pages, the Easy Read pages for young people and
the consent pages. They are plain (Flesch reading ease), true to how the register works,
right for any number in the settings ("1 day", never "1 days"), every phone number can
be tapped, each consent step after the first has a Back link, and a young person is
spoken to as "you", in words that fit someone aged 11 to 17."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import textstat
from bs4 import BeautifulSoup, Tag

from portal.public.content import PAGES
from tests.conftest import make_app
from tests.integration.test_consent import follow, last_mail, link_in, send_request
from tests.support import csrf_token, years_ago

ROOT = Path(__file__).resolve().parents[2]
INFORMATION = ["/", "/help-now", *[f"/about/{slug}" for slug in PAGES]]
BLOCKS = ["h1", "h2", "h3", "p", "li", "dt", "dd", "legend", "label", "caption", "th", "td"]
YOUNG_PERSON_PAGES = ("welcome", "easy read", "answer", "thank you", "young person withdraws",
                      "young person withdrew", "thank you, after changing their mind")


# Reading the page as a person does -------------------------------------------------------

def main_of(html: str) -> Tag:
    main = BeautifulSoup(html, "html.parser").find("main")
    assert main is not None
    return main


def readable_text(html: str) -> str:
    """The words of the page's own content (not the crisis box every page shares), one
    sentence per heading, paragraph, list item, label or hint."""
    main = main_of(html)
    for shared in main.select("aside.app-crisis-aside"):
        shared.decompose()
    lines = []
    for element in main.find_all([*BLOCKS, "div"]):
        if element.name == "div" and "govuk-hint" not in (element.get("class") or []):
            continue
        if element.find(BLOCKS):
            continue  # its own parts are read one by one
        line = " ".join(element.get_text(" ", strip=True).split())
        if line:
            lines.append(line if line.endswith((".", "?", "!", ":")) else line + ".")
    return " ".join(lines)


def text_of(html: str) -> str:
    return " ".join(main_of(html).get_text(" ", strip=True).split())


def page(client: Any, path: str) -> tuple[str, str]:
    response = client.get(path)
    assert response.status_code == 200, path
    return path, response.get_data(as_text=True)


# Every consent page, in the order a family meets them ------------------------------------

def consent_pages(app: Any, client: Any, born: Any, tag: str) -> dict[str, tuple[str, str]]:
    """A parent signs, asks the young person (by email and by a code), the young person
    answers on their own phone and changes their mind, then the parent withdraws.
    Returns each page as (path, html)."""
    pages: dict[str, tuple[str, str]] = {}
    parent_email, young_email = f"parent.{tag}@example.com", f"young.{tag}@example.com"
    reference = send_request(client, born=born, email=parent_email)
    pages["responsibility"] = page(client, f"/consent/{reference}")
    pages["someone else"] = page(client, f"/consent/{reference}/someone-else")
    sent = client.submit(f"/consent/{reference}/someone-else",
                         {"email": f"other.{tag}@example.com"})
    pages["link sent"] = (f"/consent/{reference}/someone-else", sent.get_data(as_text=True))
    client.submit(f"/consent/{reference}", {"parental_responsibility": "yes"})
    pages["agree"] = page(client, f"/consent/{reference}/agree")
    signed = client.submit(f"/consent/{reference}/agree", {
        "relationship": "Mother", "agree": "y", "signer_name": "Alex Example"})
    consent_id = signed.headers["Location"].rsplit("/", 1)[1]
    pages["signed"] = page(client, f"/consent/signed/{consent_id}")
    pages["record"] = page(client, f"/consent/record/{consent_id}")
    ask = f"/consent/{reference}/ask-young-person"
    pages["ask young person"] = page(client, ask)
    client.submit(ask, {"how": "email"})
    pages["young person's email"] = page(client, f"{ask}/email")
    sent = client.submit(f"{ask}/email", {"email": young_email})
    pages["young person's link sent"] = (f"{ask}/email", sent.get_data(as_text=True))
    client.submit(ask, {"how": "screen"})
    pages["code"] = page(client, f"{ask}/code")

    with app.app_context():
        path = link_in(last_mail(app, young_email, "young_person_invitation").body,
                       "young-person")
    phone = app.test_client()
    pages["welcome"] = page(phone, path)
    follow(phone, path)
    pages["easy read"] = page(phone, "/young-person")
    pages["answer"] = page(phone, "/young-person/answer")
    done = phone.submit("/young-person/answer", {"decision": "yes", "signer_name": "Sam"})
    thanks = done.headers["Location"]
    pages["thank you"] = page(phone, thanks)
    young_id = thanks.rsplit("/", 1)[1]
    phone.post(f"/withdraw/start/{young_id}",
               data={"csrf_token": csrf_token(pages["thank you"][1])})
    pages["young person withdraws"] = page(phone, "/withdraw/confirm")
    phone.submit("/withdraw/confirm", {"withdrawn_by": "Sam"})
    pages["young person withdrew"] = page(phone, "/withdraw/done")
    pages["thank you, after changing their mind"] = page(phone, thanks)

    client.post(f"/withdraw/start/{consent_id}",
                data={"csrf_token": csrf_token(pages["signed"][1])})
    pages["withdraw"] = page(client, "/withdraw/confirm")
    client.submit("/withdraw/confirm", {"withdrawn_by": "Alex Example"})
    pages["withdrawn"] = page(client, "/withdraw/done")
    pages["closed"] = page(client, f"/consent/{reference}")
    return pages


@pytest.fixture
def child_pages(sqlite_app, sqlite_client) -> dict[str, tuple[str, str]]:
    """Under 16: the parent decides and the child gives their view."""
    return consent_pages(sqlite_app, sqlite_client, years_ago(12), "twelve")


@pytest.fixture
def sixteen_pages(sqlite_app, sqlite_client) -> dict[str, tuple[str, str]]:
    """16 or 17: the young person's own decision."""
    return consent_pages(sqlite_app, sqlite_client, years_ago(16, days=40), "sixteen")


# Plain words ------------------------------------------------------------------------------

@pytest.mark.parametrize("path", INFORMATION)
def test_information_pages_are_plain(sqlite_client, path):
    text = readable_text(page(sqlite_client, path)[1])
    assert textstat.lexicon_count(text) > 100  # the whole page is measured
    assert textstat.flesch_reading_ease(text) >= 60, path


def test_easy_read_pages_are_very_plain(child_pages, sixteen_pages):
    for who, pages in (("under 16", child_pages), ("16", sixteen_pages)):
        for name in YOUNG_PERSON_PAGES:
            text = readable_text(pages[name][1])
            score = textstat.flesch_reading_ease(text)
            assert score >= 75, f"{who}: {name} scores {score}: {text}"


# Facts on the information pages ----------------------------------------------------------

@pytest.fixture(scope="module")
def other_settings(tmp_path_factory):
    """Settings that differ from the defaults, with every count that can be 1 set to 1."""
    url = f"sqlite:///{tmp_path_factory.mktemp('wording') / 'portal.sqlite3'}"
    return make_app(url, REVIEW_DAYS={"red": 10, "amber": 21, "green": 91, "blue": 7},
                    DRAFT_TTL_DAYS=1, RETENTION_ACTIVE_MONTHS=1, RETENTION_ARCHIVE_YEARS=1,
                    DECISION_TARGET_WEEKS=1, CONSENT_LINK_TTL_DAYS=1, CETR_MONTHS_BLUE=1,
                    RED_AFTER_DISCHARGE_DAYS=1)


@pytest.mark.parametrize("path", ["/about/ratings", "/about/what-happens-next"])
def test_how_often_children_are_reviewed_comes_from_the_settings(other_settings, path):
    html = page(other_settings.test_client(), path)[1]
    text = text_of(html)
    # Nobody looks at every child every month: the register is gone through at a regular
    # meeting, and how often a child's plan is looked at depends on their colour.
    assert "every month to look at every child" not in text
    assert "meet regularly" in text
    intervals = [" ".join(li.get_text(" ", strip=True).split())
                 for li in main_of(html).select("#review-intervals li")]
    assert intervals == ["Red: every 10 days", "Amber: every 3 weeks",
                         "Green: every 13 weeks", "Blue: every week"]


def test_the_default_review_intervals_are_the_ones_shown(sqlite_app, sqlite_client):
    days = sqlite_app.config["REVIEW_DAYS"]
    html = page(sqlite_client, "/about/ratings")[1]
    shown = " ".join(main_of(html).select_one("#review-intervals").get_text(" ").split())
    assert f"Green: every {days['green'] // 7} weeks" in shown  # 91 days: 13 weeks
    assert f"Red: every {days['red'] // 7} weeks" in shown


# Every example sign of each rating in the national guidance, in plain words.
SIGNS = {
    "Green": [r"needs are growing", r"school place is starting to get shaky",
              r"early signs of distress", r"not meeting their needs, but there is no crisis"],
    "Amber": [r"placement is close to breaking down", r"needs that nobody is meeting",
              r"family is under severe strain",
              r"excluded from school, or put on a part-time timetable",
              r"several services need to work together to help them urgently"],
    "Red": [r"severe distress", r"severe behaviour that challenges",
            r"no safe or suitable place for them to live or learn",
            r"at risk of going into hospital very soon",
            r"home or school placement has broken down"],
    "Blue": [r"in a mental-health hospital now"],
}


def test_every_example_sign_of_each_rating_is_given(sqlite_client):
    main = main_of(page(sqlite_client, "/about/ratings")[1])
    for colour, signs in SIGNS.items():
        tag = next(t for t in main.select(".app-rating") if t.get_text(strip=True) == colour)
        row = " ".join(tag.find_parent(class_="govuk-summary-list__row").get_text(" ").split())
        for sign in signs:
            assert re.search(sign, row), f"{colour}: {sign}"


def test_turning_18_says_what_happens(sqlite_client):
    for path in ("/about/consent", "/about/what-happens-next", "/about/adult-register"):
        text = text_of(page(sqlite_client, path)[1])
        # Nothing takes a young person off the register by itself at 18.
        assert "come off this register" not in text, path
        assert "17 and a half" in text, path
        assert "own consent" in text, path
        assert "the team closes their entry on this register" in text, path


def test_families_download_the_evidence_summary_themselves(sqlite_client):
    html = page(sqlite_client, "/about/ehc-needs-assessment")[1]
    text = text_of(html)
    assert "ask the register team" not in text
    assert "Download an evidence summary" in text
    assert main_of(html).select_one("a[href='/account/sign-in']") is not None


# Numbers -----------------------------------------------------------------------------------

ONE_OF_MANY = re.compile(r"\b1 (?:working )?(?:seconds|minutes|hours|days|weeks|months|years)\b")


def test_no_page_says_1_days(other_settings):
    client = other_settings.test_client()
    pages = {path: page(client, path) for path in INFORMATION}
    pages.update(consent_pages(other_settings, client, years_ago(16, days=40), "one"))
    for name, (_path, html) in pages.items():
        # The consent text as published too: its periods come from the settings.
        assert not ONE_OF_MANY.findall(main_of(html).get_text(" ")), name


OWNED_TEMPLATES = sorted([
    *(ROOT / "templates/public/content").glob("*.html"),
    *(path for path in (ROOT / "templates/public/consent").glob("*.html")
      if path.name not in {"record_pdf.html", "_record_body.html"}),
])
PLURAL_BLOCK = re.compile(r"{%-?\s*trans\b[^%]*%}(?:(?!{%-?\s*endtrans).)*?{%-?\s*pluralize\b"
                          r".*?{%-?\s*endtrans\s*-?%}", re.S)
COUNTED = re.compile(r"(?:\b\d+|{{[^}]*}})\s+(?:working\s+)?"
                     r"(?:second|minute|hour|day|week|month|year|time)s?\b")


@pytest.mark.parametrize("path", OWNED_TEMPLATES, ids=lambda p: p.name)
def test_every_count_goes_through_plural_aware_gettext(path):
    outside_plurals = PLURAL_BLOCK.sub(" ", path.read_text())
    assert COUNTED.findall(outside_plurals) == []


# Phone numbers ------------------------------------------------------------------------------

PHONE = re.compile(r"(?<![\w/.-])(?:999|111|116 ?123|0\d{2,4}(?: ?\d{2,4}){1,3}|18001 ?0[\d ]{8,})"
                   r"(?![\w/])")


def test_every_phone_number_can_be_tapped(sqlite_client, child_pages):
    pages = {path: page(sqlite_client, path) for path in INFORMATION}
    pages.update(child_pages)
    for name, (_path, html) in pages.items():
        main = main_of(html)
        for link in main.select("a[href^='tel:'], a[href^='sms:']"):
            digits = re.sub(r"\D", "", link.get_text())
            assert digits and link["href"].split(":", 1)[1] == digits, (name, str(link))
            link.decompose()
        assert PHONE.findall(main.get_text(" ")) == [], name


# Back links -------------------------------------------------------------------------------

def back_link(html: str) -> str | None:
    link = BeautifulSoup(html, "html.parser").select_one("a.govuk-back-link")
    return link["href"] if link else None


def test_each_consent_step_after_the_first_goes_back_to_the_step_before(child_pages):
    reference = child_pages["responsibility"][0].rsplit("/", 1)[1]
    signed, young_thanks = child_pages["signed"][0], child_pages["thank you"][0]
    expected = {
        "agree": f"/consent/{reference}",
        "someone else": f"/consent/{reference}",
        "young person's email": f"/consent/{reference}/ask-young-person",
        "code": f"/consent/{reference}/ask-young-person",
        "answer": "/young-person",
        "withdraw": signed,
        "young person withdraws": young_thanks,
    }
    for name, back in expected.items():
        assert back_link(child_pages[name][1]) == back, name
    # Changing your mind is never a dead end: the way out is still there.
    assert "I do not want to withdraw" in text_of(child_pages["withdraw"][1])


# Young people ------------------------------------------------------------------------------

CHILDISH = re.compile(r"grown[- ]?ups?|an adult you trust|mummy|daddy", re.I)
# Things nobody can promise a young person.
PROMISES = re.compile(r"will start to plan|you will stay|you will live|you will (?:keep|get) "
                      r"(?:your|a) (?:school|home|place)|you are not on the list now", re.I)


def test_young_people_are_spoken_to_as_you_in_words_for_11_to_17(child_pages, sixteen_pages):
    for who, pages in (("under 16", child_pages), ("16", sixteen_pages)):
        for name in YOUNG_PERSON_PAGES:
            text = text_of(pages[name][1])
            assert not CHILDISH.findall(text), (who, name)
            assert not PROMISES.findall(text), (who, name)
            # Their first name only says hello: every other sentence says "you".
            assert not re.search(r"\bSammy\b(?! ?!)", text.replace("Hello Sammy", "")), \
                (who, name, text)
    assert "someone you trust" in text_of(child_pages["welcome"][1])
    withdrawn = text_of(sixteen_pages["young person withdrew"][1])
    assert "You will not be on the list" in withdrawn


def test_a_young_person_who_asked_for_themselves_is_not_told_someone_else_asked(
        sqlite_client):
    sqlite_client.answer_all(born=years_ago(16, days=5), who={"who": "young_person"},
                             **{"your-name": None})
    check = sqlite_client.get("/request/check-answers").get_data(as_text=True)
    key = re.search(r'name="submission_key" value="([^"]+)"', check).group(1)
    sent = sqlite_client.post("/request/check-answers", data={
        "csrf_token": csrf_token(check), "submission_key": key})
    reference = sent.headers["Location"].rsplit("/", 1)[1]
    sqlite_client.get(f"/young-person/yourself/{reference}")
    text = text_of(page(sqlite_client, "/young-person")[1])
    assert "Someone asked" not in text
    assert "You or someone who knows you asked for more help for you." in text
    assert "It is your choice." in text


# Nothing untrue on the consent pages -------------------------------------------------------

def test_a_parent_without_an_email_address_is_not_told_we_emailed_them(sqlite_client):
    sqlite_client.answer_all(**{
        "contact-details": {"contact_email": "", "contact_phone": "07700 900123"},
        "contact-method": {"contact_method": "phone"}})
    check = sqlite_client.get("/request/check-answers").get_data(as_text=True)
    key = re.search(r'name="submission_key" value="([^"]+)"', check).group(1)
    sent = sqlite_client.post("/request/check-answers", data={
        "csrf_token": csrf_token(check), "submission_key": key})
    reference = sent.headers["Location"].rsplit("/", 1)[1]
    sqlite_client.submit(f"/consent/{reference}", {"parental_responsibility": "yes"})
    signed = sqlite_client.submit(f"/consent/{reference}/agree", {
        "relationship": "Mother", "agree": "y", "signer_name": "Alex Example"})
    text = text_of(page(sqlite_client, signed.headers["Location"])[1])
    assert "emailed" not in text
    assert "contacting the register team" in text
