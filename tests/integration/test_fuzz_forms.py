"""Arbitrary input at every form never gives a server error, on both databases.

The forms are found from the app itself: every question of the request journey from the
question catalogue, and every page the url_map serves to each audience (public, a signed-in
family, staff, an admin) with the ids of a real request and register entry filled in; each
page is read for its POST forms and their fields. Hypothesis then throws text at every
field (NUL and other control characters, any unicode but lone surrogates, very long
strings, numbers too big for the database, markup, formulas) alongside the values the page
itself offers, plus names the form does not have. A bounded, repeatable number of examples
per form (derandomised) keeps the file quick and CI repeatable.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from portal.questions.catalogue import QUESTIONS
from tests.integration.staff_support import make_staff, sign_in, version_on
from tests.integration.test_consent import send_request
from tests.integration.test_family import family_signs_in
from tests.integration.test_staff_casework import ready_request
from tests.support import csrf_token

EXAMPLES = 25  # per form
PROFILE = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                   suppress_health_check=list(HealthCheck), print_blob=False)

# POST endpoints no crawl of pages reaches, and why; every other one must be fuzzed.
NOT_FUZZED = {
    "family.sign_out": "ends the session the rest of the crawl needs",
    "staff.sign_out": "ends the session the rest of the crawl needs",
    "family.sign_in_link": "a button alone (no fields), behind an emailed link",
    "public.consent_link": "a button alone (no fields), behind an emailed link",
    "public.withdraw_link": "a button alone (no fields), behind an emailed link",
    "public.young_person_link": "a button alone (no fields), behind an emailed link",
    "public.request_return": "a button alone (no fields), behind an emailed link",
    "staff.set_up": "a new member of staff's page, behind an emailed link",
    "public.young_person_answer": "the young person's page, behind an emailed link",
    "public.young_person_done": "the young person's page, behind an emailed link",
    "public.withdraw_start": "reached from a signed consent's receipt",
    "public.withdraw_confirm": "reached from a signed consent's receipt",
    "staff.enrol": "only before a member of staff has set up their codes",
    "staff.code": "fuzzed on its own below (it needs a password just given)",
    "staff.update_seen": "only with a family's update waiting",
    "staff.register_action_done": "only with an action on the entry",
    "staff.register_release": "only with a record held for a family",
    "staff.emails_send_again": "only with emails given up on",
    "staff.admin_emails_send_again": "only with emails given up on",
    "staff.request_childs_view": "only after a young person has answered",
    "staff.admin_staff_set_up_link": "only for staff who have not set up their account",
    "staff.cetr_book": "only with a C(E)TR asked for: fuzzed in test_cetr.py",
    "staff.cetr_papers": "only with a C(E)TR booked: fuzzed in test_cetr.py",
    "staff.cetr_outcome": "only with a C(E)TR asked for: fuzzed in test_cetr.py",
    "staff.cetr_cancel": "only with a C(E)TR asked for: fuzzed in test_cetr.py",
    "staff.handover_plan": "only from 17 and a half: fuzzed in test_handover.py",
    "staff.handover_link": "only from 17 and a half: fuzzed in test_handover.py",
    "staff.handover_referral": "only with the young person's yes: fuzzed in test_handover.py",
    "staff.handover_close": "a button alone (no fields), only at 18",
    "public.adult_referral_link": "a button alone (no fields), behind an emailed link",
    "public.adult_referral_answer": "behind an emailed link: fuzzed in test_handover.py",
    "staff.admin_staff_agency": "only for a partner account: fuzzed in test_partners.py",
    "staff.partner_action_accept": "only for a partner in an agency: fuzzed in test_partners.py",
    "staff.partner_action_progress": "only for a partner in an agency: test_partners.py",
    "staff.partner_action_close": "only for a partner in an agency: fuzzed in test_partners.py",
    "staff.partner_contribution": "only for a partner in an agency: fuzzed in test_partners.py",
    "staff.partner_update": "only for a partner in an agency: fuzzed in test_partners.py",
    "staff.partner_update_read": "only with a partner's update: fuzzed in test_partners.py",
    "public.council_consent_link": "a button alone (no fields), behind an emailed link",
    "public.council_consent": "behind an emailed link: fuzzed in test_referrals.py",
}

ODD = ["", " ", "\x00", "a\x00b", "\r\n", "\t", "\x1b[31m", "\x7f", "\x85", "\u2028",
       "\ufeff", "²", "١٢", "-1", "0", "2147483648", "99999999999999999999", "1e309", "NaN",
       "%00", "%0d%0a", "/\\evil.example", "//evil.example", "../../etc/passwd",
       "<script>alert(1)</script>", "{{ 7*7 }}", "=HYPERLINK(\"x\")", "' OR '1'='1",
       "\U0001d49c", "\U0010fffd", "yes", "no", "y", "on", "none"]

_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
_LONG = st.builds(operator.mul, st.sampled_from(["x", "\x00", "é", "\U0001f600", " 1"]),
                  st.integers(300, 20_000))


def _value(offered: list[str]) -> st.SearchStrategy[str]:
    choices = [_TEXT, st.sampled_from(ODD), _LONG]
    if offered:
        choices.insert(0, st.sampled_from(offered))
    return st.one_of(choices)


@dataclass
class FoundForm:
    page: str  # the page that shows it
    action: str  # where it posts
    fields: dict[str, list[str]] = field(default_factory=dict)  # name -> values offered


def forms_on(page: str, html: str) -> list[FoundForm]:
    found = []
    soup = BeautifulSoup(html, "html.parser")
    for form in soup.find_all("form"):
        if (form.get("method") or "get").lower() != "post":
            continue
        action = urljoin(page, form.get("action") or page)
        item = FoundForm(page, action)
        for tag in form.find_all(["input", "textarea", "select", "button"]):
            name = tag.get("name")
            if not name or name == "csrf_token":
                continue
            offered = item.fields.setdefault(name, [])
            if tag.name == "select":
                offered += [o.get("value", o.get_text()) for o in tag.find_all("option")]
            elif tag.get("value") is not None:
                offered.append(tag["value"])
        found.append(item)
    return found


def form_data(found: FoundForm) -> st.SearchStrategy[list[tuple[str, str]]]:
    per_field = {name: st.lists(_value(offered), max_size=3)
                 for name, offered in found.fields.items()}
    invented = st.lists(st.tuples(_TEXT, _value([])), max_size=2)
    return st.builds(lambda known, extra: [(k, v) for k, vs in known.items() for v in vs]
                     + extra, st.fixed_dictionaries(per_field), invented)


def fuzz(client: Any, found: FoundForm) -> None:
    page = client.get(found.page)
    assert page.status_code == 200, (found.page, page.status_code)
    token = csrf_token(page.get_data(as_text=True))

    @PROFILE
    @given(pairs=form_data(found))
    def attempt(pairs: list[tuple[str, str]]) -> None:
        response = client.post(found.action,
                               data=MultiDict([("csrf_token", token), *pairs]))
        assert response.status_code < 500, (found.action, response.status_code)

    attempt()


# Finding the forms ---------------------------------------------------------------------

def _path(app: Any, rule: Any, values: dict[str, Any]) -> str | None:
    values = {"kind": "cetr", **values}  # the family asks for a C(E)TR
    needed = {name: values[name] for name in rule.arguments if name in values}
    if set(needed) != set(rule.arguments):
        return None
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **needed)


def crawl(app: Any, client: Any, prefix: str, values: dict[str, Any]) -> list[FoundForm]:
    """Every POST form on the GET pages under `prefix` this client may see."""
    found: dict[tuple[str, tuple[str, ...]], FoundForm] = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or not rule.rule.startswith(prefix):
            continue
        if re.search(r"sign-out|\.csv|\.pdf|\.json|/assets/", rule.rule):
            continue
        path = _path(app, rule, values)
        if path is None:
            continue
        page = client.get(path)
        if page.status_code != 200 or page.mimetype != "text/html":
            continue
        for form in forms_on(path, page.get_data(as_text=True)):
            if "sign-out" in form.action:
                continue
            found.setdefault((urlsplit(form.action).path, tuple(sorted(form.fields))), form)
    return list(found.values())


def endpoint_of(app: Any, action: str) -> str:
    adapter = app.url_map.bind("localhost")
    return adapter.match(urlsplit(action).path, method="POST")[0]


# The tests -----------------------------------------------------------------------------

def test_every_question_of_the_request_journey_takes_anything(app):
    client = app.test_client()
    client.answer_all(who={"who": "family"}, relationship={"relationship": "Aunt"})
    # "who" and the date of birth change which pages follow: they go last.
    # (A professional's and a foster carer's pages, and care: tests/integration/test_referrals.py.)
    family = {"who": "family", "living_situation": "family_home"}
    slugs = [q.slug for q in QUESTIONS if q.slug not in {"who", "date-of-birth"}
             and q.applies(family)]
    forms = []
    for slug in [*slugs, "date-of-birth", "who"]:
        page = client.get(f"/request/{slug}")
        assert page.status_code == 200, slug
        mine = [f for f in forms_on(f"/request/{slug}", page.get_data(as_text=True))
                if urlsplit(f.action).path == f"/request/{slug}"]
        assert len(mine) == 1, slug
        forms.append(mine[0])
    for page in ("/request/save", "/request/check-answers"):
        forms += forms_on(page, client.get(page).get_data(as_text=True))
    for found in forms:
        fuzz(client, found)


@pytest.fixture
def records(app) -> dict[str, Any]:
    """A request on the register (with a family who can sign in), and one waiting."""
    waiting = ready_request(app)
    on_register = ready_request(app)
    manager = app.test_client()
    sign_in(manager, make_staff(app, "register_manager"))
    today = date.today()
    accept = f"/staff/requests/{on_register.id}/accept"
    entry_url = manager.submit(accept, {
        "version": version_on(manager.get(accept).get_data(as_text=True)),
        "rating": "amber", "reason": "Coordination needed.", "keyworker": "",
        # Due for review today: the meeting page shows its outcome form.
        "first_review-day": str(today.day), "first_review-month": str(today.month),
        "first_review-year": str(today.year)}).headers["Location"]
    return {"request_id": waiting.id, "reference": waiting.reference,
            "entry_id": int(entry_url.rstrip("/").rsplit("/", 1)[1]),
            "staff_id": make_staff(app, "triage_officer").id,
            "family_reference": on_register.reference,
            "family_email": on_register.contact_email, "manager": manager,
            "month": f"{today.replace(day=1) - timedelta(days=1):%Y-%m}"}  # last month


PUBLIC_FORMS = {"public.request_begin", "public.request_add_email",
                "public.eligibility_question", "public.consent_start", "public.consent_agree",
                "public.consent_someone_else", "public.young_person_ask",
                "public.young_person_ask_email", "family.sign_in", "staff.sign_in"}
JOURNEY_FORMS = {"public.request_question", "public.request_check", "public.request_save"}
FAMILY_FORMS = {"family.reply", "family.changed", "family.ask", "family.withdraw"}


def test_every_public_form_takes_anything(app):
    client = app.test_client()
    reference = send_request(client)  # this browser sent it: its consent pages open
    by_phone = app.test_client()  # sent without an email address: it can add one
    by_phone.answer_all(**{"contact-details": {"contact_email": "",
                                               "contact_phone": "07700 900982"},
                           "contact-method": {"contact_method": "phone"}})
    page = by_phone.get("/request/check-answers").get_data(as_text=True)
    sent = by_phone.post("/request/check-answers", data={
        "csrf_token": csrf_token(page),
        "submission_key": re.search(r'name="submission_key" value="([^"]+)"', page)[1]})
    phone_reference = sent.headers["Location"].rsplit("/", 1)[1]
    from portal.public.eligibility import QUESTIONS as CHECK

    forms = []
    for question in CHECK:
        forms += forms_on(f"/check/{question}", client.get(f"/check/{question}")
                          .get_data(as_text=True))
    assert client.submit(f"/consent/{reference}",
                         {"parental_responsibility": "yes"}).status_code == 302
    consent = crawl(app, client, "/consent", {"reference": reference})
    # Agreeing signs the consent (the other pages close): it goes last.
    consent.sort(key=lambda f: f.action.endswith("/agree"))
    forms += consent
    forms += crawl(app, by_phone, "/request", {"reference": phone_reference})
    forms += crawl(app, app.test_client(), "/account/sign-in", {})
    forms += crawl(app, app.test_client(), "/staff/sign-in", {})
    assert {endpoint_of(app, f.action) for f in forms} >= PUBLIC_FORMS
    for found in forms:
        if found.action.endswith("/agree"):  # answered "no" while fuzzing the first page
            client.submit(f"/consent/{reference}", {"parental_responsibility": "yes"})
        if found.action.startswith(("/consent", "/check")):
            fuzz(client, found)
        elif found.action.startswith("/request"):
            fuzz(by_phone, found)
        else:
            fuzz(app.test_client(), found)


def test_every_family_form_takes_anything(app, records):
    family = family_signs_in(app, records["family_email"])
    forms = crawl(app, family, "/account", {"reference": records["family_reference"]})
    assert {endpoint_of(app, f.action) for f in forms} >= FAMILY_FORMS
    for found in forms:
        fuzz(family, found)


def test_every_staff_form_takes_anything(app, records):
    manager = records["manager"]
    forms = crawl(app, manager, "/staff", records)
    admin = app.test_client()
    sign_in(admin, make_staff(app, "admin"))
    target = records["staff_id"]
    # The staff list has a form per member of staff: only this test's own one is fuzzed
    # (disabling the admin would end the crawl).
    admin_forms = [f for f in crawl(app, admin, "/staff/admin", {"staff_id": target})
                   if int((re.search(r"/admin/staff/(\d+)/", f.action) or [0, target])[1])
                   == target]
    reached = {endpoint_of(app, f.action) for f in forms + admin_forms}
    staff_posts = {r.endpoint for r in app.url_map.iter_rules()
                   if "POST" in r.methods and r.rule.startswith("/staff")}
    missing = staff_posts - reached - set(NOT_FUZZED) - {"staff.sign_in"}
    assert missing == set(), f"staff forms no page led to: {sorted(missing)}"
    # Deciding a request ends its other forms: each request form gets a request of its
    # own. Closing the entry ends the entry's forms: it goes last.
    forms.sort(key=lambda f: f.action.endswith("/close"))
    own = f"/requests/{records['request_id']}/"
    for found in forms:
        if own in found.action:
            fresh = f"/requests/{ready_request(app).id}/"
            found = FoundForm(found.page.replace(own, fresh),
                              found.action.replace(own, fresh), found.fields)
        fuzz(manager, found)
    for found in admin_forms:
        fuzz(admin, found)


def test_the_staff_code_form_takes_anything(app):
    user = make_staff(app, "triage_officer")
    client = app.test_client()
    from tests.integration.staff_support import PASSWORD

    given_password = client.submit("/staff/sign-in", {"email": user.email,
                                                      "password": PASSWORD})
    assert given_password.headers["Location"].endswith("/staff/sign-in/code")
    (found,) = forms_on("/staff/sign-in/code",
                        client.get("/staff/sign-in/code").get_data(as_text=True))
    fuzz(client, found)


def test_every_post_endpoint_is_fuzzed_or_said_why_not(app):
    """The tests above find these forms (each checks it did): a new form is fuzzed, or
    named in NOT_FUZZED with the reason."""
    posts = {r.endpoint for r in app.url_map.iter_rules() if "POST" in r.methods}
    public_and_family = {e for e in posts if not e.startswith("staff.")}
    covered = PUBLIC_FORMS | JOURNEY_FORMS | FAMILY_FORMS
    assert public_and_family - covered - set(NOT_FUZZED) == set()
    assert set(NOT_FUZZED) <= posts, "an endpoint said not fuzzed no longer exists"
