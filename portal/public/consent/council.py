"""Consent for the council, for a child under a care order, from the link emailed to the
child's social worker; and the family's answer to "may the professional who asked see
how the request is going?", asked on the consent page of a professional's request."""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, render_template, session, url_for
from werkzeug.wrappers import Response
from wtforms import BooleanField, RadioField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from portal.cases import referrals
from portal.cases.operation import Actor
from portal.common.access import public
from portal.common.forms import BaseForm, short_text
from portal.common.i18n import lazy_gettext as _l
from portal.data import consent as store
from portal.data.drafts import EmailLink
from portal.data.referrals import council_consents_for
from portal.data.requests import SupportRequest, find_request, find_request_by_reference
from portal.domain.consent import CARE_ORDER_BASIS, CareStatus, Signer
from portal.domain.consent_text import blocks
from portal.public import bp, grants
from portal.public.consent.forms import ParentConsentForm
from portal.public.consent.parent import child_name, closed_page, follow_link

COUNCIL_GRANT = "council_consent"  # {"reference": ..., "email": the address the link went to}

_YES_NO = [SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))]


def _may_follow_field() -> RadioField:
    return RadioField(_l("May the person who asked see how the request is going?"),
                      choices=_YES_NO,
                      validators=[InputRequired(_l("Select yes or no"))])


class ReferralConsentForm(ParentConsentForm):
    """A parent's consent to a professional's request: with the question of whether the
    professional may see where it is."""

    referrer_may_follow = _may_follow_field()


class CouncilConsentForm(BaseForm):
    signer_name = short_text(_l("Your full name"), what=_l("Your full name"),
                             validators=[InputRequired(_l("Type your full name to sign"))])
    job_title = short_text(_l("Your job"), what=_l("Your job"), limit=100,
                           validators=[InputRequired(_l("Enter your job"))])
    council = short_text(_l("Council"), what=_l("Council"), limit=100,
                         validators=[InputRequired(_l("Enter the name of the council"))])
    care_order = BooleanField(_l("The child is under a care order, and I am their social "
                                 "worker for this council"))
    agree = BooleanField(_l("For the council, I agree to the child being added to the "
                            "register, and to their information being shared as described "
                            "on this page"))

    def validate_care_order(self, field: Any) -> None:
        if not field.data:
            raise ValidationError(_l("Select the box to confirm the care order"))

    def validate_agree(self, field: Any) -> None:
        if not field.data:
            raise ValidationError(_l("Select the box to say you agree"))


class CouncilReferralForm(CouncilConsentForm):
    referrer_may_follow = _may_follow_field()


def asks_about_referrer(req: SupportRequest) -> bool:
    return referrals.is_referral(req) and req.referrer_may_follow is None \
        and bool(req.referrer_email)


def parent_form_class(req: SupportRequest) -> type[ParentConsentForm]:
    """The parent's consent form: with the referrer question when there is one to ask."""
    return ReferralConsentForm if asks_about_referrer(req) else ParentConsentForm


def referrer_words(req: SupportRequest) -> dict[str, str | None]:
    return {"name": req.requester_name, "job": req.referrer_job,
            "organisation": req.referrer_organisation}


def answer_about_referrer(req: SupportRequest, actor: Actor, form: BaseForm) -> None:
    field = getattr(form, "referrer_may_follow", None)
    if field is not None and field.data in ("yes", "no"):
        referrals.let_referrer_follow(req, actor, field.data == "yes")


def _granted(reference: str) -> str | None:
    """The address the council's link was sent to, if this browser opened it."""
    grant = session.get(COUNCIL_GRANT)
    if isinstance(grant, dict) and grant.get("reference") == reference:
        return str(grant.get("email") or "") or None
    return None


@bp.route("/consent/council/link/<token>", methods=["GET", "POST"])
@public
def council_consent_link(token: str) -> Response | str | tuple[str, int]:
    """The link emailed to the child's social worker: the GET shows a button, the POST
    uses it up and opens the council's consent page."""
    def use(link: EmailLink, req: SupportRequest) -> Response:
        session[COUNCIL_GRANT] = {"reference": req.reference, "email": link.subject}
        return redirect(url_for("public.council_consent", reference=req.reference))

    return follow_link(token, referrals.COUNCIL_LINK, "CONSENT_LINK_TTL_DAYS", use=use,
                       page=lambda link, req: render_template(
                           "public/consent/council_link.html", name=child_name(req)))


@bp.route("/consent/<reference>/council", methods=["GET", "POST"])
@public
def council_consent(reference: str) -> Response | str:
    if not isinstance(session.get(COUNCIL_GRANT), dict) or \
            session[COUNCIL_GRANT].get("reference") != reference:
        abort(404)
    req = find_request_by_reference(reference)
    if req is None:
        abort(404)
    if (closed := closed_page(req)) is not None:
        return closed
    if req.care_status != CareStatus.CARE_ORDER:
        return render_template("public/consent/council_no_order.html", name=child_name(req))
    text = store.text_for(Signer.PARENT.value, req.locale)
    if text is None:
        abort(503)
    form_class = CouncilReferralForm if asks_about_referrer(req) else CouncilConsentForm
    form = form_class(data={"council": req.care_council or ""})
    if form.validate_on_submit():
        actor = Actor(referrals.COUNCIL, None, form.signer_name.data or "",
                      _granted(reference), via="council_link")
        consent = referrals.sign_for_council(
            req, actor, name=form.signer_name.data or "", job_title=form.job_title.data or "",
            council=form.council.data or "")
        answer_about_referrer(req, actor, form)
        grants.signed(consent.id)
        session.pop(COUNCIL_GRANT, None)
        return redirect(url_for("public.council_consent_done", consent_id=consent.id))
    return render_template("public/consent/council.html", form=form, req=req, text=text,
                           blocks=blocks(text.body), name=child_name(req),
                           referrer=referrer_words(req), basis=CARE_ORDER_BASIS)


@bp.get("/consent/council/done/<consent_id>")
@public
def council_consent_done(consent_id: str) -> str:
    if not grants.may_see_consent(consent_id):
        abort(404)
    consent = store.find_consent(consent_id)
    req = find_request(consent.request_id) if consent else None
    if consent is None or req is None or consent.signer_role != Signer.COUNCIL:
        abort(404)
    record = council_consents_for([consent.id]).get(consent.id)
    return render_template("public/consent/council_done.html", consent=consent, req=req,
                           record=record, name=child_name(req), status=store.status_for(req))
