"""Withdrawing consent, in at most three steps, with a receipt on screen and by email."""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, session, url_for
from werkzeug.wrappers import Response

from portal.common.access import public
from portal.data import consent as store
from portal.data.drafts import EmailLink
from portal.data.requests import SupportRequest, find_request
from portal.public import bp, grants
from portal.public.consent import records
from portal.public.consent.forms import WithdrawForm
from portal.public.consent.parent import child_name, follow_link

WITHDRAWING = "withdrawing_consent"
WITHDRAWN = "withdrawn_consent"


@bp.route("/withdraw/link/<token>", methods=["GET", "POST"])
@public
def withdraw_link(token: str) -> Response | str | tuple[str, int]:
    """Step 1 from the email: the GET shows a button, the POST uses the link up."""
    def use(link: EmailLink, req: SupportRequest) -> Response | str:
        consent = store.find_consent(link.subject or "")
        if consent is None or consent.request_id != req.id:
            abort(404)
        session[WITHDRAWING] = consent.id
        return redirect(url_for("public.withdraw_confirm"))

    return follow_link(token, records.WITHDRAW, "WITHDRAW_LINK_TTL_DAYS", use=use,
                       page=lambda link, req: render_template(
                           "public/consent/withdraw_link.html"))


@bp.post("/withdraw/start/<consent_id>")
@public
def withdraw_start(consent_id: str) -> Response:
    """Step 1 from the consent receipt, in the browser that signed."""
    if not grants.may_see_consent(consent_id):
        abort(404)
    session[WITHDRAWING] = consent_id
    return redirect(url_for("public.withdraw_confirm"))


@bp.route("/withdraw/confirm", methods=["GET", "POST"])
@public
def withdraw_confirm() -> Response | str:
    """Step 2: say what happens, and confirm."""
    consent = store.find_consent(session.get(WITHDRAWING) or "")
    req = find_request(consent.request_id) if consent else None
    if consent is None or req is None:
        abort(404)
    existing = store.withdrawal_for(consent.id)
    if existing is not None:
        session[WITHDRAWN] = existing.id
        return redirect(url_for("public.withdraw_done"))
    form = WithdrawForm(data={"withdrawn_by": consent.signer_name})
    if form.validate_on_submit():
        withdrawal = records.withdraw(consent, req, name=form.withdrawn_by.data or "",
                                      reason=form.reason.data)
        session.pop(WITHDRAWING, None)
        session[WITHDRAWN] = withdrawal.id
        return redirect(url_for("public.withdraw_done"))
    return render_template("public/consent/withdraw_confirm.html", form=form, req=req,
                           consent=consent, name=child_name(req),
                           young_person=consent.signer_role == "young_person",
                           months=current_app.config["RETENTION_ACTIVE_MONTHS"],
                           years=current_app.config["RETENTION_ARCHIVE_YEARS"])


@bp.get("/withdraw/done")
@public
def withdraw_done() -> str:
    """Step 3: the receipt."""
    withdrawal = store.find_withdrawal(int(session.get(WITHDRAWN) or 0))
    consent = store.find_consent(withdrawal.consent_id) if withdrawal else None
    req = find_request(consent.request_id) if consent else None
    if withdrawal is None or consent is None or req is None:
        abort(404)
    return render_template("public/consent/withdraw_done.html", withdrawal=withdrawal,
                           req=req, consent=consent, name=child_name(req),
                           young_person=consent.signer_role == "young_person",
                           months=current_app.config["RETENTION_ACTIVE_MONTHS"],
                           years=current_app.config["RETENTION_ARCHIVE_YEARS"])
