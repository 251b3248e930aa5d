"""A request on one screen: every answer, the suggested rating and every reason behind
it, consent, messages, the same-child warnings and the history in plain words."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from portal.cases import requests as request_cases
from portal.cases.decisions import nhs_conflict
from portal.cases.operation import Actor
from portal.common.auth import CASEWORK, signed_in_staff, staff_only
from portal.data import consent as consent_store
from portal.data.referrals import council_consents_for
from portal.data.register import entry_for_request
from portal.data.requests import LIVE_STATES, SupportRequest, find_request, messages_for
from portal.data.staff import Role, find_staff
from portal.domain.consent import CAPACITY_FINDINGS, finding_applies
from portal.domain.ratings import signal_level
from portal.domain.request_states import ALLOWED, State
from portal.questions.catalogue import reason_label, record_rows
from portal.staff import bp, history
from portal.staff.forms import VersionedForm, stale


def load(request_id: int) -> SupportRequest:
    req = find_request(request_id)
    if req is None:
        abort(404)
    refuse_if_archived(req.archived_at)
    return req


def refuse_if_archived(archived_at: datetime | None) -> None:
    """An archived record (retention): only register managers may open it, and nobody
    changes it."""
    if archived_at is None:
        return
    if signed_in_staff().role != Role.MANAGER:
        abort(403)
    if request.method not in {"GET", "HEAD"}:
        abort(409)


def reasons(req: SupportRequest) -> list[tuple[str | None, Any]]:
    """Every reason behind the suggested rating: (the rating it points to, the words)."""
    return [((level.value if (level := signal_level(code)) else None), reason_label(code))
            for code in req.suggestion_reasons]


def same_child(req: SupportRequest) -> dict[str, SupportRequest | None]:
    return {
        "duplicate": (find_request(req.possible_duplicate_of_id)
                      if req.possible_duplicate_of_id and req.state in LIVE_STATES else None),
        "conflict": nhs_conflict(req),
        "duplicate_of": find_request(req.duplicate_of_id) if req.duplicate_of_id else None,
    }


@bp.get("/requests/<int:request_id>")
@staff_only(*CASEWORK)
def request_view(request_id: int) -> str:
    user = signed_in_staff()
    req = load(request_id)
    request_cases.viewed(req, Actor.for_staff(user))  # every look is on the record
    status = consent_store.status_for(req)
    entry = entry_for_request(req.id)
    findings = [f for f in CAPACITY_FINDINGS if finding_applies(f, status.age)]
    return render_template(
        "staff/request.html", req=req, rows=record_rows(req.snapshot()), status=status,
        reasons=reasons(req), consents=consent_store.consents_for(req.id),
        council_consents=council_consents_for(
            [c.id for c, _w in consent_store.consents_for(req.id)]),
        findings=consent_store.findings_for(req.id),
        history=history.for_request(req.id, entry.id if entry else None),
        messages=messages_for(req.id), entry=entry, same=same_child(req),
        assignee=find_staff(req.assigned_to_id) if req.assigned_to_id else None,
        can_decide=(State.ACCEPTED in ALLOWED[State(req.state)] and status.valid
                    and not status.needs_staff_decision),
        can_ask=State.MORE_INFO_REQUESTED in ALLOWED[State(req.state)],
        can_close=State.DUPLICATE in ALLOWED[State(req.state)],
        can_record_finding=(user.role == Role.MANAGER and bool(findings)
                            and req.state in LIVE_STATES),
        today=date.today(),
    )


@bp.post("/requests/<int:request_id>/assign")
@staff_only(*CASEWORK)
def request_assign(request_id: int) -> Response:
    req = load(request_id)
    request_cases.assign(req, Actor.for_staff(signed_in_staff()))
    return redirect(request.form.get("back") == "queue" and url_for("staff.queue")
                    or url_for("staff.request_view", request_id=req.id))


def action_page(request_id: int, form_class: type[VersionedForm], template: str,
                act: Any, allowed: State | None, defaults: dict[str, Any] | None = None,
                prepare: Any = None, **context: Any) -> Response | str:
    """A form about a request: checked against the version it was made from; `act` does
    it (through the application layer) and may say where to go next. `prepare` adjusts
    the form for this request (choices that depend on the child's age, say)."""
    user = signed_in_staff()
    req = load(request_id)
    if allowed is not None and allowed not in ALLOWED[State(req.state)]:
        return redirect(url_for("staff.request_view", request_id=req.id))
    form = form_class(data={"version": req.version_id, **(defaults or {})})
    if prepare is not None:
        prepare(form)
    conflict = None
    if form.validate_on_submit():
        conflict = stale(form, req, "request")
        if conflict is None:
            done = act(req, Actor.for_staff(user), form)
            if done is not None:
                return done  # type: ignore[no-any-return]
            return redirect(url_for("staff.request_view", request_id=req.id))
        form.version.data = req.version_id  # saving again means "I have checked"
    return render_template(template, form=form, req=req, conflict=conflict, **context)
