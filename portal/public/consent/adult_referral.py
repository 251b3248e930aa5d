"""The young person's own say about the adult register: may we pass their details on?

Staff email the young person a personal link (portal.cases.handover.send_link). It opens
an Easy Read page and nothing else (only their first name, never the record), and it is
refused in a browser that acts for the parent side of the request: from 16 the decision
is theirs, and a parent cannot give it in their place.
"""

from __future__ import annotations

from flask import abort, redirect, render_template, session, url_for
from werkzeug.wrappers import Response
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from portal.cases import handover as handover_cases
from portal.cases.operation import Actor
from portal.common.access import public
from portal.common.forms import BaseForm, long_text
from portal.common.i18n import lazy_gettext as _l
from portal.data import consent as consent_store
from portal.data import handover as store
from portal.data.drafts import EmailLink
from portal.data.register import RegisterEntry, entry_for_request
from portal.data.requests import SupportRequest, find_request_by_reference
from portal.domain.consent_text import blocks
from portal.public import bp
from portal.public.consent.parent import child_name, follow_link
from portal.public.consent.young_person import parents_browser

GRANT = "adult_referral"  # in the session: {"reference": ..., "email": ...}


class AdultReferralForm(BaseForm):
    decision = RadioField(
        _l("Can we tell the adult team about you?"),
        choices=[
            SelectChoice("yes", _l("Yes, you can tell them")),
            SelectChoice("no", _l("No, do not tell them")),
            SelectChoice("talk_first", _l("I want to talk to someone first")),
        ],
        validators=[InputRequired(_l("Choose yes, no, or talk to someone first"))],
    )
    own_words = long_text(_l("Is there anything you want to tell us? (optional)"),
                          what=_l("What you want to tell us"))


def _granted() -> tuple[SupportRequest, RegisterEntry, str | None]:
    """The young person's request and entry, for the browser their link was used in."""
    grant = session.get(GRANT)
    if not isinstance(grant, dict) or not grant.get("reference"):
        abort(404)
    req = find_request_by_reference(str(grant["reference"]))
    if req is None or parents_browser(req):
        abort(404)
    entry = entry_for_request(req.id)
    if entry is None:
        abort(404)
    email = grant.get("email")
    return req, entry, str(email) if email else None


def _closed(req: SupportRequest) -> str:
    return render_template("public/consent/adult_referral_closed.html", name=child_name(req))


@bp.route("/young-person/adult-register/<token>", methods=["GET", "POST"])
@public
def adult_referral_link(token: str) -> Response | str | tuple[str, int]:
    def use(link: EmailLink, req: SupportRequest) -> Response:
        session[GRANT] = {"reference": req.reference, "email": link.subject}
        return redirect(url_for("public.adult_referral_read"))

    def refuse(link: EmailLink, req: SupportRequest) -> tuple[str, int] | None:
        if not parents_browser(req):
            return None
        return render_template("public/consent/wrong_browser.html", parent_link=False,
                               name=child_name(req)), 403

    def page(link: EmailLink, req: SupportRequest) -> str:
        entry = entry_for_request(req.id)
        if entry is None or entry.closed_at is not None:
            return _closed(req)
        return render_template("public/consent/adult_referral_welcome.html",
                               name=child_name(req))

    return follow_link(token, handover_cases.ADULT_REFERRAL_LINK, "CONSENT_LINK_TTL_DAYS",
                       use=use, refuse=refuse, page=page)


@bp.get("/young-person/adult-register")
@public
def adult_referral_read() -> str:
    req, entry, _email = _granted()
    if entry.closed_at is not None:
        return _closed(req)
    text = consent_store.text_for(store.AUDIENCE, req.locale)
    if text is None:
        abort(503)
    return render_template("public/consent/adult_referral.html", name=child_name(req),
                           blocks=blocks(text.body))


@bp.route("/young-person/adult-register/answer", methods=["GET", "POST"])
@public
def adult_referral_answer() -> Response | str:
    req, entry, email = _granted()
    if entry.closed_at is not None:
        return _closed(req)
    form = AdultReferralForm()
    if form.validate_on_submit():
        handover_cases.answer(entry, Actor.young_person(email, via="own_link"),
                              form.decision.data or "", form.own_words.data)
        return redirect(url_for("public.adult_referral_done"))
    return render_template("public/consent/adult_referral_answer.html", form=form,
                           name=child_name(req))


@bp.get("/young-person/adult-register/thank-you")
@public
def adult_referral_done() -> str:
    req, entry, _email = _granted()
    given = store.answer_for(entry.id)
    if given is None:
        abort(404)
    return render_template("public/consent/adult_referral_done.html", answer=given,
                           name=child_name(req), closed=entry.closed_at is not None)

