"""Plain-language information pages, crisis help and the language choice."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from flask import abort, current_app, redirect, request, session, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from portal.common.access import public
from portal.common.render_cache import static_page
from portal.common.urls import safe_next
from portal.public import bp
from portal.questions.catalogue import QUESTION_BY_SLUG

# slug -> template under templates/public/content/
PAGES = {
    "what-it-is": "what_it_is.html",
    "who-it-is-for": "who_it_is_for.html",
    "ratings": "ratings.html",
    "consent": "consent.html",
    "what-happens-next": "what_happens_next.html",
    "adult-register": "adult_register.html",
    "ehc-needs-assessment": "ehc_needs_assessment.html",
    "privacy": "privacy.html",
    "accessibility": "accessibility.html",
    "cookies": "cookies.html",
    "contact": "contact.html",
}


@bp.get("/")
@public
def home() -> str:
    return static_page("public/home.html")


@bp.get("/help-now")
@public
def crisis() -> str:
    return static_page("public/crisis.html",
                       back_to_request=back_to_request(request.args.get("back")))


def back_to_request(target: str | None) -> str | None:
    """The page of the request the person came from, if `target` is one: a question
    page or "check your answers", rebuilt from its parts (never the text as given)."""
    if not target or safe_next(target) != target:
        return None
    parts = urlsplit(target)
    try:
        endpoint, values = current_app.url_map.bind("localhost").match(parts.path,
                                                                      method="GET")
    except HTTPException:
        return None
    if endpoint == "public.request_check":
        return url_for(endpoint)
    if endpoint == "public.request_question" and values.get("slug") in QUESTION_BY_SLUG:
        change = {"change": 1} if parse_qs(parts.query).get("change") == ["1"] else {}
        return url_for(endpoint, slug=values["slug"], **change)
    return None


@bp.get("/about/<slug>")
@public
def content(slug: str) -> str:
    template = PAGES.get(slug)
    if template is None:
        abort(404)
    return static_page(f"public/content/{template}")


@bp.get("/language/<code>")
@public
def set_language(code: str) -> Response:
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    session["lang"] = code
    return redirect(safe_next(request.args.get("next")))
