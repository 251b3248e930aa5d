"""The young person's own say: a personal link, an Easy Read page, yes / no / talk first.

Only the young person answers for themselves. Their link opens their consent page and
nothing else (it never shows the request, only their first name), and it is refused in
a browser that acts for the parent side of the same request: a parent cannot answer in
their child's place by opening the link themselves.
"""

from __future__ import annotations

from datetime import date

import segno
from flask import abort, current_app, redirect, render_template, session, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from portal.cases import consent as consent_cases
from portal.cases import links as link_cases
from portal.cases.consent import NotValidHere
from portal.cases.operation import Actor
from portal.common.access import public
from portal.common.auth import current_family_email
from portal.data import consent as store
from portal.data.drafts import EmailLink
from portal.data.family import access_for
from portal.data.requests import SupportRequest, find_request, find_request_by_reference
from portal.domain.consent import Decision, Signer, is_adult
from portal.domain.consent_text import blocks
from portal.public import bp, grants
from portal.public.consent.forms import EmailForm, HowToAskForm, YoungPersonForm
from portal.public.consent.parent import (
    child_name,
    follow_link,
    parent_actor,
    request_for_consent,
    too_many,
    too_many_links,
)

CODE = "young_person_code"


# The family asks the young person -----------------------------------------------------

@bp.route("/consent/<reference>/ask-young-person", methods=["GET", "POST"])
@public
def young_person_ask(reference: str) -> Response | str:
    req = request_for_consent(reference)
    form = HowToAskForm()
    if form.validate_on_submit():
        if form.how.data == "email":
            return redirect(url_for("public.young_person_ask_email", reference=reference))
        if too_many_links(req, link_cases.YOUNG_PERSON_LINK):
            form.how.errors = [too_many()]
        else:
            link = consent_cases.young_person_code(req, parent_actor(req))
            session[CODE] = {"reference": reference, "link": link}
            return redirect(url_for("public.young_person_code", reference=reference))
    return render_template("public/consent/ask_young_person.html", form=form, req=req,
                           name=child_name(req))


@bp.route("/consent/<reference>/ask-young-person/email", methods=["GET", "POST"])
@public
def young_person_ask_email(reference: str) -> Response | str:
    req = request_for_consent(reference)
    form = EmailForm()
    if form.validate_on_submit():
        if too_many_links(req, link_cases.YOUNG_PERSON_LINK):
            form.email.errors = [too_many()]
        else:
            consent_cases.invite_young_person(req, parent_actor(req), form.email.data or "")
            return render_template("public/consent/link_sent.html", req=req,
                                   address=form.email.data, name=child_name(req),
                                   young_person=True,
                                   days=current_app.config["CONSENT_LINK_TTL_DAYS"])
    return render_template("public/consent/ask_young_person_email.html", form=form, req=req,
                           name=child_name(req),
                           back_url=url_for("public.young_person_ask", reference=reference))


@bp.get("/consent/<reference>/ask-young-person/code")
@public
def young_person_code(reference: str) -> str:
    req = request_for_consent(reference)
    shown = session.get(CODE) or {}
    if shown.get("reference") != reference:
        abort(404)
    link = str(shown["link"])
    svg = segno.make(link, error="m").svg_inline(
        scale=5, border=2, dark="#0b0c0c", light="#ffffff", omitsize=False,
        svgclass="app-qr", title=None)
    return render_template("public/consent/young_person_code.html", req=req, link=link,
                           qr=Markup(svg), name=child_name(req))  # noqa: S704 - segno's SVG  # nosec B704


# The young person answers -------------------------------------------------------------

def parents_browser(req: SupportRequest) -> bool:
    """This browser acts for the parent side of the request (it sent it for someone else's
    child, used a parent's consent link, or is signed in as a parent or carer)."""
    if grants.side(req.reference) == grants.PARENT:
        return True
    email = current_family_email()
    access = access_for(email, req.id) if email else None
    return access is not None and access.role != "young_person"


def _young_persons_request() -> tuple[SupportRequest, grants.YoungPersonGrant]:
    grant = grants.young_person()
    found = find_request_by_reference(grant.reference) if grant else None
    if grant is None or found is None or parents_browser(found):
        abort(404)
    return found, grant


@bp.route("/young-person/start/<token>", methods=["GET", "POST"])
@public
def young_person_link(token: str) -> Response | str | tuple[str, int]:
    def use(link: EmailLink, req: SupportRequest) -> Response:
        grants.allow_young_person(req.reference, email=link.subject, via="own_link")
        return redirect(url_for("public.young_person_read"))

    def refuse(link: EmailLink, req: SupportRequest) -> tuple[str, int] | None:
        if not parents_browser(req):
            return None
        return render_template("public/consent/wrong_browser.html", parent_link=False,
                               name=child_name(req)), 403

    return follow_link(token, link_cases.YOUNG_PERSON_LINK, "CONSENT_LINK_TTL_DAYS",
                       use=use, refuse=refuse,
                       page=lambda link, req: render_template(
                           "public/consent/young_person_welcome.html", name=child_name(req)))


@bp.get("/young-person/yourself/<reference>")
@public
def young_person_self(reference: str) -> Response:
    """The young person asked for themselves: their own consent comes next."""
    req = find_request_by_reference(reference)
    if (req is None or not grants.may_see_confirmation(reference)
            or req.requester_role != "young_person" or grants.side(reference) != grants.YOUNG):
        abort(404)
    grants.allow_young_person(reference, email=req.contact_email, via="own_request")
    return redirect(url_for("public.young_person_read"))


def _audience(req: SupportRequest) -> str:
    return consent_cases.text_audience(req, Signer.YOUNG_PERSON)


@bp.get("/young-person")
@public
def young_person_read() -> str:
    req, _grant = _young_persons_request()
    if is_adult(req.child_date_of_birth, date.today()):
        return render_template("public/consent/adult.html", req=req, name=child_name(req),
                               young_person=True)
    audience = _audience(req)
    text = store.text_for(audience, req.locale)
    if text is None:
        abort(503)
    return render_template("public/consent/young_person_read.html", name=child_name(req),
                           blocks=blocks(text.body), audience=audience)


@bp.route("/young-person/answer", methods=["GET", "POST"])
@public
def young_person_answer() -> Response | str:
    req, grant = _young_persons_request()
    if is_adult(req.child_date_of_birth, date.today()):
        return redirect(url_for("public.young_person_read"))
    form = YoungPersonForm()
    audience = _audience(req)
    if form.validate_on_submit():
        actor = Actor.young_person(grant.email, via=grant.via)
        try:
            consent = consent_cases.sign(
                req, actor, signer=Signer.YOUNG_PERSON, name=form.signer_name.data or "",
                relationship="young_person", parental_responsibility=False,
                decision=Decision(form.decision.data), own_words=form.own_words.data)
        except NotValidHere:
            return redirect(url_for("public.young_person_read"))
        grants.signed(consent.id)
        return redirect(url_for("public.young_person_done", consent_id=consent.id))
    return render_template("public/consent/young_person_answer.html", form=form,
                           name=child_name(req), audience=audience)


def _own_answer(consent_id: str) -> tuple[store.Consent, SupportRequest]:
    if not grants.may_see_consent(consent_id):
        abort(404)
    consent = store.find_consent(consent_id)
    req = find_request(consent.request_id) if consent else None
    if consent is None or req is None or consent.signer_role != Signer.YOUNG_PERSON:
        abort(404)
    return consent, req


@bp.route("/young-person/thank-you/<consent_id>", methods=["GET", "POST"])
@public
def young_person_done(consent_id: str) -> str:
    consent, req = _own_answer(consent_id)
    form = EmailForm(prefix="link")
    sent_to = None
    if not consent.signer_email and form.validate_on_submit():
        address = form.email.data or ""
        consent_cases.send_young_person_their_link(
            consent, address, Actor.young_person(address, via="own_answer"))
        sent_to = form.email.data
    text = store.find_text(consent.text_id)
    return render_template("public/consent/young_person_done.html", consent=consent,
                           withdrawal=store.withdrawal_for(consent.id), form=form,
                           sent_to=sent_to, own_decision=bool(text and
                                                              text.audience == "young_person"),
                           still_valid=store.status_for(req).valid, name=child_name(req))
