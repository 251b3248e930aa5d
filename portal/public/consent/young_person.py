"""The young person's own say: a personal link, an Easy Read page, yes / no / talk first.

A young person's link opens their consent page and nothing else: it never shows the
request, only their first name.
"""

from __future__ import annotations

from datetime import timedelta

import segno
from flask import abort, current_app, redirect, render_template, session, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from portal.common.access import public
from portal.data import consent as store
from portal.data import family as family_store
from portal.data.base import utcnow
from portal.data.drafts import EmailLink, count_recent_links
from portal.data.requests import SupportRequest, find_request_by_reference
from portal.domain.consent import OWN_DECISION_AGE, Decision, Signer
from portal.public import bp, grants
from portal.public.consent import records
from portal.public.consent.forms import EmailForm, HowToAskForm, YoungPersonForm
from portal.public.consent.parent import (
    _too_many,
    child_name,
    follow_link,
    request_for_consent,
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
        if _over_limit(req):
            form.how.errors = [_too_many()]
        else:
            session[CODE] = {"reference": reference, "link": records.young_person_link(req)}
            return redirect(url_for("public.young_person_code", reference=reference))
    return render_template("public/consent/ask_young_person.html", form=form, req=req,
                           name=child_name(req))


def _over_limit(req: SupportRequest) -> bool:
    since = utcnow() - timedelta(hours=1)
    limit = int(current_app.config["YOUNG_PERSON_LINKS_PER_HOUR"])
    return count_recent_links(None, records.YOUNG_PERSON_LINK, since,
                              request_id=req.id) >= limit


@bp.route("/consent/<reference>/ask-young-person/email", methods=["GET", "POST"])
@public
def young_person_ask_email(reference: str) -> Response | str:
    req = request_for_consent(reference)
    form = EmailForm()
    if form.validate_on_submit():
        if _over_limit(req):
            form.email.errors = [_too_many()]
        else:
            records.queue_young_person_invitation(req, form.email.data or "")
            return render_template("public/consent/link_sent.html", req=req,
                                   address=form.email.data, name=child_name(req),
                                   young_person=True,
                                   days=current_app.config["CONSENT_LINK_TTL_DAYS"])
    return render_template("public/consent/ask_young_person_email.html", form=form, req=req,
                           name=child_name(req))


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
                           qr=Markup(svg), name=child_name(req))  # noqa: S704 - segno's SVG


# The young person answers -------------------------------------------------------------

def _young_persons_request() -> SupportRequest:
    reference = grants.young_person_reference()
    found = find_request_by_reference(reference) if reference else None
    if found is None:
        abort(404)
    return found


@bp.route("/young-person/start/<token>", methods=["GET", "POST"])
@public
def young_person_link(token: str) -> Response | str | tuple[str, int]:
    def use(link: EmailLink, req: SupportRequest) -> Response:
        grants.allow_young_person(req.reference, invited=link.subject)
        return redirect(url_for("public.young_person_read"))

    return follow_link(token, records.YOUNG_PERSON_LINK, "CONSENT_LINK_TTL_DAYS", use=use,
                       page=lambda link, req: render_template(
                           "public/consent/young_person_welcome.html", name=child_name(req)))


@bp.get("/young-person/yourself/<reference>")
@public
def young_person_self(reference: str) -> Response:
    """The young person asked for themselves: their own consent comes next."""
    if not grants.may_see_confirmation(reference):
        abort(404)
    grants.allow_young_person(reference)
    return redirect(url_for("public.young_person_read"))


@bp.get("/young-person")
@public
def young_person_read() -> str:
    req = _young_persons_request()
    text = store.text_for(Signer.YOUNG_PERSON.value, req.locale)
    if text is None:
        abort(503)
    return render_template("public/consent/young_person_read.html", name=child_name(req),
                           blocks=records.blocks(text.body))


@bp.route("/young-person/answer", methods=["GET", "POST"])
@public
def young_person_answer() -> Response | str:
    req = _young_persons_request()
    form = YoungPersonForm()
    if form.validate_on_submit():
        consent = records.sign(
            req, signer=Signer.YOUNG_PERSON, name=form.signer_name.data or "",
            relationship="young_person", parental_responsibility=False,
            decision=Decision(form.decision.data), own_words=form.own_words.data,
            locale=req.locale,
        )
        grants.signed(consent.id)
        invited = grants.invited_email(req.reference)
        if invited and records.status_for(req).age >= OWN_DECISION_AGE:
            family_store.grant(req.id, invited, "young_person")  # their own access at 16
        return redirect(url_for("public.young_person_done", consent_id=consent.id))
    return render_template("public/consent/young_person_answer.html", form=form,
                           name=child_name(req))


@bp.get("/young-person/thank-you/<consent_id>")
@public
def young_person_done(consent_id: str) -> str:
    if not grants.may_see_consent(consent_id):
        abort(404)
    consent = store.find_consent(consent_id)
    if consent is None:
        abort(404)
    return render_template("public/consent/young_person_done.html", consent=consent,
                           withdrawal=store.withdrawal_for(consent.id))
