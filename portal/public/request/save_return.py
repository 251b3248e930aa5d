"""Save and come back later: a single-use link by email to carry on, on any device."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, redirect, render_template, session, url_for
from werkzeug.wrappers import Response

from portal.cases import drafts
from portal.cases import links as link_cases
from portal.common import links
from portal.common.access import public
from portal.common.forms import BaseForm, email_field
from portal.common.i18n import lazy_gettext as _l
from portal.data.base import utcnow
from portal.data.drafts import Draft, count_recent_links, find_live_draft
from portal.public import bp
from portal.public.request.views import current_draft, warning_on
from portal.questions import catalogue as steps

PURPOSE = drafts.SAVE_RETURN


def _ttl() -> timedelta:
    return timedelta(hours=int(current_app.config["RETURN_LINK_TTL_HOURS"]))


class SaveForm(BaseForm):
    email = email_field(_l("Email address"), required=_l("Enter your email address"))


@bp.route("/request/save", methods=["GET", "POST"])
@public
def request_save() -> Response | str:
    draft = current_draft()
    if draft is None:
        return redirect(url_for("public.request_start"))
    answers = draft.answers or {}
    form = SaveForm(data={"email": answers.get("contact_email")})
    back = url_for("public.request_question", slug=(steps.first_unanswered(answers) or
                                                     steps.QUESTIONS[-1]).slug)
    if form.validate_on_submit():
        recent = count_recent_links(draft.id, PURPOSE, utcnow() - timedelta(hours=1))
        if recent >= int(current_app.config["RETURN_LINKS_PER_HOUR"]):
            form.email.errors = [
                _l("You have asked for a lot of links. Wait an hour, then try again")
            ]
        else:
            address = form.email.data or ""
            drafts.send_return_link(draft, address)
            session["save_sent_to"] = address
            return redirect(url_for("public.request_save_sent"))
    return render_template("public/request/save.html", form=form, back_url=back,
                           danger_warning=warning_on(answers, "save"))


@bp.get("/request/save/sent")
@public
def request_save_sent() -> str:
    return render_template("public/request/save_sent.html", address=session.get("save_sent_to"),
                           hours=current_app.config["RETURN_LINK_TTL_HOURS"])


@bp.route("/request/return/<token>", methods=["GET", "POST"])
@public
def request_return(token: str) -> Response | str | tuple[str, int]:
    def carry_on(link: object, draft: Draft) -> Response:
        session["draft_id"] = draft.id
        session.permanent = True
        nxt = steps.first_unanswered(draft.answers or {})
        if nxt is None:
            return redirect(url_for("public.request_check"))
        return redirect(url_for("public.request_question", slug=nxt.slug))

    return links.follow(  # type: ignore[no-any-return]
        token, PURPOSE, ttl=_ttl(), problem_template="public/request/link_problem.html",
        find=lambda link: find_live_draft(link.draft_id), gone=links.LinkProblem.EXPIRED,
        use=link_cases.use,
        on_get=lambda link, draft: render_template("public/request/return.html"),
        on_post=carry_on)
