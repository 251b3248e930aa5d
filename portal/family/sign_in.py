"""Family sign-in by emailed link: no password, single use, 15 minutes, stored hashed.

The answer is the same whether or not we know the address, after the same work (see
portal.cases.family.send_sign_in_link). Links are limited per address in the database,
and asking for them per client (RATELIMIT_FAMILY_SIGN_IN, portal/common/limits.py).
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, redirect, render_template, session, url_for
from werkzeug.wrappers import Response

from portal.cases import family as family_cases
from portal.cases import links as link_cases
from portal.common import auth, links
from portal.common.access import public
from portal.common.forms import BaseForm, email_field
from portal.common.i18n import lazy_gettext as _l
from portal.family import bp

SENT_TO = "family_link_sent_to"


class EmailForm(BaseForm):
    email = email_field(_l("Email address"), required=_l("Enter your email address"))


def _ttl() -> timedelta:
    return timedelta(minutes=int(current_app.config["FAMILY_LINK_TTL_MINUTES"]))


@bp.route("/sign-in", methods=["GET", "POST"])
@public
def sign_in() -> Response | str:
    if auth.current_family_email():
        return redirect(url_for("family.requests"))
    form = EmailForm()
    if form.validate_on_submit():
        email = form.email.data or ""
        family_cases.send_sign_in_link(email, str(session.get("lang") or "en"))
        # The same page whether or not we know the address, or it asked too often.
        session[SENT_TO] = email
        return redirect(url_for("family.sign_in_sent"))
    return render_template("family/sign_in.html", form=form)


@bp.get("/sign-in/check-your-email")
@public
def sign_in_sent() -> str:
    return render_template("family/sign_in_sent.html", address=session.get(SENT_TO),
                           minutes=int(current_app.config["FAMILY_LINK_TTL_MINUTES"]))


@bp.route("/sign-in/<token>", methods=["GET", "POST"])
@public
def sign_in_link(token: str) -> Response | str | tuple[str, int]:
    """The GET shows a button (mail scanners must not use the link up); the POST signs in."""
    def start(link: object, email: str) -> Response:
        auth.start_family_session(family_cases.signed_in(email))
        return redirect(url_for("family.requests"))  # a clean address, without the token

    return links.follow(  # type: ignore[no-any-return]
        token, family_cases.SIGN_IN, ttl=_ttl(), problem_template="family/link_problem.html",
        find=lambda link: link.subject or None, on_post=start, use=link_cases.use,
        on_get=lambda link, email: render_template("family/sign_in_link.html"))


@bp.post("/sign-out")
@public
def sign_out() -> Response:
    account = auth.current_family_account()
    if account is not None:
        family_cases.signed_out(account)
    auth.end_session()
    return redirect(url_for("family.signed_out"))


@bp.get("/signed-out")
@public
def signed_out() -> str:
    return render_template("family/signed_out.html")
