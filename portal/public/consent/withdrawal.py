"""Withdrawing consent, in at most three steps, with a receipt on screen and by email.

Only the person who gave an answer can withdraw it: from the link in their own receipt
email, or from the browser they answered in. The withdrawal is recorded as theirs.
"""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, session, url_for
from werkzeug.wrappers import Response

from portal.cases import consent as consent_cases
from portal.cases import links as link_cases
from portal.cases.operation import Actor, NotAllowed
from portal.common.access import public
from portal.common.auth import current_family_email
from portal.data import consent as store
from portal.data.drafts import EmailLink
from portal.data.requests import SupportRequest, find_request
from portal.public import bp, grants
from portal.public.consent.forms import WithdrawForm
from portal.public.consent.parent import child_name, follow_link

WITHDRAWING = "withdrawing_consent"  # {"consent": id, "via": "withdraw_link" | "browser"}
WITHDRAWN = "withdrawn_consent"


@bp.route("/withdraw/link/<token>", methods=["GET", "POST"])
@public
def withdraw_link(token: str) -> Response | str | tuple[str, int]:
    """Step 1 from the email: the GET shows a button, the POST uses the link up."""
    def use(link: EmailLink, req: SupportRequest) -> Response | str:
        consent = store.find_consent(link.subject or "")
        if consent is None or consent.request_id != req.id:
            abort(404)
        session[WITHDRAWING] = {"consent": consent.id, "via": "withdraw_link"}
        return redirect(url_for("public.withdraw_confirm"))

    return follow_link(token, link_cases.WITHDRAW, "WITHDRAW_LINK_TTL_DAYS", use=use,
                       page=lambda link, req: render_template(
                           "public/consent/withdraw_link.html"))


@bp.post("/withdraw/start/<consent_id>")
@public
def withdraw_start(consent_id: str) -> Response:
    """Step 1 from the receipt page, in the browser that gave the answer."""
    if not grants.may_see_consent(consent_id):
        abort(404)
    session[WITHDRAWING] = {"consent": consent_id, "via": "browser"}
    return redirect(url_for("public.withdraw_confirm"))


def _withdrawing() -> tuple[store.Consent, SupportRequest, Actor]:
    """The answer being withdrawn, and the person withdrawing it: the one who gave it."""
    state = session.get(WITHDRAWING)
    if not isinstance(state, dict):
        abort(404)
    consent = store.find_consent(str(state.get("consent") or ""))
    req = find_request(consent.request_id) if consent else None
    if consent is None or req is None:
        abort(404)
    via = state.get("via")
    if via == "withdraw_link":
        kind = consent.signer_role  # the link went to the signer's own email only
    elif via == "account":  # signed in with the email address they answered from
        signed_in = current_family_email()
        kind = (consent.signer_role if signed_in and signed_in == consent.signer_email
                else "family")
    else:
        kind = grants.side(req.reference) or ""  # who this browser acts for
    actor = Actor(kind, None, consent.signer_name, consent.signer_email,
                  via=str(state.get("via")))
    return consent, req, actor


def _young(consent: store.Consent) -> bool:
    return consent.signer_role == "young_person"


def _back_to(consent: store.Consent) -> str:
    if _young(consent):
        return url_for("public.young_person_done", consent_id=consent.id)
    return url_for("public.consent_signed", consent_id=consent.id)


@bp.route("/withdraw/confirm", methods=["GET", "POST"])
@public
def withdraw_confirm() -> Response | str:
    """Step 2: say what happens, and confirm."""
    consent, req, actor = _withdrawing()
    existing = store.withdrawal_for(consent.id)
    if existing is not None:
        session[WITHDRAWN] = existing.id
        return redirect(url_for("public.withdraw_done"))
    form = WithdrawForm(data={"withdrawn_by": consent.signer_name})
    if form.validate_on_submit():
        try:
            withdrawal = consent_cases.withdraw(consent, actor,
                                                name=form.withdrawn_by.data or "",
                                                reason=form.reason.data)
        except NotAllowed:
            abort(403)
        session.pop(WITHDRAWING, None)
        session[WITHDRAWN] = withdrawal.id
        return redirect(url_for("public.withdraw_done"))
    # Back goes to the page the person came from: their receipt in this browser. From an
    # emailed link there is no page before this one to go back to.
    back_url = _back_to(consent) if grants.may_see_consent(consent.id) else None
    return render_template("public/consent/withdraw_confirm.html", form=form, req=req,
                           consent=consent, name=child_name(req), young_person=_young(consent),
                           keep_url=back_url or url_for("public.home"), back_url=back_url,
                           ends=not store.status_for(req, without=consent.id).valid,
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
                           young_person=_young(consent), ends=req.family_status == "withdrawn",
                           emailed=consent_cases.receipt_address(consent, req) is not None,
                           months=current_app.config["RETENTION_ACTIVE_MONTHS"],
                           years=current_app.config["RETENTION_ARCHIVE_YEARS"])
