"""The triage queue: urgent first, each with its clock, filters and "assign to me".

At the top, what cannot wait: families' updates and the notices the service raises
(consent withdrawn, a child's no), and messages from families nobody has read yet.
The default view shows everything staff can act on, and urgent requests still waiting
for consent (marked "consent needed"), so a child in crisis is never out of sight.
"""

from __future__ import annotations

from datetime import date

from flask import abort, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from portal.cases import family as family_cases
from portal.cases.operation import Actor
from portal.common.auth import CASEWORK, current_staff, signed_in_staff, staff_only
from portal.data import family as family_store
from portal.data.requests import (
    QUEUE_COUNT_CAP,
    QUEUE_STATES,
    WORKING,
    queue_page,
    requests_by_ids,
    requests_with_unread_messages,
)
from portal.data.staff import Role, all_staff
from portal.domain.working_days import triage_clock
from portal.questions.forms import CHANGES
from portal.staff import bp
from portal.staff.forms import page_number

FILTER_STATES: dict[str, tuple[str, ...] | str] = {
    "working": WORKING, "ready": ("ready_for_triage",),
    "more_info": ("more_info_requested",), "consent": ("awaiting_consent",),
    "all": QUEUE_STATES}


@bp.get("/")
@staff_only(*Role)
def home() -> Response:
    user = current_staff()
    assert user is not None
    if user.role == Role.ADMIN:
        return redirect(url_for("staff.admin_staff"))
    if user.role == Role.PARTNER:
        return redirect(url_for("staff.register_list"))
    return redirect(url_for("staff.queue"))


@bp.get("/queue")
@staff_only(*CASEWORK)
def queue() -> str:
    user = signed_in_staff()
    config = current_app.config
    show = request.args.get("show", "working")
    if show not in FILTER_STATES:
        show = "working"
    rating = request.args.get("rating") or None
    if rating not in {None, "red", "amber", "green", "blue"}:
        rating = None
    mine = request.args.get("assigned") == "me"
    unassigned = request.args.get("assigned") == "none"
    size = int(config["QUEUE_PAGE_SIZE"])
    page = page_number()
    rows, total = queue_page(states=FILTER_STATES[show], rating=rating,
                             assigned_to=user.id if mine else None, unassigned=unassigned,
                             offset=(page - 1) * size, limit=size)
    names = {s.id: s.name for s in all_staff()}
    today = date.today()
    items = [
        (row, triage_clock(row.submitted_at.date(), today, urgent=row.priority == 0,
                           decision_weeks=int(config["DECISION_TARGET_WEEKS"]),
                           holidays=config["BANK_HOLIDAYS"]),
         names.get(row.assigned_to_id or 0))
        for row in rows
    ]
    capped = total > QUEUE_COUNT_CAP
    total = min(total, QUEUE_COUNT_CAP)
    open_updates = family_store.open_updates(20)
    by_id = {r.id: r for r in requests_by_ids([u.request_id for u in open_updates])}
    updates = [(u, by_id.get(u.request_id)) for u in open_updates]
    return render_template("staff/queue.html", items=items, total=total, capped=capped,
                           updates=updates, waiting=requests_with_unread_messages(20),
                           event_words={c.value: c.label for c in CHANGES},
                           page=page, pages=max(1, -(-total // size)), show=show,
                           rating=rating, assigned=request.args.get("assigned", ""))


@bp.post("/updates/<int:update_id>/seen")
@staff_only(*CASEWORK)
def update_seen(update_id: int) -> Response:
    """A family's update or a notice has been read and acted on: it leaves the top."""
    update = family_store.find_update(update_id)
    if update is None:
        abort(404)
    family_cases.seen(update, Actor.for_staff(signed_in_staff()))
    return redirect(url_for("staff.queue"))
