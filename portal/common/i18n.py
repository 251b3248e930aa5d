"""Language: chosen by the person (remembered in their session), else their browser."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from babel.dates import format_date, format_datetime, get_timezone
from flask import Flask, current_app, g, has_app_context, request, session
from flask_babel import get_translations
from flask_babel.speaklater import LazyString

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


def current_translations() -> Any:
    """The translations for this request, found once (Flask-Babel finds them per string).

    Cached against the locale object, so a `force_locale` block (emails in the family's
    language) gets its own translations and the page's come back after it.
    """
    if not has_app_context():
        return get_translations()
    # One look through the context proxy, then plain attribute reads.
    here = g._get_current_object().__dict__  # type: ignore[attr-defined]
    locale = getattr(here.get("_flask_babel"), "babel_locale", None)
    cached = here.get("_dsr_translations")
    if cached is not None and locale is not None and cached[0] is locale:
        return cached[1]
    translations = get_translations()
    here["_dsr_translations"] = (getattr(here.get("_flask_babel"), "babel_locale", None),
                                 translations)
    return translations


def gettext(string: str, **variables: Any) -> str:
    text = str(current_translations().ugettext(string))
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    text = str(current_translations().ungettext(singular, plural, num))
    return text % variables if variables else text


def lazy_gettext(string: str, **variables: Any) -> LazyString:
    """Translated when shown, in the language of the request showing it."""
    return LazyString(gettext, string, **variables)


def install_template_gettext(app: Flask) -> None:
    """Templates use the per-request translations too.

    Old-style callables skip Jinja's per-call context wrapper; Jinja still marks a
    {% trans %} block safe and escapes every variable put into it, and the output of
    _("…", name=value) is plain text, escaped as a whole.
    """
    app.jinja_env.install_gettext_callables(gettext, ngettext, newstyle=False)  # type: ignore[attr-defined]


def format_time(value: datetime) -> str:
    """'23 November 2026, 14:05' in UK time (the service's TIMEZONE setting), as a person
    in England reads a time. Records are kept in UTC; only what is shown changes."""
    from flask_babel import get_locale

    zone = get_timezone(str(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or
                            "Europe/London"))
    return format_datetime(value.astimezone(UTC), "d MMMM yyyy, HH:mm", tzinfo=zone,
                           locale=str(get_locale() or "en"))


def format_day(value: date) -> str:
    from flask_babel import get_locale

    return format_date(value, "d MMMM yyyy", locale=str(get_locale() or "en"))
