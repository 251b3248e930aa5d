"""A parent or carer gives consent: straight after the request, or from an emailed link."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, current_app, redirect, render_template, session, url_for
from werkzeug.wrappers import Response

from portal.common import links
from portal.common.access import public
from portal.data import consent as store
from portal.data import family as family_store
from portal.data.base import utcnow
from portal.data.drafts import EmailLink, count_recent_links
from portal.data.requests import SupportRequest, find_request, find_request_by_reference
from portal.domain.consent import Decision, Signer
from portal.domain.request_states import State
from portal.public import bp, grants
from portal.public.consent import records
from portal.public.consent.forms import EmailForm, ParentConsentForm, ResponsibilityForm

RESPONSIBILITY = "parental_responsibility_confirmed"
ROLE_WORDS = {"parent": "parent_or_carer", "family": "family_member"}


def child_name(req: SupportRequest) -> str:
    return req.child_preferred_name or req.child_name.split()[0]


def request_for_consent(reference: str) -> SupportRequest:
    """The request, if this browser may give consent for it; else 404."""
    if not grants.may_give_consent(reference):
        abort(404)
    found = find_request_by_reference(reference)
    if found is None:
        abort(404)
    return found


def consent_for_signer(consent_id: str) -> tuple[store.Consent, SupportRequest]:
    if not grants.may_see_consent(consent_id):
        abort(404)
    consent = store.find_consent(consent_id)
    found = find_request(consent.request_id) if consent else None
    if consent is None or found is None:
        abort(404)
    return consent, found


def _closed(req: SupportRequest) -> Response | str | None:
    if req.state in {State.WITHDRAWN, State.DECLINED}:
        return render_template("public/consent/closed.html", req=req)
    return None


@bp.route("/consent/<reference>", methods=["GET", "POST"])
@public
def consent_start(reference: str) -> Response | str:
    req = request_for_consent(reference)
    if (closed := _closed(req)) is not None:
        return closed
    if req.requester_role == "young_person" and grants.may_see_confirmation(reference):
        return redirect(url_for("public.young_person_self", reference=reference))
    form = ResponsibilityForm()
    if form.validate_on_submit():
        if form.parental_responsibility.data == "yes":
            session[RESPONSIBILITY] = reference
            return redirect(url_for("public.consent_agree", reference=reference))
        return redirect(url_for("public.consent_someone_else", reference=reference))
    return render_template("public/consent/responsibility.html", form=form, req=req,
                           name=child_name(req))


@bp.route("/consent/<reference>/agree", methods=["GET", "POST"])
@public
def consent_agree(reference: str) -> Response | str:
    req = request_for_consent(reference)
    if (closed := _closed(req)) is not None:
        return closed
    if session.get(RESPONSIBILITY) != reference:
        return redirect(url_for("public.consent_start", reference=reference))
    text = store.text_for(Signer.PARENT.value, req.locale)
    if text is None:
        abort(503)
    form = ParentConsentForm(data={"relationship": req.requester_relationship or ""})
    if form.validate_on_submit():
        consent = records.sign(
            req, signer=Signer.PARENT, name=form.signer_name.data or "",
            relationship=form.relationship.data or "", parental_responsibility=True,
            decision=Decision.YES, own_words=None, locale=req.locale,
        )
        session.pop(RESPONSIBILITY, None)
        grants.signed(consent.id)
        invited = grants.invited_email(reference)
        if invited:  # they can follow the request from their own email from now on
            family_store.grant(req.id, invited, "parent")
        return redirect(url_for("public.consent_signed", consent_id=consent.id))
    return render_template("public/consent/agree.html", form=form, req=req, text=text,
                           blocks=records.blocks(text.body), name=child_name(req))


@bp.route("/consent/<reference>/someone-else", methods=["GET", "POST"])
@public
def consent_someone_else(reference: str) -> Response | str:
    """Without parental responsibility: send the link to someone who has it."""
    req = request_for_consent(reference)
    form = EmailForm()
    if form.validate_on_submit():
        since = utcnow() - timedelta(hours=1)
        limit = int(current_app.config["YOUNG_PERSON_LINKS_PER_HOUR"])
        if count_recent_links(None, records.PARENT_LINK, since, request_id=req.id) >= limit:
            form.email.errors = [_too_many()]
        else:
            records.queue_parent_invitation(req, form.email.data or "")
            return render_template("public/consent/link_sent.html", req=req,
                                   address=form.email.data, name=child_name(req),
                                   days=current_app.config["CONSENT_LINK_TTL_DAYS"])
    return render_template("public/consent/someone_else.html", form=form, req=req,
                           name=child_name(req))


def _too_many() -> str:
    from portal.common.i18n import gettext

    return gettext("You have sent a lot of links. Wait an hour, then try again")


def follow_link(token: str, purpose: str, ttl_setting: str, *,
                page: links.Step[SupportRequest], use: links.Step[SupportRequest]
                ) -> Response | str | tuple[str, int]:
    """An emailed link about a request (consent, the young person's say, withdrawal)."""
    return links.follow(  # type: ignore[no-any-return]
        token, purpose, ttl=timedelta(days=int(current_app.config[ttl_setting])),
        problem_template="public/consent/link_problem.html",
        find=lambda link: find_request(link.request_id or 0), on_get=page, on_post=use)


@bp.route("/consent/link/<token>", methods=["GET", "POST"])
@public
def consent_link(token: str) -> Response | str | tuple[str, int]:
    """An emailed link to give a parent's consent."""
    def use(link: EmailLink, req: SupportRequest) -> Response:
        grants.allow_consent(req.reference, invited=link.subject)
        return redirect(url_for("public.consent_start", reference=req.reference))

    return follow_link(token, records.PARENT_LINK, "CONSENT_LINK_TTL_DAYS", use=use,
                       page=lambda link, req: render_template("public/consent/link.html",
                                                              name=child_name(req)))


@bp.get("/consent/signed/<consent_id>")
@public
def consent_signed(consent_id: str) -> str:
    consent, req = consent_for_signer(consent_id)
    withdrawal = store.withdrawal_for(consent.id)
    return render_template("public/consent/signed.html", consent=consent, req=req,
                           withdrawal=withdrawal, status=records.status_for(req),
                           name=child_name(req))
