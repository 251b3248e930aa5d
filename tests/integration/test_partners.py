"""Partner agencies contribute: admins make agencies and put partner accounts in one;
partners add updates and meeting contributions, and accept, update and close the actions
given to their agency; each shows with their name and agency on the entry, at the
meeting, in the history and the audit log. Another agency's action is a 404, and a
partner changes nothing else."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from portal.data.outbox import OutboxMessage
from portal.data.register import RegisterAction, RegisterEntry
from tests.integration.staff_support import make_staff, sign_in, version_on
from tests.integration.test_staff_casework import _accept, ready_request
from tests.support import by_hand, csrf_token, error_summary


def _db(app):
    return app.extensions["sqlalchemy"]


def make_agency(app, name: str | None = None, kind: str = "social_care") -> tuple[int, str]:
    from portal.cases import partners
    from portal.cases.operation import Actor

    name = name or f"Agency {uuid.uuid4().hex[:6]}"
    with app.app_context():
        agency = partners.create_agency(Actor.system("tests"), name=name, kind=kind)
        _db(app).session.commit()
        return agency.id, agency.name


def make_partner(app, agency_id: int | None, name: str | None = None):
    from portal.cases import partners
    from portal.cases.operation import Actor
    from portal.data.partners import find_agency
    from portal.data.staff import find_staff

    user = make_staff(app, "partner_viewer", name=name)
    if agency_id is not None:
        with app.app_context():
            partners.place_in_agency(Actor.system("tests"), find_staff(user.id),
                                     find_agency(agency_id))
            _db(app).session.commit()
    return user


def on_register(app, client, name: str = "Morgan Manager"):
    req = ready_request(app)
    sign_in(client, make_staff(app, "register_manager", name=name))
    entry_id = int(_accept(client, req).rsplit("/", 1)[1])
    return req, entry_id


def add_action(client, entry_id: int, agency_id: int | None, what: str = "Visit at home"):
    page = client.get(f"/staff/register/{entry_id}").get_data(as_text=True)
    due = date.today() + timedelta(days=14)
    sent = client.post(f"/staff/register/{entry_id}/actions", data={
        "csrf_token": csrf_token(page), "action-version": version_on(page, "action-version"),
        "action-description": what, "action-owner": "Duty social worker",
        "action-due_on-day": str(due.day), "action-due_on-month": str(due.month),
        "action-due_on-year": str(due.year), "action-agency": str(agency_id or "")})
    assert sent.status_code == 302, error_summary(sent.get_data(as_text=True))
    return action_id_of(client.application, entry_id, what)


def action_id_of(app, entry_id: int, what: str) -> int:
    with app.app_context():
        return _db(app).session.scalars(sa.select(RegisterAction.id).where(
            RegisterAction.entry_id == entry_id, RegisterAction.description == what)).one()


def post_from(client, page_url: str, action: str, data: dict | None = None):
    page = client.get(page_url)
    assert page.status_code == 200, (page_url, page.status_code)
    return client.post(action, data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                     **(data or {})})


def test_a_partner_works_on_their_agencys_action_and_tells_the_register(app, client):
    agency_id, agency = make_agency(app)
    req, entry_id = on_register(app, client)
    action_id = add_action(client, entry_id, agency_id)
    keyworker = make_staff(app, "triage_officer", name="Kim Keyworker")
    with app.app_context(), by_hand():
        _db(app).session.get(RegisterEntry, entry_id).keyworker_staff_id = keyworker.id
        _db(app).session.commit()

    partner = make_partner(app, agency_id, name="Pat Partner")
    other = app.test_client()
    sign_in(other, partner)
    listed = other.get("/staff/partner/actions").get_data(as_text=True)
    assert f"Actions for {agency}" in listed and "Visit at home" in listed
    assert "Not accepted yet" in listed and req.child_name in listed

    url = f"/staff/partner/actions/{action_id}"
    assert post_from(other, url, f"{url}/accept").status_code == 302
    page = other.get(url).get_data(as_text=True)
    assert "Accepted" in page and "by Pat Partner" in page
    note = post_from(other, url, f"{url}/progress", {"progress-body": "Visit booked Friday."})
    assert note.status_code == 302
    assert "Visit booked Friday." in other.get(url).get_data(as_text=True)
    closed = post_from(other, url, f"{url}/close", {"close-note": "Visited; plan agreed."})
    assert closed.status_code == 302
    page = other.get(url).get_data(as_text=True)
    assert "Closed" in page and "Visited; plan agreed." in page
    assert 'action="/staff/partner/actions' not in page.split("Progress notes")[1]

    # An update and a meeting contribution, from the entry page's links.
    entry_page = other.get(f"/staff/register/{entry_id}").get_data(as_text=True)
    assert "Add an update from your agency" in entry_page
    assert other.submit(f"/staff/register/{entry_id}/partner-update",
                        {"body": "School says mornings are hard."}).status_code == 302
    assert other.submit(f"/staff/register/{entry_id}/meeting-contribution",
                        {"body": "We can offer short breaks."}).status_code == 302

    # Casework: the entry shows all of it with the partner's name and agency.
    entry_page = client.get(f"/staff/register/{entry_id}").get_data(as_text=True)
    section = entry_page.split('id="partners"')[1]
    assert "Closed" in section and f"by Pat Partner ({agency})" in section
    assert "Visited; plan agreed." in section
    assert f"Pat Partner ({agency})" in section
    assert "School says mornings are hard." in section and "Visit booked Friday." in section
    assert "We can offer short breaks." in section
    with app.app_context():
        action = _db(app).session.get(RegisterAction, action_id)
        assert action.done_at is not None and action.closed_by == "Pat Partner"

    # ...at the meeting, next to the entry...
    meeting = client.get(f"/staff/meeting?due=2099-12-31&meeting={date.today().isoformat()}")
    text = meeting.get_data(as_text=True)
    assert f'id="contributions-{entry_id}"' in text and "We can offer short breaks." in text
    # ...in the request's history and the audit log, with the agency.
    history = client.get(f"/staff/requests/{req.id}").get_data(as_text=True)
    assert f"A partner agency sent an update ({agency})" in history
    assert f"Closed an action ({agency})" in history
    audit = client.get(f"/staff/audit?reference={req.reference}").get_data(as_text=True)
    assert f"Pat Partner ({agency})" in audit and "partner.action_closed" in audit

    # The keyworker was told, without the child's details.
    with app.app_context():
        told = list(_db(app).session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.to_address == keyworker.email)))
    assert told and all(req.child_name not in m.subject + m.body for m in told)

    # Partners' contributions never reach the family.
    from tests.integration.test_family import family_signs_in

    family = family_signs_in(app, req.contact_email)
    seen = family.get(f"/account/requests/{req.reference}").get_data(as_text=True)
    assert "School says mornings are hard." not in seen and "short breaks" not in seen


def test_another_agencys_action_is_not_found(sqlite_app, sqlite_client):
    app, client = sqlite_app, sqlite_client
    ours, _ = make_agency(app)
    theirs, _ = make_agency(app)
    _req, entry_id = on_register(app, client)
    action_id = add_action(client, entry_id, ours, "Ours to do")
    outsider = app.test_client()
    sign_in(outsider, make_partner(app, theirs))
    url = f"/staff/partner/actions/{action_id}"
    assert outsider.get(url).status_code == 404
    token = csrf_token(outsider.get("/staff/partner/actions").get_data(as_text=True))
    for what, data in [("accept", {}), ("progress", {"progress-body": "x"}),
                       ("close", {"close-note": "x"})]:
        assert outsider.post(f"{url}/{what}", data={"csrf_token": token, **data}
                             ).status_code == 404, what
    assert "Ours to do" not in outsider.get("/staff/partner/actions").get_data(as_text=True)
    # Their entry page shows the action, but with no link to work on it.
    page = outsider.get(f"/staff/register/{entry_id}").get_data(as_text=True)
    assert "Ours to do" in page and url not in page
    with app.app_context():
        action = _db(app).session.get(RegisterAction, action_id)
        assert action.accepted_at is None and action.done_at is None

    # A partner in no agency reads the register, and adds nothing.
    lone = app.test_client()
    sign_in(lone, make_partner(app, None))
    assert "not in a partner agency" in lone.get("/staff/partner/actions").get_data(
        as_text=True)
    assert lone.get(url).status_code == 404
    assert lone.get(f"/staff/register/{entry_id}").status_code == 200
    assert lone.get(f"/staff/register/{entry_id}/partner-update").status_code == 403


def test_a_partner_changes_nothing_else(sqlite_app, sqlite_client):
    from portal.cases import register as register_cases
    from portal.cases.operation import Actor, NotAllowed
    from portal.data.staff import find_staff
    from portal.domain.ratings import Rating

    app, client = sqlite_app, sqlite_client
    agency_id, _ = make_agency(app)
    req, entry_id = on_register(app, client)
    action_id = add_action(client, entry_id, agency_id)
    partner = make_partner(app, agency_id)
    other = app.test_client()
    sign_in(other, partner)
    token = csrf_token(other.get(f"/staff/register/{entry_id}").get_data(as_text=True))
    base = f"/staff/register/{entry_id}"
    for path, data in [
        (f"{base}/rating", {"rating-rating": "green", "rating-reason": "x"}),
        (f"{base}/details", {"details-keyworker": "Someone"}),
        (f"{base}/actions", {"action-description": "x"}),
        (f"{base}/actions/{action_id}/done", {}),
        (f"{base}/notes", {"note-body": "x"}),
        (f"{base}/close", {"close-reason": "risk_reduced"}),
        (f"{base}/release", {"release": "1"}),
        (f"{base}/cetrs/new", {"kind": "community"}),
        (f"/staff/requests/{req.id}/consent-finding", {}),
        (f"/staff/requests/{req.id}/accept", {}),
        (f"/staff/requests/{req.id}/message", {"body": "x"}),
        (f"/staff/requests/{req.id}/childs-view", {}),
        (f"/staff/requests/{req.id}/nhs-number", {}),
    ]:
        assert other.post(path, data={"csrf_token": token, **data}).status_code == 403, path
    page = other.get(base).get_data(as_text=True)
    assert "Change the rating" not in page and "Mark done" not in page
    with app.app_context(), pytest.raises(NotAllowed):
        register_cases.change_rating(_db(app).session.get(RegisterEntry, entry_id),
                                     Actor.for_staff(find_staff(partner.id)), Rating.GREEN,
                                     "x")
    with app.app_context():
        _db(app).session.rollback()
        entry = _db(app).session.get(RegisterEntry, entry_id)
        assert entry.rating == "amber" and entry.closed_at is None and entry.keyworker is None


def test_bad_input_keeps_what_was_typed(sqlite_app, sqlite_client):
    app, client = sqlite_app, sqlite_client
    agency_id, _ = make_agency(app)
    _req, entry_id = on_register(app, client)
    action_id = add_action(client, entry_id, agency_id)
    other = app.test_client()
    sign_in(other, make_partner(app, agency_id))
    long = "The school called. " * 300  # over 5,000 characters
    page = other.submit(f"/staff/register/{entry_id}/partner-update", {"body": long})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "The school called." in html
    assert error_summary(html)[0][1] == "The update must be 5,000 characters or fewer"
    page = other.submit(f"/staff/register/{entry_id}/meeting-contribution", {"body": " "})
    assert error_summary(page.get_data(as_text=True)) == [
        ("#body", "Enter what the meeting should know")]

    url = f"/staff/partner/actions/{action_id}"
    page = post_from(other, url, f"{url}/close", {"close-note": ""})
    assert error_summary(page.get_data(as_text=True)) == [("#close-note", "Enter what was done")]
    page = post_from(other, url, f"{url}/progress", {"progress-body": long})
    assert "The school called." in page.get_data(as_text=True)
    with app.app_context():
        assert _db(app).session.get(RegisterAction, action_id).done_at is None


def test_admins_make_agencies_and_put_partners_in_them(sqlite_app, sqlite_client):
    app, client = sqlite_app, sqlite_client
    admin = make_staff(app, "admin")
    sign_in(client, admin)
    name = f"Northshire Health {uuid.uuid4().hex[:6]}"
    made = client.submit("/staff/admin/agencies/new", {"name": name, "kind": "health"})
    assert made.status_code == 302
    listed = client.get("/staff/admin/agencies").get_data(as_text=True)
    assert name in listed and "Health" in listed
    again = client.submit("/staff/admin/agencies/new", {"name": name.upper(), "kind": "health"})
    assert error_summary(again.get_data(as_text=True)) == [
        ("#name", "There is already an agency with this name")]
    assert name.upper() in again.get_data(as_text=True)

    # A partner account's agency must be one on the list; what was typed stays.
    email = f"partner-{uuid.uuid4().hex[:6]}@example.org"
    page = client.submit("/staff/admin/staff/new", {"name": "Pia Partner", "email": email,
                                                    "role": "partner_viewer",
                                                    "agency": "2000000000"})
    html = page.get_data(as_text=True)
    assert ("#agency", "Select an agency from the list") in error_summary(html)
    assert "Pia Partner" in html and email in html
    with app.app_context():
        from portal.data.partners import find_agency_by_name
        agency_id = find_agency_by_name(name).id
    done = client.submit("/staff/admin/staff/new", {"name": "Pia Partner", "email": email,
                                                    "role": "partner_viewer",
                                                    "agency": str(agency_id)})
    assert done.status_code == 302
    staff_page = client.get("/staff/admin/staff").get_data(as_text=True)
    assert "Partner agency" in staff_page and "Partner viewer" not in staff_page
    assert name in staff_page
    with app.app_context():
        from portal.data.staff import find_staff_by_email
        pia = find_staff_by_email(email)
        assert pia.agency_id == agency_id
    other_id, other_name = make_agency(app)
    assert client.submit(f"/staff/admin/staff/{pia.id}/agency",
                         {"agency": str(other_id)}).status_code == 302
    assert other_name in client.get("/staff/admin/staff").get_data(as_text=True)
    assert client.get(f"/staff/admin/staff/{admin.id}/agency").status_code == 404

    # Admins still see no child records, nor partners' action pages.
    manager = app.test_client()
    _req, entry_id = on_register(app, manager)
    action_id = add_action(manager, entry_id, other_id)
    for path in (f"/staff/register/{entry_id}", f"/staff/partner/actions/{action_id}",
                 "/staff/partner/actions", f"/staff/register/{entry_id}/partner-update"):
        assert client.get(path).status_code == 403, path


def test_triage_officers_keep_their_actions_and_read_partner_updates(sqlite_app,
                                                                      sqlite_client):
    app, client = sqlite_app, sqlite_client
    agency_id, agency = make_agency(app)
    _req, entry_id = on_register(app, client)
    triage = app.test_client()
    sign_in(triage, make_staff(app, "triage_officer"))
    plain = add_action(triage, entry_id, None, "Call the school")
    with app.app_context():
        assert _db(app).session.get(RegisterAction, plain).agency_id is None
    page = triage.get(f"/staff/register/{entry_id}").get_data(as_text=True)
    done = triage.post(f"/staff/register/{entry_id}/actions/{plain}/done",
                       data={"csrf_token": csrf_token(page)})
    assert done.status_code == 302
    add_action(triage, entry_id, agency_id, "For the agency")
    assert "No updates from partner agencies yet." in triage.get(
        f"/staff/register/{entry_id}").get_data(as_text=True)

    partner = app.test_client()
    sign_in(partner, make_partner(app, agency_id, name="Pip Partner"))
    assert partner.submit(f"/staff/register/{entry_id}/partner-update",
                          {"body": "Home visit went well."}).status_code == 302
    page = triage.get(f"/staff/register/{entry_id}").get_data(as_text=True)
    assert f"Pip Partner ({agency})" in page and "Mark as read" in page
    from portal.data.partners import PartnerUpdate
    with app.app_context():
        update_id = _db(app).session.scalars(sa.select(PartnerUpdate.id).where(
            PartnerUpdate.entry_id == entry_id)).one()
    read = triage.post(f"/staff/register/{entry_id}/partner-updates/{update_id}/read",
                       data={"csrf_token": csrf_token(page)})
    assert read.status_code == 302
    with app.app_context():
        assert _db(app).session.get(PartnerUpdate, update_id).read_by_keyworker_at

    # A closed entry takes nothing more from a partner.
    page = triage.get(f"/staff/register/{entry_id}").get_data(as_text=True)
    assert triage.post(f"/staff/register/{entry_id}/close", data={
        "csrf_token": csrf_token(page), "close-version": version_on(page, "close-version"),
        "close-reason": "risk_reduced"}).status_code == 302
    token = csrf_token(partner.get(f"/staff/register/{entry_id}").get_data(as_text=True))
    assert partner.post(f"/staff/register/{entry_id}/partner-update",
                        data={"csrf_token": token, "body": "x"}).status_code == 409


def test_every_partner_form_takes_anything(sqlite_app, sqlite_client):
    """The forms only a partner in an agency (or an admin placing one) reaches: the same
    fuzzing as every other staff form."""
    from urllib.parse import urlsplit

    from tests.integration.test_fuzz_forms import forms_on, fuzz

    app, manager = sqlite_app, sqlite_client
    agency_id, _ = make_agency(app)
    partner_user = make_partner(app, agency_id)
    _, entry_id = on_register(app, manager)
    action_id = add_action(manager, entry_id, agency_id, "Fuzzed action")
    partner = app.test_client()
    sign_in(partner, partner_user)
    assert post_from(partner, f"/staff/register/{entry_id}/partner-update",
                     f"/staff/register/{entry_id}/partner-update",
                     {"body": "Seen at school today."}).status_code == 302

    def mine(client, url: str, wanted: str) -> list:
        html = client.get(url).get_data(as_text=True)
        return [f for f in forms_on(url, html) if wanted in urlsplit(f.action).path]

    found = [(partner, f) for url, wanted in (
        (f"/staff/partner/actions/{action_id}", f"/partner/actions/{action_id}/"),
        (f"/staff/register/{entry_id}/partner-update", "/partner-update"),
        (f"/staff/register/{entry_id}/meeting-contribution", "/meeting-contribution"))
        for f in mine(partner, url, wanted)]
    found += [(manager, f) for f in mine(manager, f"/staff/register/{entry_id}",
                                         "/partner-updates/")]
    admin = app.test_client()
    sign_in(admin, make_staff(app, "admin"))
    found += [(admin, f) for f in mine(admin, f"/staff/admin/staff/{partner_user.id}/agency",
                                       "/agency")]
    reached = {urlsplit(f.action).path.rsplit("/", 1)[-1] for _, f in found}
    assert {"accept", "progress", "close", "partner-update", "meeting-contribution", "read",
            "agency"} <= reached, reached
    # Closing ends the action's other forms, and moving the partner to another agency
    # ends their session: those go last.
    found.sort(key=lambda pair: (pair[0] is admin, pair[1].action.endswith("/close")))
    for client, form in found:
        fuzz(client, form)
