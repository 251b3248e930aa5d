"""The request journey: one question a page, answers kept in a server-side draft."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, current_app, redirect, render_template, request, session, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from portal.cases import drafts
from portal.cases.requests import NotReady, add_contact_email, send
from portal.common import errors
from portal.common.access import public
from portal.common.forms import BaseForm, email_field
from portal.common.i18n import lazy_gettext as _l
from portal.data.drafts import Draft, find_live_draft
from portal.data.requests import (
    SupportRequest,
    find_request_by_idempotency_key,
    find_request_by_reference,
)
from portal.domain.dates import ADULT_AGE, age_on
from portal.public import bp, grants
from portal.questions import catalogue as steps
from portal.questions.forms import REFERRERS, contact_method_problem


def current_draft() -> Draft | None:
    return find_live_draft(session.get("draft_id"))


def _step_url(step: steps.Question | None, **params: Any) -> str:
    if step is None:
        return url_for("public.request_check")
    return url_for("public.request_question", slug=step.slug, **params)


SENT = "sent_request"  # what the confirmation page shows, for when the database is away
WHO = "request_who"  # who the request is about ("who" answer), for the same reason


def _remember_submitted(stored: SupportRequest) -> None:
    grants.sent_request(stored.reference,
                        by_young_person=stored.requester_role == "young_person",
                        referrer=stored.requester_role in REFERRERS)
    session.pop("draft_id", None)
    session.pop(WHO, None)
    # The confirmation page never fails once the request is stored: if the database is
    # away when it is shown, it is drawn from this (the latest request sent only).
    session[SENT] = {"reference": stored.reference, "requester_role": stored.requester_role,
                     "danger_now": bool(stored.danger_now),
                     "contact_method": stored.contact_method,
                     "contact_email": stored.contact_email,
                     "contact_phone": stored.contact_phone,
                     "consent_from": stored.consent_from, "care_status": stored.care_status,
                     "referrer_email": stored.referrer_email}


@bp.get("/request")
@public
def request_start() -> str:
    draft = current_draft()
    resume = steps.first_unanswered(draft.answers) if draft else None
    return render_template("public/request/start.html", draft=draft, resume=resume)


@bp.post("/request/start")
@public
def request_begin() -> Response:
    draft = current_draft()
    if draft is None:
        draft = drafts.start(_locale())
        session["draft_id"] = draft.id
        session.permanent = True
        # What the eligibility check already told us is not asked again.
        carried = steps.carried_from_check(session.get("eligibility"))
        if carried:
            drafts.save_answers(draft, carried)
    return redirect(_step_url(steps.first_unanswered(draft.answers)))


def _locale() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "en")


def _fits_other_answers(form: BaseForm, answers: dict[str, Any]) -> bool:
    check = getattr(form, "validate_with_answers", None)
    return check is None or bool(check(answers))


def _over_18(answers: dict[str, Any]) -> bool:
    born = steps.date_of_birth(answers)
    return born is not None and age_on(born, date.today()) >= ADULT_AGE


def _here() -> str:
    """This page's address, for the crisis page's way back."""
    return request.full_path.rstrip("?")


def _next_page(slug: str, answers: dict[str, Any], *, changing: bool,
               saving: bool) -> tuple[str, str]:
    """Where to go after a page is answered, and that page's name (for a warning)."""
    if saving:
        return url_for("public.request_save"), "save"
    if slug == "date-of-birth" and _over_18(answers):
        return url_for("public.request_over_18"), "over-18"
    if changing:
        # Back to "check your answers" at once, unless a question still needs an answer
        # (one the change made apply): then that one, and back.
        missing = steps.first_unanswered(answers)
        if missing is not None:
            return _step_url(missing, change=1), missing.slug
        return url_for("public.request_check"), "check"
    following = steps.step_after(slug, answers)
    return _step_url(following), following.slug if following else "check"


def _warning(slug: str, update: dict[str, Any], answers: dict[str, Any],
             shown_on: str) -> dict[str, str] | None:
    """The help-now warning goes on the page after an answer that shows danger."""
    if steps.shows_danger(update):
        return {"from": slug, "on": shown_on}
    before = answers.get("_warning") or None
    if before and before.get("from") == slug:  # that answer no longer shows it
        return None
    return before


def warning_on(answers: dict[str, Any], page: str) -> bool:
    return bool((answers.get("_warning") or {}).get("on") == page)


@bp.route("/request/<slug>", methods=["GET", "POST"])
@public
def request_question(slug: str) -> Response | str:
    step = steps.QUESTION_BY_SLUG.get(slug)
    if step is None:
        abort(404)
    known: dict[str, Any] = {}  # the answers, once read
    if request.method == "POST":
        errors.on_unavailable(lambda: _question_not_saved(step, known))
    draft = current_draft()
    if draft is None:
        return redirect(url_for("public.request_start"))
    answers = dict(draft.answers or {})
    known.update(answers)
    if not step.applies(answers):
        return redirect(_step_url(steps.step_after(slug, answers)))
    if _over_18(answers) and steps.comes_after(slug, "date-of-birth"):
        return redirect(url_for("public.request_over_18"))
    changing = request.args.get("change") == "1"
    pending = (answers.get("_pending") or {}).get(slug)

    form: BaseForm
    if request.method == "GET" and pending:
        form = step.form(formdata=MultiDict(pending))
    else:
        form = step.form(data=steps.form_data(step, answers))

    if request.method == "POST":
        saving = request.form.get("action") == "save"
        if form.validate() and _fits_other_answers(form, answers):
            update = steps.answers_from_form(step, form)
            after = {**answers, **update}
            done = [s for s in answers.get("_done", []) if s != slug] + [slug]
            if slug == "contact-details" and contact_method_problem(
                    answers.get("contact_method"), after):
                done = [s for s in done if s != "contact-method"]  # ask again
            if changing:  # a changed answer that makes a question apply: ask it
                new = steps.newly_applicable(answers, after)
                done = [s for s in done if s not in new]
            update["_done"] = done
            update["_carried"] = [s for s in answers.get("_carried", []) if s != slug]
            update["_pending"] = {k: v for k, v in (answers.get("_pending") or {}).items()
                                  if k != slug}
            after.update(update)
            target, page = _next_page(slug, after, changing=changing, saving=saving)
            update["_warning"] = _warning(slug, update, answers, page)
            drafts.save_answers(draft, update)
            session.modified = True  # the cookie lives as long as the draft it points to
            if after.get("who"):
                session[WHO] = after["who"]
            return redirect(target)
        if saving:
            # Keep exactly what was typed, even if it is not finished yet.
            typed = {k: v for k, v in request.form.to_dict(flat=False).items()
                     if k not in {"csrf_token", "action"}}
            keep = dict(answers.get("_pending") or {})
            keep[slug] = typed
            drafts.save_answers(draft, {"_pending": keep})
            session.modified = True
            return redirect(url_for("public.request_save"))

    previous = steps.step_before(slug, answers)
    if changing and slug in answers.get("_done", []):
        back = url_for("public.request_check")
    elif changing and previous is not None:  # asked because of a change: back to it
        back = _step_url(previous, change=1)
    elif previous is not None:
        back = _step_url(previous)
    else:
        back = url_for("public.request_check") if changing else url_for(
            "public.request_start")
    return render_template(
        f"public/request/{step.template}.html",
        form=form, step=step, question=step.question(answers),
        hint=step.hint(answers) if step.hint else None,
        own=steps.is_self(answers), back_url=back, changing=changing,
        progress=steps.progress(slug, answers), danger_warning=warning_on(answers, slug),
        crisis_back=_here(),
    )


def _question_not_saved(step: steps.Question, known: dict[str, Any]) -> tuple[str, int]:
    """The question again, with what was just typed, when the database is away: nothing
    was saved, and the page says so (drawn without the database)."""
    answers = known or ({"who": session[WHO]} if session.get(WHO) else {})
    form = step.form(formdata=request.form)
    previous = steps.step_before(step.slug, answers) if known else None
    return render_template(
        f"public/request/{step.template}.html",
        form=form, step=step, question=step.question(answers),
        hint=step.hint(answers) if step.hint else None,
        own=steps.is_self(answers), back_url=_step_url(previous) if previous else None,
        changing=request.args.get("change") == "1",
        progress=steps.progress(step.slug, answers) if known else None,
        danger_warning=False, crisis_back=_here(), not_saved=True,
        seconds=errors.retry_after(),
    ), 503


@bp.get("/request/over-18")
@public
def request_over_18() -> str:
    draft = current_draft()
    return render_template("public/request/over_18.html",
                           own=steps.is_self(draft.answers or {}) if draft else False,
                           back_url=url_for("public.request_question", slug="date-of-birth"))


@bp.route("/request/check-answers", methods=["GET", "POST"])
@public
def request_check() -> Response | str:
    known: dict[str, Any] = {}  # the answers, once read
    key = request.form.get("submission_key", "") if request.method == "POST" else ""
    if request.method == "POST":
        errors.on_unavailable(lambda: _not_sent(key, known))
        existing = find_request_by_idempotency_key(key) if key else None
        if existing is not None:
            return _already_sent(existing)
    draft = current_draft()
    if draft is None:
        # A click before this one may have sent it (and removed the draft) a moment ago.
        existing = find_request_by_idempotency_key(key) if key else None
        if existing is not None:
            return _already_sent(existing)
        return redirect(url_for("public.request_start"))
    answers = draft.answers or {}
    known.update(answers)
    if _over_18(answers):
        return redirect(url_for("public.request_over_18"))
    missing = steps.first_unanswered(answers)
    if missing is not None:
        # Asked after a change (the person has been further): straight back here after.
        again = {"change": 1} if steps.answered_beyond(missing, answers) else {}
        return redirect(_step_url(missing, **again))
    if request.method == "POST":
        if request.form.get("submission_key") != draft.idempotency_key:
            return redirect(url_for("public.request_check"))
        try:
            stored, _created = send(draft, draft.idempotency_key)
        except NotReady as not_ready:
            if not_ready.over_18:
                return redirect(url_for("public.request_over_18"))
            return redirect(_step_url(not_ready.question))
        return _already_sent(stored)
    return render_template("public/request/check_answers.html", rows=steps.check_rows(answers),
                           submission_key=draft.idempotency_key,
                           own=steps.is_self(answers),
                           back_url=_step_url(steps.applicable(answers)[-1]),
                           danger_warning=warning_on(answers, "check"), crisis_back=_here())


def _already_sent(stored: SupportRequest) -> Response:
    """Every click of Send, first or not, ends on the same confirmation page."""
    session.pop("eligibility", None)  # it was about this child: not carried again
    _remember_submitted(stored)
    return redirect(url_for("public.request_sent", reference=stored.reference))


def _not_sent(key: str, known: dict[str, Any]) -> tuple[str, int] | None:
    """"Check your answers" again, when the database is away: the request has not been
    sent yet, and pressing Send again sends it once (the same submission key)."""
    if not key:
        return None
    return render_template(
        "public/request/check_answers.html", rows=steps.check_rows(known) if known else [],
        submission_key=key, own=steps.is_self(known),
        back_url=_step_url(steps.applicable(known)[-1]) if known else None,
        danger_warning=False, crisis_back=_here(), not_sent=True,
        seconds=errors.retry_after()), 503


class AddEmailForm(BaseForm):
    email = email_field(_l("Email address"), required=_l("Enter your email address"))


EMAIL_ADDED = "email_added"  # the reference whose email address was just added


def _sent_page(stored: SupportRequest, form: AddEmailForm) -> str:
    return render_template("public/request/sent.html", stored=stored, form=form,
                           weeks=current_app.config["DECISION_TARGET_WEEKS"],
                           email_added=session.pop(EMAIL_ADDED, None) == stored.reference)


def _sent_request(reference: str) -> SupportRequest:
    """The request this browser sent (a 404 for anyone else)."""
    if not grants.may_see_confirmation(reference):
        abort(404)
    stored = find_request_by_reference(reference)
    if stored is None:
        abort(404)
    return stored


@bp.get("/request/sent/<reference>")
@public
def request_sent(reference: str) -> str:
    if grants.may_see_confirmation(reference):
        errors.on_unavailable(lambda: _sent_from_session(reference))
    return _sent_page(_sent_request(reference), AddEmailForm())


class _Sent:
    """What the confirmation page shows, as this browser's session remembers it."""

    def __init__(self, known: dict[str, Any]) -> None:
        self.reference = str(known["reference"])
        self.requester_role = known.get("requester_role")
        self.danger_now = bool(known.get("danger_now"))
        self.contact_method = known.get("contact_method")
        self.contact_email = known.get("contact_email")
        self.contact_phone = known.get("contact_phone")
        self.consent_from = known.get("consent_from")
        self.care_status = known.get("care_status")
        self.referrer_email = known.get("referrer_email")


def _sent_from_session(reference: str) -> str | None:
    """The confirmation page without the database (it is away): the request is stored,
    and this browser sent it, so the page is drawn from what its session remembers."""
    known = session.get(SENT)
    if not isinstance(known, dict) or known.get("reference") != reference:
        return None
    return render_template("public/request/sent.html", stored=_Sent(known),
                           form=AddEmailForm(),
                           weeks=current_app.config["DECISION_TARGET_WEEKS"],
                           email_added=False)


@bp.post("/request/sent/<reference>/email")
@public
def request_add_email(reference: str) -> Response | str:
    """Sent without an email address: add one, to follow the request online."""
    stored = _sent_request(reference)
    form = AddEmailForm()
    if stored.contact_email:  # already has one: nothing to add
        return redirect(url_for("public.request_sent", reference=reference))
    if not form.validate_on_submit():
        return _sent_page(stored, form)
    if add_contact_email(stored, form.email.data or ""):
        session[EMAIL_ADDED] = reference
    return redirect(url_for("public.request_sent", reference=reference))
