"""Render what never changes between requests once per language, then reuse it.

The header, the footer and the crisis box are the same on every page for a given
language and settings; the information pages are the same for everyone. Rendering them
again on each request cost more than everything else on a page. Each app keeps its own
cache (settings can differ between apps), and nothing is cached while templates are
being edited (debug or TEMPLATES_AUTO_RELOAD).

A cached page is rendered with a placeholder CSP nonce that is swapped for the
response's own nonce, so each response still gets a fresh one.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template, request
from flask_babel import get_locale
from markupsafe import Markup

from portal.common import security

_PLACEHOLDER_NONCE = "__dsr-csp-nonce-placeholder__"
_MAX_PAGES = 500


def _store() -> dict[tuple[str, ...], Any] | None:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.debug or app.config.get("TEMPLATES_AUTO_RELOAD"):
        return None
    return app.extensions.setdefault("dsr_render_cache", {})  # type: ignore[no-any-return]


def fragment(name: str, locale: str) -> Markup:
    """A part of the layout from templates/fragments/, rendered once per language."""
    store = _store()
    key = ("fragment", name, locale)
    if store is not None and key in store:
        return store[key]  # type: ignore[no-any-return]
    html = Markup(render_template(f"fragments/{name}.html"))  # noqa: S704 - autoescaped output  # nosec B704
    if store is not None:
        store[key] = html
    return html


def static_page(template: str, **context: Any) -> str:
    """A page that is the same for everyone who reads it in this language."""
    store = _store()
    if store is None or request.query_string or len(store) > _MAX_PAGES:
        return render_template(template, **context)
    key = ("page", template, request.path, str(get_locale()))
    html = store.get(key)
    if html is None:
        with security.nonce_placeholder(_PLACEHOLDER_NONCE):
            html = render_template(template, **context)
        store[key] = html
    return str(html).replace(_PLACEHOLDER_NONCE, security.csp_nonce())
