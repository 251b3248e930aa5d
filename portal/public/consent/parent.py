"""A parent or carer gives consent: straight after the request, or from an emailed link."""

from __future__ import annotations

from datetime import date, timedelta

from flask import abort, current_app, redirect, render_template, session, url_for
from werkzeug.wrappers import Response

from portal.cases import consent as consent_cases
from portal.cases import links as link_cases
from portal.cases.operation import Actor
from portal.common import links
from portal.common.access import public
from portal.common.auth import current_family_email
from portal.common.i18n import gettext
from portal.data import consent as store
from portal.data.base import utcnow
from portal.data.drafts import EmailLink, count_recent_links
from portal.data.family import access_for
from portal.data.requests import SupportRequest, find_request, find_request_by_reference
from portal.domain.consent import Decision, Signer, is_adult
from portal.domain.consent_text import blocks
from portal.domain.request_states import State
from portal.public import bp, grants
from portal.public.consent.forms import EmailForm, ResponsibilityForm

RESPONSIBILITY = "parental_responsibility_confirmed"


def child_name(req: SupportRequest) -> str:
    return req.child_preferred_name or req.child_name.split()[0]


def request_for_consent(reference: str) -> SupportRequest:
    """The request, if this browser may give a parent's consent for it; else 404."""
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


def closed_page(req: SupportRequest) -> Response | str | None:
    """A request that can no longer take consent: ended, or the child is now 18."""
    if req.state in {State.WITHDRAWN, State.DECLINED, State.DUPLICATE}:
        return render_template("public/consent/closed.html", req=req)
    if is_adult(req.child_date_of_birth, date.today()):
        return render_template("public/consent/adult.html", req=req, name=child_name(req))
    return None


def parent_actor(req: SupportRequest) -> Actor:
    """The parent or carer acting in this browser: their receipt goes to the address the
    link was sent to, or to the requester's address when they sent the request."""
    invited = grants.invited_email(req.reference)
    if invited:
        return Actor.parent(invited, via="consent_link")
    via = "request" if grants.may_see_confirmation(req.reference) else "consent_link"
    return Actor.parent(req.contact_email, via=via)


@bp.route("/consent/<reference>", methods=["GET", "POST"])
@public
def consent_start(reference: str) -> Response | str:
    if grants.side(reference) == grants.YOUNG:
        if grants.may_see_confirmation(reference):
            return redirect(url_for("public.young_person_self", reference=reference))
        abort(404)
    req = request_for_consent(reference)
    if (closed := closed_page(req)) is not None:
        return closed
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
    if (closed := closed_page(req)) is not None:
        return closed
    if session.get(RESPONSIBILITY) != reference:
        return redirect(url_for("public.consent_start", reference=reference))
    text = store.text_for(Signer.PARENT.value, req.locale)
    if text is None:
        abort(503)
    from portal.public.consent import council  # a professional's request: one question more

    form = council.parent_form_class(req)(data={"relationship": req.requester_relationship
                                                or ""})
    if form.validate_on_submit():
        actor = parent_actor(req)
        consent = consent_cases.sign(
            req, actor, signer=Signer.PARENT, name=form.signer_name.data or "",
            relationship=form.relationship.data or "", parental_responsibility=True,
            decision=Decision.YES, own_words=None)
        council.answer_about_referrer(req, actor, form)
        session.pop(RESPONSIBILITY, None)
        grants.signed(consent.id)
        return redirect(url_for("public.consent_signed", consent_id=consent.id))
    return render_template("public/consent/agree.html", form=form, req=req, text=text,
                           blocks=blocks(text.body), name=child_name(req),
                           referrer=council.referrer_words(req),
                           back_url=url_for("public.consent_start", reference=reference))


@bp.route("/consent/<reference>/someone-else", methods=["GET", "POST"])
@public
def consent_someone_else(reference: str) -> Response | str:
    """Without parental responsibility: send the link to someone who has it."""
    req = request_for_consent(reference)
    form = EmailForm()
    if form.validate_on_submit():
        if too_many_links(req, link_cases.PARENT_LINK):
            form.email.errors = [too_many()]
        else:
            consent_cases.invite_parent(req, parent_actor(req), form.email.data or "")
            return render_template("public/consent/link_sent.html", req=req,
                                   address=form.email.data, name=child_name(req),
                                   days=current_app.config["CONSENT_LINK_TTL_DAYS"])
    return render_template("public/consent/someone_else.html", form=form, req=req,
                           name=child_name(req),
                           back_url=url_for("public.consent_start", reference=reference))


def too_many_links(req: SupportRequest, purpose: str) -> bool:
    since = utcnow() - timedelta(hours=1)
    limit = int(current_app.config["YOUNG_PERSON_LINKS_PER_HOUR"])
    return count_recent_links(None, purpose, since, request_id=req.id) >= limit


def too_many() -> str:
    return gettext("You have sent a lot of links. Wait an hour, then try again")


def follow_link(token: str, purpose: str, ttl_setting: str, *,
                page: links.Step[SupportRequest], use: links.Step[SupportRequest],
                refuse: links.Step[SupportRequest] | None = None
                ) -> Response | str | tuple[str, int]:
    """An emailed link about a request (consent, the young person's say, withdrawal)."""
    return links.follow(  # type: ignore[no-any-return]
        token, purpose, ttl=timedelta(days=int(current_app.config[ttl_setting])),
        problem_template="public/consent/link_problem.html",
        find=lambda link: find_request(link.request_id or 0), on_get=page, on_post=use,
        use=link_cases.use, refuse=refuse)


def young_persons_browser(req: SupportRequest) -> bool:
    """This browser acts for the young person on this request (their link, their request,
    or their own family sign-in)."""
    if grants.side(req.reference) == grants.YOUNG:
        return True
    email = current_family_email()
    access = access_for(email, req.id) if email else None
    return access is not None and access.role == "young_person"


@bp.route("/consent/link/<token>", methods=["GET", "POST"])
@public
def consent_link(token: str) -> Response | str | tuple[str, int]:
    """An emailed link to give a parent's consent."""
    def use(link: EmailLink, req: SupportRequest) -> Response:
        grants.allow_consent(req.reference, invited=link.subject)
        return redirect(url_for("public.consent_start", reference=req.reference))

    def refuse(link: EmailLink, req: SupportRequest) -> tuple[str, int] | None:
        if not young_persons_browser(req):
            return None
        return render_template("public/consent/wrong_browser.html", parent_link=True,
                               name=child_name(req)), 403

    return follow_link(token, link_cases.PARENT_LINK, "CONSENT_LINK_TTL_DAYS", use=use,
                       refuse=refuse,
                       page=lambda link, req: render_template("public/consent/link.html",
                                                              name=child_name(req)))


@bp.get("/consent/signed/<consent_id>")
@public
def consent_signed(consent_id: str) -> str:
    consent, req = consent_for_signer(consent_id)
    withdrawal = store.withdrawal_for(consent.id)
    return render_template("public/consent/signed.html", consent=consent, req=req,
                           withdrawal=withdrawal, status=store.status_for(req),
                           name=child_name(req),
                           emailed=consent_cases.receipt_address(consent, req) is not None)
