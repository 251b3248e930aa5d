"""What a signed-in family sees: their requests, where each stands, the rating once
released, messages both ways, updates, an evidence summary and their own data."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from flask import Response, current_app, redirect, render_template, url_for
from wtforms import ValidationError
from wtforms.validators import InputRequired

from portal.common import notify
from portal.common.forms import BaseForm, long_text
from portal.common.i18n import lazy_gettext as _l
from portal.data import audit
from portal.data import consent as consent_store
from portal.data import family as store
from portal.data import register as entries
from portal.data.requests import (
    SupportRequest,
    add_message,
    messages_for,
    move_request,
    requests_by_ids,
)
from portal.domain.request_states import State
from portal.family import bp
from portal.family.session import current_email, family_only, family_request
from portal.public.consent import records
from portal.public.request.forms import CheckboxesField, _c
from portal.staff.casework import answer_rows

CHANGES = [
    _c("admitted", _l("They have been admitted to a mental-health hospital")),
    _c("a_and_e", _l("They went to A&E")),
    _c("police", _l("The police were involved")),
    _c("placement_at_risk", _l("Their home, care or school place is at risk")),
    _c("excluded", _l("They have been excluded from school")),
]


class ReplyForm(BaseForm):
    body = long_text(_l("Your message"), what=_l("Your message"),
                     validators=[InputRequired(_l("Enter your message"))])


class ChangedForm(BaseForm):
    events = CheckboxesField(_l("What has happened?"), choices=CHANGES)
    details = long_text(_l("Tell us more (optional)"), what=_l("What happened"))

    def validate_events(self, field: Any) -> None:
        if not field.data and not (self.details.data or "").strip():
            raise ValidationError(_l("Select what has happened, or tell us in your own words"))


class AskForm(BaseForm):
    details = long_text(_l("Anything you want us to know (optional)"), what=_l("Your message"))


def _email() -> str:
    return current_email() or ""


def _entry(req: SupportRequest) -> entries.RegisterEntry | None:
    return entries.entry_for_request(req.id)


@bp.get("/")
@family_only
def requests() -> str:
    rows = requests_by_ids(store.request_ids_for(_email()))
    return render_template("family/requests.html", rows=rows)


def timeline(req: SupportRequest) -> list[tuple[str, Any]]:
    """(step, when) for each step reached, in order, from the request's own history."""
    steps: list[tuple[str, Any]] = [("sent", req.submitted_at)]
    looked = None
    for event in audit.events_for("request", str(req.id)):
        to = (event.detail or {}).get("to")
        if event.action == "request.state" and to == State.READY_FOR_TRIAGE and (
                event.detail or {}).get("why") == "consent_complete":
            steps.append(("consent_complete", event.occurred_at))
        elif event.action in {"request.assigned", "request.viewed"} and looked is None:
            looked = event.occurred_at
            steps.append(("being_looked_at", looked))
        elif event.action == "request.state" and to in {
                State.MORE_INFO_REQUESTED, State.ACCEPTED, State.DECLINED, State.WITHDRAWN}:
            steps.append((str(to), event.occurred_at))
    return steps


def _request_page(req: SupportRequest, form: ReplyForm) -> str:
    entry = _entry(req)
    released = entry if entry is not None and entry.rating_released else None
    weeks = int(current_app.config["DECISION_TARGET_WEEKS"])
    return render_template(
        "family/request.html", req=req, steps=timeline(req), status=records.status_for(req),
        entry=released, actions=entries.actions_for(entry.id) if released else [],
        messages=messages_for(req.id), updates=store.updates_for(req.id),
        decide_by=req.submitted_at.date() + timedelta(weeks=weeks), today=date.today(),
        form=form, name=req.child_preferred_name or req.child_name,
    )


@bp.get("/requests/<reference>")
@family_only
def request_view(reference: str) -> str:
    return _request_page(family_request(reference), ReplyForm(formdata=None))


@bp.post("/requests/<reference>/reply")
@family_only
def reply(reference: str) -> Response | str:
    req = family_request(reference)
    form = ReplyForm()
    if not form.validate_on_submit():
        return _request_page(req, form)  # what they typed stays in the box
    add_message(req, from_staff=False, author=_email(), body=form.body.data or "")
    if req.state == State.MORE_INFO_REQUESTED:
        move_request(req, State.READY_FOR_TRIAGE, actor_type="family",
                     detail={"why": "family_replied"})
    audit.record(actor_type="family", actor_id=store.email_fingerprint(_email()),
                 action="family.message", subject_type="request", subject_id=str(req.id))
    return redirect(url_for("family.request_view", reference=reference) + "#messages")


@bp.route("/requests/<reference>/something-has-changed", methods=["GET", "POST"])
@family_only
def changed(reference: str) -> Response | str:
    req = family_request(reference)
    form = ChangedForm()
    if form.validate_on_submit():
        events = list(form.events.data or [])
        admitted = "admitted" in events
        update = store.add_update(request_id=req.id, kind="changed", events=events,
                                  details=form.details.data or None, admitted=admitted,
                                  sent_by=_email())
        entry = _entry(req)
        if admitted and entry is not None:
            entry.flag = "admission_reported"  # staff see it flagged for Blue
        audit.record(actor_type="family", actor_id=store.email_fingerprint(_email()),
                     action="family.update", subject_type="request", subject_id=str(req.id),
                     detail={"update": update.id, "events": events})
        return render_template("family/update_sent.html", req=req, admitted=admitted)
    return render_template("family/changed.html", req=req, form=form)


@bp.route("/requests/<reference>/ask/<any(cetr, keyworker):kind>", methods=["GET", "POST"])
@family_only
def ask(reference: str, kind: str) -> Response | str:
    req = family_request(reference)
    form = AskForm()
    if form.validate_on_submit():
        update = store.add_update(request_id=req.id, kind=kind, events=[],
                                  details=form.details.data or None, sent_by=_email())
        audit.record(actor_type="family", actor_id=store.email_fingerprint(_email()),
                     action="family.asked", subject_type="request", subject_id=str(req.id),
                     detail={"update": update.id, "kind": kind})
        return render_template("family/update_sent.html", req=req, admitted=False, kind=kind)
    return render_template("family/ask.html", req=req, form=form, kind=kind)


@bp.get("/requests/<reference>/evidence-summary.pdf")
@family_only
def evidence(reference: str) -> Response:
    from weasyprint import HTML  # slow to import: only when a PDF is asked for

    req = family_request(reference)
    entry = _entry(req)
    if entry is None or not entry.rating_released:
        return redirect(url_for("family.request_view", reference=reference))  # type: ignore[return-value]
    document = store.issue_evidence(req.id, entry.rating)
    audit.record(actor_type="family", actor_id=store.email_fingerprint(_email()),
                 action="family.evidence", subject_type="request", subject_id=str(req.id),
                 detail={"code": document.code})
    html = render_template("family/evidence_pdf.html", req=req, entry=entry,
                           document=document, actions=entries.actions_for(entry.id),
                           rows=answer_rows(req))
    return Response(HTML(string=html).write_pdf(), mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="evidence-summary-{req.reference}.pdf"'})


def my_data(req: SupportRequest) -> dict[str, Any]:
    """Everything we hold about the child and the family for this request."""
    entry = _entry(req)
    return {
        "request": {k: v for k, v in req.snapshot().items()
                    if k not in {"idempotency_key", "version_id", "suggested_rating",
                                 "suggestion_reasons", "priority", "assigned_to_id"}},
        "consents": [{"signer": c.signer_name, "role": c.signer_role, "answer": c.decision,
                      "own_words": c.own_words, "signed_at": c.signed_at,
                      "text_version": c.text_version, "text_sha256": c.text_sha256,
                      "withdrawn_at": w.withdrawn_at if w else None}
                     for c, w in consent_store.consents_for(req.id)],
        "messages": [{"from": "staff" if m.from_staff else "family", "sent_at": m.sent_at,
                      "body": m.body} for m in messages_for(req.id)],
        "updates": [{"kind": u.kind, "events": u.events, "details": u.details,
                     "sent_at": u.sent_at} for u in store.updates_for(req.id)],
        "register_entry": None if entry is None else {
            "added_on": entry.added_on, "rating": entry.rating if entry.rating_released
            else None, "keyworker": entry.keyworker, "next_review_on": entry.next_review_on,
            "closed_at": entry.closed_at, "closed_reason": entry.closed_reason,
            "actions": [{"description": a.description, "owner": a.owner, "due_on": a.due_on,
                         "done_at": a.done_at} for a in entries.actions_for(entry.id)]},
        "people_with_access": [{"role": p.role, "email": p.email}
                               for p in store.people_for(req.id)],
        "viewed_by_staff": [{"role": role, "at": at} for at, role in
                            notify.staff_views(req.id, entry.id if entry else None)],
    }


@bp.get("/requests/<reference>/my-data")
@family_only
def data_page(reference: str) -> str:
    req = family_request(reference)
    return render_template("family/my_data.html", req=req, data=my_data(req))


@bp.get("/requests/<reference>/my-data.json")
@family_only
def data_json(reference: str) -> Response:
    req = family_request(reference)
    body = json.dumps(my_data(req), default=str, indent=2, ensure_ascii=False)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="my-data-{req.reference}.json"'})
