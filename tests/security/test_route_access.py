"""Who may use each page, pinned: a route made public by mistake, a staff page whose roles
change, or a new page nobody has thought about, all fail here until this map is changed
on purpose (and reviewed)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask, url_for
from werkzeug.routing import Rule
from werkzeug.routing.converters import AnyConverter, IntegerConverter

from portal.common.access import access_rule
from tests.integration.staff_support import make_staff, sign_in
from tests.support import csrf_token

CASEWORK = "staff:register_manager,triage_officer"
READ_REGISTER = "staff:partner_viewer,register_manager,triage_officer"
MANAGER = "staff:register_manager"
ADMIN = "staff:admin"
ANY_STAFF = "staff:admin,partner_viewer,register_manager,triage_officer"
PARTNER = "staff:partner_viewer"

# Endpoint -> its access rule, as portal.common.access.access_rule(view) gives it.
# "public": anyone; "family": signed in by emailed link; "staff:<roles>": signed-in staff
# with one of these roles (sorted). Every endpoint of the app except "static" is here.
ACCESS: dict[str, str] = {
    # Public: information, the eligibility check, the request journey, save and return.
    "public.home": "public",  # /
    "public.content": "public",  # /about/<slug>
    "public.crisis": "public",  # /help-now
    "public.set_language": "public",  # /language/<code>
    "public.eligibility_question": "public",  # /check/<question>
    "public.eligibility_result": "public",  # /check/result
    "public.request_start": "public",  # /request
    "public.request_begin": "public",  # /request/start
    "public.request_question": "public",  # /request/<slug>
    "public.request_check": "public",  # /request/check-answers
    "public.request_over_18": "public",  # /request/over-18
    "public.request_save": "public",  # /request/save
    "public.request_save_sent": "public",  # /request/save/sent
    "public.request_return": "public",  # /request/return/<token>
    # Public, but each view answers 404 unless this browser holds a grant in its session
    # (portal/public/grants.py: it sent the request, or used an emailed link).
    "public.request_sent": "public",  # /request/sent/<reference>
    # /request/sent/<reference>/email (404 unless this browser sent the request)
    "public.request_add_email": "public",
    # Consent, by a parent or carer: public, behind a grant or a single-use link.
    "public.consent_link": "public",  # /consent/link/<token>
    "public.consent_start": "public",  # /consent/<reference>
    "public.consent_agree": "public",  # /consent/<reference>/agree
    "public.consent_someone_else": "public",  # /consent/<reference>/someone-else
    "public.young_person_ask": "public",  # /consent/<reference>/ask-young-person
    "public.young_person_ask_email": "public",  # /consent/<reference>/ask-young-person/email
    "public.young_person_code": "public",  # /consent/<reference>/ask-young-person/code
    "public.consent_signed": "public",  # /consent/signed/<consent_id>
    "public.consent_record": "public",  # /consent/record/<consent_id>
    "public.consent_record_pdf": "public",  # /consent/record/<consent_id>/pdf
    # The young person's own say: public, behind their own link or their own request.
    "public.young_person_link": "public",  # /young-person/start/<token>
    "public.young_person_self": "public",  # /young-person/yourself/<reference>
    "public.young_person_read": "public",  # /young-person
    "public.young_person_answer": "public",  # /young-person/answer
    "public.young_person_done": "public",  # /young-person/thank-you/<consent_id>
    # Consent for the council (care order): public, behind the social worker's own link.
    "public.council_consent_link": "public",  # /consent/council/link/<token>
    "public.council_consent": "public",  # /consent/<reference>/council
    "public.council_consent_done": "public",  # /consent/council/done/<consent_id>
    # The young person's say on being referred to the adult register: their own link.
    "public.adult_referral_link": "public",  # /young-person/adult-register/<token>
    "public.adult_referral_read": "public",  # /young-person/adult-register
    "public.adult_referral_answer": "public",  # /young-person/adult-register/answer
    "public.adult_referral_done": "public",  # /young-person/adult-register/thank-you
    # Withdrawing consent: public, from the emailed link or the browser that gave it.
    "public.withdraw_link": "public",  # /withdraw/link/<token>
    "public.withdraw_start": "public",  # /withdraw/start/<consent_id>
    "public.withdraw_confirm": "public",  # /withdraw/confirm
    "public.withdraw_done": "public",  # /withdraw/done
    # Family sign-in by emailed link: public by design.
    "family.sign_in": "public",  # /account/sign-in
    "family.sign_in_sent": "public",  # /account/sign-in/check-your-email
    "family.sign_in_link": "public",  # /account/sign-in/<token>
    "family.sign_out": "public",  # /account/sign-out
    "family.signed_out": "public",  # /account/signed-out
    # Families, signed in (each view also checks the person follows that request).
    "family.requests": "family",  # /account/
    "family.request_view": "family",  # /account/requests/<reference>
    "family.ask": "family",  # /account/requests/<reference>/ask/<any(cetr, keyworker):kind>
    "family.evidence": "family",  # /account/requests/<reference>/evidence-summary.pdf
    "family.data_page": "family",  # /account/requests/<reference>/my-data
    "family.data_json": "family",  # /account/requests/<reference>/my-data.json
    "family.reply": "family",  # /account/requests/<reference>/reply
    "family.changed": "family",  # /account/requests/<reference>/something-has-changed
    "family.withdraw": "family",  # /account/requests/<reference>/withdraw/<consent_id>
    "family.referral_status": "family",  # /account/referrals/<reference> (status only)
    # Staff sign-in: public by design (nobody is signed in yet).
    "staff.sign_in": "public",  # /staff/sign-in
    "staff.code": "public",  # /staff/sign-in/code
    "staff.enrol": "public",  # /staff/sign-in/set-up-codes
    "staff.set_up": "public",  # /staff/set-up/<token> (the emailed set-up link)
    "staff.set_up_done": "public",  # /staff/set-up/done
    "staff.sign_out": "public",  # /staff/sign-out
    # Staff: every role lands somewhere from here.
    "staff.home": ANY_STAFF,  # /staff/
    # Staff: triage and requests (triage officers and register managers).
    "staff.queue": CASEWORK,  # /staff/queue
    "staff.update_seen": CASEWORK,  # /staff/updates/<int:update_id>/seen
    "staff.request_view": CASEWORK,  # /staff/requests/<int:request_id>
    "staff.request_assign": CASEWORK,  # /staff/requests/<int:request_id>/assign
    "staff.request_accept": CASEWORK,  # /staff/requests/<int:request_id>/accept
    "staff.request_decline": CASEWORK,  # /staff/requests/<int:request_id>/decline
    "staff.request_more_info": CASEWORK,  # /staff/requests/<int:request_id>/more-information
    "staff.request_message": CASEWORK,  # /staff/requests/<int:request_id>/message
    "staff.request_duplicate": CASEWORK,  # /staff/requests/<int:request_id>/same-child
    "staff.request_nhs_number": CASEWORK,  # /staff/requests/<int:request_id>/nhs-number
    "staff.request_childs_view": CASEWORK,  # /staff/requests/<int:request_id>/childs-view
    # /staff/requests/<int:request_id>/young-person-link
    "staff.request_young_person_link": CASEWORK,
    "staff.verify_evidence": CASEWORK,  # /staff/verify
    "staff.on_duty": CASEWORK,  # /staff/on-duty (urgent alerts by email)
    "staff.on_duty_save": CASEWORK,  # /staff/on-duty (POST)
    # Staff: register managers only (the consent finding, the audit log, the export,
    # releasing a rating to the family).
    "staff.request_finding": MANAGER,  # /staff/requests/<int:request_id>/consent-finding
    "staff.audit_log": MANAGER,  # /staff/audit
    "staff.register_export": MANAGER,  # /staff/register/export.csv
    "staff.register_release": MANAGER,  # /staff/register/<int:entry_id>/release
    # Staff: the register, read (partner viewers too, read only).
    "staff.register_list": READ_REGISTER,  # /staff/register
    "staff.my_children": READ_REGISTER,  # /staff/my-children (the entries I key-work)
    "staff.find": READ_REGISTER,  # /staff/find?q= (partners: register entries only)
    "staff.register_entry": READ_REGISTER,  # /staff/register/<int:entry_id>
    # Staff: the register, changed (triage officers and register managers).
    "staff.register_rating": CASEWORK,  # /staff/register/<int:entry_id>/rating
    "staff.register_details": CASEWORK,  # /staff/register/<int:entry_id>/details
    "staff.register_action": CASEWORK,  # /staff/register/<int:entry_id>/actions
    "staff.register_action_done": CASEWORK,  # .../<int:entry_id>/actions/<int:action_id>/done
    "staff.register_note": CASEWORK,  # /staff/register/<int:entry_id>/notes
    "staff.register_close": CASEWORK,  # /staff/register/<int:entry_id>/close
    # Staff: oversight (triage officers and register managers).
    "staff.attention": CASEWORK,  # /staff/attention
    "staff.meeting": CASEWORK,  # /staff/meeting
    "staff.dashboard": CASEWORK,  # /staff/dashboard
    # Staff: C(E)TRs from request to outcome (triage officers and register managers).
    "staff.cetr_list": CASEWORK,  # /staff/cetrs
    "staff.cetr_request": CASEWORK,  # /staff/register/<int:entry_id>/cetrs/new
    "staff.cetr_view": CASEWORK,  # /staff/cetrs/<int:review_id>
    "staff.cetr_book": CASEWORK,  # /staff/cetrs/<int:review_id>/book
    "staff.cetr_papers": CASEWORK,  # /staff/cetrs/<int:review_id>/papers
    "staff.cetr_outcome": CASEWORK,  # /staff/cetrs/<int:review_id>/outcome
    "staff.cetr_cancel": CASEWORK,  # /staff/cetrs/<int:review_id>/cancel
    # Staff: moving to the adult register at 18 (closing on the day: managers only).
    "staff.handover_plan": CASEWORK,  # /staff/register/<int:entry_id>/adult-register/plan
    "staff.handover_link": CASEWORK,  # /staff/register/<int:entry_id>/adult-register/link
    # /staff/register/<int:entry_id>/adult-register/summary.pdf
    "staff.handover_summary": CASEWORK,
    # /staff/register/<int:entry_id>/adult-register/referral
    "staff.handover_referral": CASEWORK,
    "staff.handover_close": MANAGER,  # /staff/register/<int:entry_id>/adult-register/close
    # Staff: partner agencies at work (partners only; another agency's action is a 404),
    # and casework staff marking a partner's update as read.
    "staff.partner_actions": PARTNER,  # /staff/partner/actions
    "staff.partner_action": PARTNER,  # /staff/partner/actions/<int:action_id>
    "staff.partner_action_accept": PARTNER,  # /staff/partner/actions/<int:action_id>/accept
    # /staff/partner/actions/<int:action_id>/progress
    "staff.partner_action_progress": PARTNER,
    "staff.partner_action_close": PARTNER,  # /staff/partner/actions/<int:action_id>/close
    "staff.partner_update": PARTNER,  # /staff/register/<int:entry_id>/partner-update
    # /staff/register/<int:entry_id>/meeting-contribution
    "staff.partner_contribution": PARTNER,
    # /staff/register/<int:entry_id>/partner-updates/<int:update_id>/read
    "staff.partner_update_read": CASEWORK,
    # Staff: emails given up on, and sending them again (register managers here, admins in
    # their own area; the list names no child and never shows what an email said).
    "staff.emails": MANAGER,  # /staff/emails
    "staff.emails_send_again": MANAGER,  # /staff/emails/send-again
    "staff.admin_emails": ADMIN,  # /staff/admin/emails
    "staff.admin_emails_send_again": ADMIN,  # /staff/admin/emails/send-again
    # Staff: the monthly return to NHS England (counts only, no names; register managers
    # sign it off), and the child's details it is broken down by.
    "staff.returns_list": CASEWORK,  # /staff/returns
    "staff.return_month": CASEWORK,  # /staff/returns/<month>
    "staff.return_csv": CASEWORK,  # /staff/returns/<month>/figures.csv
    "staff.return_sign_off": MANAGER,  # /staff/returns/<month>/sign-off
    "staff.register_return_details": CASEWORK,  # /staff/register/<int:entry_id>/return-details
    # Running the service: load balancers and monitoring (no session, no personal data;
    # /metrics answers only with its own bearer token, and is off without one).
    "health.healthz": "public",  # /healthz
    "health.readyz": "public",  # /readyz
    "health.metrics": "public",  # /metrics
    # Staff admin: admins only (and admins see no child records).
    "staff.admin_staff": ADMIN,  # /staff/admin/staff
    "staff.admin_staff_new": ADMIN,  # /staff/admin/staff/new
    "staff.admin_staff_change": ADMIN,  # /staff/admin/staff/<int:staff_id>/<any(...):change>
    "staff.admin_staff_role": ADMIN,  # /staff/admin/staff/<int:staff_id>/role
    "staff.admin_staff_set_up_link": ADMIN,  # /staff/admin/staff/<int:staff_id>/set-up-link
    "staff.admin_staff_agency": ADMIN,  # /staff/admin/staff/<int:staff_id>/agency
    "staff.admin_agencies": ADMIN,  # /staff/admin/agencies
    "staff.admin_agency_new": ADMIN,  # /staff/admin/agencies/new
}

STAFF_SIGN_IN_PAGES = {"/staff/sign-in", "/staff/sign-in/code", "/staff/sign-in/set-up-codes",
                       "/staff/sign-out", "/staff/set-up/<token>", "/staff/set-up/done"}
FAMILY_SIGN_IN_PAGES = {"/account/sign-in", "/account/sign-in/check-your-email",
                        "/account/sign-in/<token>", "/account/sign-out", "/account/signed-out"}
MANAGER_ONLY_PAGES = {"/staff/audit", "/staff/register/export.csv",
                      "/staff/register/<int:entry_id>/release",
                      "/staff/requests/<int:request_id>/consent-finding",
                      "/staff/emails", "/staff/emails/send-again"}


def routes(app: Flask) -> list[Rule]:
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]


def rule_of(app: Flask, rule: Rule) -> str | None:
    return access_rule(app.view_functions[rule.endpoint])


def roles_of(access: str) -> set[str]:
    return set(access.removeprefix("staff:").split(",")) if access.startswith("staff:") else set()


# The pinned map ----------------------------------------------------------------------------

def test_every_route_has_the_access_rule_pinned_here(sqlite_app):
    actual = {rule.endpoint: (rule.rule, rule_of(sqlite_app, rule)) for rule in routes(sqlite_app)}
    problems = []
    for endpoint, (url, found) in sorted(actual.items()):
        if endpoint not in ACCESS:
            problems.append(f"NEW ROUTE {endpoint} ({url}) is {found!r}: decide who may use "
                            "it and add it to ACCESS")
        elif found != ACCESS[endpoint]:
            what = ("WRONGLY PUBLIC" if found == "public"
                    else "ROLES CHANGED" if str(found).startswith("staff:")
                    and ACCESS[endpoint].startswith("staff:")
                    else "ACCESS CHANGED")
            problems.append(f"{what}: {endpoint} ({url}) is {found!r}, expected "
                            f"{ACCESS[endpoint]!r}")
    problems += [f"GONE: {endpoint} is pinned in ACCESS but the app has no such route"
                 for endpoint in sorted(set(ACCESS) - set(actual))]
    assert problems == [], "\n".join(problems)


def test_the_access_rules_keep_the_services_promises(sqlite_app):
    """Checked on the app itself, so editing ACCESS cannot make a wrong rule pass."""
    problems = []
    for rule in routes(sqlite_app):
        url, found = rule.rule, str(rule_of(sqlite_app, rule))
        roles = roles_of(found)
        if url.startswith("/staff/") and url not in STAFF_SIGN_IN_PAGES and not roles:
            problems.append(f"{url} is a staff page but {found!r}")
        if url in STAFF_SIGN_IN_PAGES and found != "public":
            problems.append(f"{url} is a staff sign-in page but {found!r}")
        if roles and not url.startswith("/staff/"):
            problems.append(f"{url} is for staff ({found!r}) outside /staff/")
        if url.startswith("/account/") and url not in FAMILY_SIGN_IN_PAGES \
                and found != "family":
            problems.append(f"{url} is a family page but {found!r}")
        if found == "family" and not url.startswith("/account/"):
            problems.append(f"{url} is for families outside /account/")
        if url.startswith("/staff/admin/") and found != ADMIN:
            problems.append(f"{url} is staff admin but {found!r} (admins only)")
        if "admin" in roles and not url.startswith("/staff/admin/") and url != "/staff/":
            problems.append(f"{url} lets admins in ({found!r}): admins see no child records")
        if url in MANAGER_ONLY_PAGES and found != MANAGER:
            problems.append(f"{url} is {found!r}: register managers only")
        if "partner_viewer" in roles and rule.methods and "POST" in rule.methods \
                and found != PARTNER:
            problems.append(f"{url} lets partner agencies post ({found!r}): they change "
                            "only what their own pages add (updates, contributions, their "
                            "agency's actions)")
    assert problems == [], "\n".join(problems)


# Walking the routes with real clients ------------------------------------------------------

MISSING_ID = 2_000_000_000  # no row has it: a view that lets you in answers 404


def path_for(app: Flask, rule: Rule, number: int = 1) -> str:
    values: dict[str, Any] = {}
    for name in rule.arguments:
        converter = rule._converters[name]
        if isinstance(converter, IntegerConverter):
            values[name] = number
        elif isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        else:
            values[name] = "DSR-AAAA-AAAA"
    with app.test_request_context():
        return url_for(rule.endpoint, **values)


def token_for(client: Any) -> str:
    """A CSRF token for this client's session, from a public page with a form."""
    return csrf_token(client.get("/request").get_data(as_text=True))


def call(client: Any, rule: Rule, path: str, token: str) -> Any:
    if "GET" in (rule.methods or ()):
        return client.get(path)
    return client.post(path, data={"csrf_token": token})


def redirected_to(response: Any, where: str) -> bool:
    return response.status_code == 302 and urlsplit(response.headers["Location"]).path == where


def family_client(app: Flask) -> Any:
    """Signed in the real way, by following an emailed sign-in link."""
    from portal.cases import family as family_cases
    from portal.cases import links as link_cases

    client = app.test_client()
    with app.app_context():
        token = link_cases.issue(family_cases.SIGN_IN, ttl=timedelta(minutes=15),
                                 subject="route-access-test@example.com")
        app.extensions["sqlalchemy"].session.commit()
    page = client.get(f"/account/sign-in/{token}")
    assert page.status_code == 200
    done = client.post(f"/account/sign-in/{token}",
                       data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert redirected_to(done, "/account/")
    assert client.get("/account/").status_code == 200
    return client


def staff_client(app: Flask, role: str) -> Any:
    client = app.test_client()
    sign_in(client, make_staff(app, role))
    return client


WHO = ["signed out", "family", "admin", "partner_viewer", "triage_officer",
       "register_manager"]


@pytest.mark.parametrize("who", WHO)
def test_staff_and_family_pages_turn_away_whoever_may_not_use_them(sqlite_app, who):
    """Signed out, or signed in as a family: every staff page sends you to the staff
    sign-in. Staff without the role: 403, before the view looks anything up. Staff with
    it: let through (a GET for a record that does not exist answers 404, not 403)."""
    app = sqlite_app
    client = (app.test_client() if who == "signed out"
              else family_client(app) if who == "family"
              else staff_client(app, who))
    token = token_for(client)
    problems = []
    for rule in routes(app):
        found = str(rule_of(app, rule))
        if found == "public":
            continue
        path = path_for(app, rule)
        if found == "family":
            if who == "family":
                continue
            response = call(client, rule, path, token)
            if not redirected_to(response, "/account/sign-in"):
                problems.append(f"{rule.methods} {path}: {response.status_code}, expected "
                                "a redirect to /account/sign-in")
            continue
        if who in {"signed out", "family"}:
            response = call(client, rule, path, token)
            sent_to = urlsplit(response.headers.get("Location", ""))
            if not (redirected_to(response, "/staff/sign-in")
                    and parse_qs(sent_to.query).get("next") == [path]):
                problems.append(f"{rule.methods} {path}: {response.status_code} "
                                f"{response.headers.get('Location')}, expected a redirect "
                                "to /staff/sign-in")
        elif who not in roles_of(found):
            response = call(client, rule, path, token)
            if response.status_code != 403:
                problems.append(f"{rule.methods} {path} ({found}): {response.status_code} "
                                f"for {who}, expected 403")
        elif "GET" in (rule.methods or ()) and any(
                isinstance(rule._converters[name], IntegerConverter)
                for name in rule.arguments):
            path = path_for(app, rule, MISSING_ID)
            response = client.get(path)
            if response.status_code != 404:
                problems.append(f"GET {path} ({found}): {response.status_code} for {who}, "
                                "expected to be let through to a 404")
    assert problems == [], f"{who}:\n" + "\n".join(problems)


def test_each_role_lands_on_its_own_start_page(sqlite_app):
    for role, start in [("admin", "/staff/admin/staff"), ("partner_viewer", "/staff/register"),
                        ("triage_officer", "/staff/queue"),
                        ("register_manager", "/staff/queue")]:
        assert redirected_to(staff_client(sqlite_app, role).get("/staff/"), start), role
