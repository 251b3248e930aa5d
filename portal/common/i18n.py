"""Language: chosen by the person (remembered in their session), else their browser."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g, request, session
from flask_babel import get_translations

LANGUAGE_NAMES = {"en": "English", "cy": "Cymraeg"}
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur"})


def select_locale() -> str:
    languages: list[str] = current_app.config["LANGUAGES"]
    chosen = session.get("lang")
    if chosen in languages:
        return str(chosen)
    return request.accept_languages.best_match(languages) or languages[0]


def text_direction(locale: str) -> str:
    return "rtl" if locale.split("_")[0] in RTL_LANGUAGES else "ltr"


def install_template_gettext(app: Flask) -> None:
    """Look the translations up once per request, not once per string.

    Flask-Babel's template callables find the locale and the translations again for
    every string, and a page has dozens of them: that was 40% of a content page's time.
    Old-style callables skip Jinja's per-call context wrapper; Jinja still marks a
    {% trans %} block safe and escapes every variable put into it, and the output of
    _("…", name=value) is plain text, escaped as a whole.
    """

    def _translations() -> Any:
        found = g.get("_translations")
        if found is None:
            found = g._translations = get_translations()
        return found

    def gettext(string: str, **variables: Any) -> str:
        text = str(_translations().ugettext(string))
        return text % variables if variables else text

    def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
        text = str(_translations().ungettext(singular, plural, num))
        return text % variables if variables else text

    app.jinja_env.install_gettext_callables(gettext, ngettext, newstyle=False)  # type: ignore[attr-defined]
