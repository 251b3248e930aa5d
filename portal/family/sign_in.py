"""Family sign-in by emailed link: no password, single use, 15 minutes, stored hashed.

The answer is the same whether or not we know the address, and links are rate limited
per address in the database.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, redirect, render_template, session, url_for
from flask_babel import force_locale
from werkzeug.wrappers import Response

from portal.common import links
from portal.common.access import public
from portal.common.forms import BaseForm, email_field
from portal.common.i18n import gettext
from portal.common.i18n import lazy_gettext as _l
from portal.common.urls import external_url
from portal.data import audit, outbox
from portal.data import family as store
from portal.data.base import utcnow
from portal.data.drafts import count_links_for_subject
from portal.family import bp
from portal.family import session as family_session

PURPOSE = "family-sign-in"
SENT_TO = "family_link_sent_to"


class EmailForm(BaseForm):
    email = email_field(_l("Email address"), required=_l("Enter your email address"))


def _ttl() -> timedelta:
    return timedelta(minutes=int(current_app.config["FAMILY_LINK_TTL_MINUTES"]))


@bp.route("/sign-in", methods=["GET", "POST"])
@public
def sign_in() -> Response | str:
    if family_session.current_email():
        return redirect(url_for("family.requests"))
    form = EmailForm()
    if form.validate_on_submit():
        email = form.email.data or ""
        since = utcnow() - timedelta(hours=1)
        allowed = (count_links_for_subject(PURPOSE, email, since)
                   < int(current_app.config["FAMILY_LINKS_PER_HOUR"]))
        if allowed and store.has_access(email):
            token = links.issue(PURPOSE, ttl=_ttl(), subject=email)
            link = external_url("family.sign_in_link", token=token)
            with force_locale(str(session.get("lang") or "en")):
                body = render_template("email/family_sign_in.txt", link=link,
                                       minutes=current_app.config["FAMILY_LINK_TTL_MINUTES"])
                subject = gettext("Your link to sign in")
            outbox.queue_message(kind="family_sign_in", to_address=email, subject=subject,
                                 body=body, locale=str(session.get("lang") or "en"))
        # The same page whether or not we know the address, or it asked too often.
        session[SENT_TO] = email
        return redirect(url_for("family.sign_in_sent"))
    return render_template("family/sign_in.html", form=form)


@bp.get("/sign-in/check-your-email")
@public
def sign_in_sent() -> str:
    return render_template("family/sign_in_sent.html", address=session.get(SENT_TO),
                           minutes=current_app.config["FAMILY_LINK_TTL_MINUTES"])


@bp.route("/sign-in/<token>", methods=["GET", "POST"])
@public
def sign_in_link(token: str) -> Response | str | tuple[str, int]:
    """The GET shows a button (mail scanners must not use the link up); the POST signs in."""
    def start(link: object, email: str) -> Response:
        family_session.start(email)
        audit.record(actor_type="family", actor_id=store.email_fingerprint(email),
                     action="family.signed_in", subject_type="family", subject_id="-")
        return redirect(url_for("family.requests"))  # a clean address, without the token

    return links.follow(  # type: ignore[no-any-return]
        token, PURPOSE, ttl=_ttl(), problem_template="family/link_problem.html",
        find=lambda link: link.subject or None, on_post=start,
        on_get=lambda link, email: render_template("family/sign_in_link.html"))


@bp.post("/sign-out")
@public
def sign_out() -> Response:
    family_session.end()
    return redirect(url_for("family.signed_out"))


@bp.get("/signed-out")
@public
def signed_out() -> str:
    return render_template("family/signed_out.html")
