"""What a signed-in family sees: their requests, where each stands, the rating once
released, messages both ways, updates, an evidence summary and their own data."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from flask import Response, current_app, redirect, render_template, session, url_for
from wtforms import ValidationError
from wtforms.validators import InputRequired

from portal.cases import family as family_cases
from portal.cases import requests as request_cases
from portal.common.auth import current_family_email, family_only
from portal.common.forms import BaseForm, long_text
from portal.common.i18n import lazy_gettext as _l
from portal.data import cetr as cetr_store
from portal.data import consent as consent_store
from portal.data import family as store
from portal.data import register as entries
from portal.data.requests import (
    SupportRequest,
    messages_for,
    requests_by_ids,
    timeline_for,
)
from portal.family import bp
from portal.family.held import KEYS, as_json, held
from portal.family.session import acting, family_request
from portal.questions.catalogue import record_rows
from portal.questions.forms import CHANGES, CheckboxesField


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
    return current_family_email() or ""


def live_entry(req: SupportRequest) -> entries.RegisterEntry | None:
    """The child's entry while they are on the register (a closed one is history)."""
    entry = entries.entry_for_request(req.id)
    return entry if entry is not None and entry.closed_at is None else None


@bp.get("/")
@family_only
def requests() -> str:
    rows = requests_by_ids(store.request_ids_for(_email()))
    from portal.data.referrals import referred_request_ids
    return render_template("family/requests.html", rows=rows,
                           referred=referred_request_ids(_email()))


def keyworker(entry: entries.RegisterEntry | None) -> dict[str, str | None] | None:
    """The keyworker named on a live entry, and a link to reach them when the contact is
    an email address or a phone number (None when nobody is named)."""
    if entry is None or entry.closed_at is not None or not (entry.keyworker or "").strip():
        return None
    contact = (entry.keyworker_contact or "").strip()
    href = None
    if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", contact):
        href = "mailto:" + contact
    elif re.fullmatch(r"\+?[0-9][0-9 ()-]{6,}", contact):
        href = "tel:" + re.sub(r"[^0-9+]", "", contact)
    return {"name": entry.keyworker, "contact": contact or None, "href": href}


def _request_page(req: SupportRequest, form: ReplyForm) -> str:
    entry = live_entry(req)
    released = entry if entry is not None and entry.rating_released else None
    weeks = int(current_app.config["DECISION_TARGET_WEEKS"])
    return render_template(
        "family/request.html", req=req, steps=timeline_for(req.id),
        status=consent_store.status_for(req), entry=released, keyworker=keyworker(entry),
        actions=entries.actions_for(released.id) if released else [],
        cetrs=cetr_store.for_family(entry.id) if entry is not None else [],
        messages=messages_for(req.id), updates=store.updates_for(req.id),
        my_consents=[(c, w) for c, w in consent_store.consents_signed_by(req.id, _email())
                     if w is None],
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
    request_cases.message_from_family(req, acting(), form.body.data or "")
    return redirect(url_for("family.request_view", reference=reference) + "#messages")


@bp.post("/requests/<reference>/withdraw/<consent_id>")
@family_only
def withdraw(reference: str, consent_id: str) -> Response:
    """Withdraw an answer this person gave (the next pages are the usual withdrawal)."""
    req = family_request(reference)
    mine = {c.id for c, w in consent_store.consents_signed_by(req.id, _email()) if w is None}
    if consent_id not in mine:
        return redirect(url_for("family.request_view", reference=reference))
    session["withdrawing_consent"] = {"consent": consent_id, "via": "account"}
    return redirect(url_for("public.withdraw_confirm"))


@bp.route("/requests/<reference>/something-has-changed", methods=["GET", "POST"])
@family_only
def changed(reference: str) -> Response | str:
    req = family_request(reference)
    form = ChangedForm()
    if form.validate_on_submit():
        events = list(form.events.data or [])
        family_cases.report_change(req, acting(), events, form.details.data or None)
        return render_template("family/update_sent.html", req=req,
                               admitted="admitted" in events)
    return render_template("family/changed.html", req=req, form=form)


@bp.route("/requests/<reference>/ask/<any(cetr, keyworker):kind>", methods=["GET", "POST"])
@family_only
def ask(reference: str, kind: str) -> Response | str:
    req = family_request(reference)
    named = keyworker(live_entry(req))
    if kind == "keyworker" and named is not None:
        # They have one: how to reach them, rather than a request for another.
        return render_template("family/keyworker.html", req=req, keyworker=named)
    form = AskForm()
    if form.validate_on_submit():
        family_cases.ask(req, acting(), kind, form.details.data or None)
        return render_template("family/update_sent.html", req=req, admitted=False, kind=kind)
    return render_template("family/ask.html", req=req, form=form, kind=kind)


@bp.get("/requests/<reference>/evidence-summary.pdf")
@family_only
def evidence(reference: str) -> Response:
    from weasyprint import HTML  # slow to import: only when a PDF is asked for

    req = family_request(reference)
    entry = live_entry(req)
    if entry is None or not entry.rating_released:
        return redirect(url_for("family.request_view", reference=reference))  # type: ignore[return-value]
    document = family_cases.evidence_issued(req, acting(), entry.rating)
    html = render_template("family/evidence_pdf.html", req=req, entry=entry,
                           document=document, actions=entries.actions_for(entry.id),
                           rows=record_rows(req.snapshot()))
    # Tagged (PDF/UA-1): headings, lists and tables a screen reader can follow, the
    # document's language and its title.
    pdf = HTML(string=html).write_pdf(pdf_variant="pdf/ua-1", pdf_tags=True)
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="evidence-summary-{req.reference}.pdf"'})


@bp.get("/requests/<reference>/my-data")
@family_only
def data_page(reference: str) -> str:
    req = family_request(reference)
    return render_template("family/my_data.html", req=req, data=held(req), keys=KEYS,
                           name=req.child_preferred_name or req.child_name)


@bp.get("/requests/<reference>/my-data.json")
@family_only
def data_json(reference: str) -> Response:
    req = family_request(reference)
    return Response(as_json(held(req)), mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="my-data-{req.reference}.json"'})
