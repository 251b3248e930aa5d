"""Language: chosen by the person (remembered in their session), else their browser."""

from __future__ import annotations

from flask import current_app, request, session

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
