"""Every word a person reads goes through translation: no bare text in templates."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Doctype

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
READ_ATTRIBUTES = ("aria-label", "alt", "title", "placeholder")

_TRANS_BLOCK = re.compile(r"{%-?\s*trans\b.*?{%-?\s*endtrans\s*-?%}", re.S)
_ATTRIBUTE_PART = re.compile(r'^[\w-]+="[^"]*"$')  # built by a macro, not read as text
_JINJA = re.compile(r"{{.*?}}|{%.*?%}|{#.*?#}", re.S)


def _untranslated(source: str) -> list[str]:
    stripped = _JINJA.sub(" ", _TRANS_BLOCK.sub(" ", source))
    soup = BeautifulSoup(stripped, "html.parser")
    for tag in soup(["script", "style", "svg"]):
        tag.decompose()
    found = [text.strip() for text in soup.find_all(string=True)
             if not isinstance(text, Doctype) and re.search(r"[A-Za-z]{2,}", text)
             and not _ATTRIBUTE_PART.match(text.strip())]
    for tag in soup.find_all(True):
        for name in READ_ATTRIBUTES:
            value = tag.get(name)
            if value and re.search(r"[A-Za-z]{2,}", value):
                found.append(f'{name}="{value}"')
    return found


@pytest.mark.parametrize("path", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(
    p.relative_to(TEMPLATES)))
def test_template_has_no_bare_text(path):
    assert _untranslated(path.read_text()) == []


@pytest.mark.parametrize("path", sorted(TEMPLATES.rglob("*.txt")), ids=lambda p: str(
    p.relative_to(TEMPLATES)))
def test_email_template_has_no_bare_text(path):
    stripped = _JINJA.sub(" ", _TRANS_BLOCK.sub(" ", path.read_text()))
    assert not re.search(r"[A-Za-z]{2,}", stripped), stripped


def test_the_check_finds_bare_text():
    assert _untranslated('<p class="govuk-body">Hello there</p>') == ["Hello there"]
    assert _untranslated('<a aria-label="Close">{{ _("x") }}</a>') == ['aria-label="Close"']
    assert _untranslated('<p>{% trans %}Hello{% endtrans %} {{ name }}</p>') == []
