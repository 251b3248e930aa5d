"""Email transport: an outbox row as an email, sent over SMTP or printed in development.

The outbox keeps each email's plain text. At send time it becomes a multipart/alternative
message: that text, and an HTML version made from the same words (paragraphs, lists and
links), in the plain GOV.UK email style.
"""

from __future__ import annotations

import re
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from flask import current_app
from markupsafe import Markup, escape

from portal.common.i18n import text_direction

SEND_ERRORS = (OSError, smtplib.SMTPException)

_URL = re.compile(r"https?://[^\s<>\"']+")
_URL_TAIL = ".,;:!?)"  # punctuation after a link in a sentence is not part of it
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_BULLET = "- "


@dataclass(frozen=True)
class Block:
    """A paragraph ("p", its lines) or a bulleted list ("list", its items) of an email."""

    kind: str
    lines: tuple[Markup, ...]


def linkify(line: str, link_attributes: dict[str, str] | None = None) -> Markup:
    """One line of text, escaped, with each web address made a link to itself."""
    attributes = Markup("").join(Markup(' {}="{}"').format(name, value)
                                 for name, value in (link_attributes or {}).items())
    parts: list[Markup] = []
    last = 0
    for found in _URL.finditer(line):
        url = found.group(0).rstrip(_URL_TAIL)
        parts.append(escape(line[last:found.start()]))
        parts.append(Markup('<a href="{0}"{1}>{0}</a>').format(url, attributes))
        last = found.start() + len(url)
    parts.append(escape(line[last:]))
    return Markup("").join(parts)


def blocks(text: str, link_attributes: dict[str, str] | None = None) -> list[Block]:
    """An email's plain text as paragraphs and lists: paragraphs are separated by a blank
    line, lines starting "- " are list items, and the other lines of a paragraph keep
    their line breaks."""
    found: list[Block] = []
    for paragraph in _PARAGRAPH_BREAK.split(text.replace("\r\n", "\n").strip("\n")):
        kind, lines = "", []
        for raw in paragraph.split("\n"):
            line = raw.strip()
            if not line:
                continue
            line_kind = "list" if line.startswith(_BULLET) else "p"
            if line_kind == "list":
                line = line[len(_BULLET):].strip()
            if lines and line_kind != kind:
                found.append(Block(kind, tuple(lines)))
                lines = []
            kind = line_kind
            lines.append(linkify(line, link_attributes))
        if lines:
            found.append(Block(kind, tuple(lines)))
    return found


def html_body(text: str, *, subject: str, locale: str) -> str:
    """The HTML version of an email: the same words as `text`."""
    template = current_app.jinja_env.get_template("email/message.html")
    return template.render(
        subject=subject, locale=locale, direction=text_direction(locale),
        blocks=blocks(text, {"style": "color:#1d70b8;text-decoration:underline"}))


def build(message: Any) -> EmailMessage:
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_FROM"]
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid(domain="dsr.local")
    email.set_content(message.body)
    email.add_alternative(html_body(message.body, subject=message.subject,
                                    locale=message.locale), subtype="html")
    # Last: set_content and add_alternative move or drop Content-* headers set before.
    email["Content-Language"] = message.locale
    return email


def plain_text(email: EmailMessage) -> str:
    """The plain-text part of an email, decoded (no quoted-printable line splits)."""
    part = email.get_body(preferencelist=("plain",))
    return str(part.get_content()) if part is not None else ""


def console_text(email: EmailMessage) -> str:
    """How an email is printed in development: who to, the subject and the plain text."""
    return (f"To: {email['To']}\nSubject: {email['Subject']}\n"
            f"Content-Language: {email['Content-Language']}\n\n"
            f"{plain_text(email).rstrip()}\n" + "-" * 72)


class Transport:
    """One SMTP connection for a batch (opened when first needed), or the console."""

    def __init__(self) -> None:
        self.config = current_app.config
        self.smtp: smtplib.SMTP | None = None

    def send(self, email: EmailMessage) -> None:
        if self.config["MAIL_BACKEND"] == "console":
            print(console_text(email), flush=True)  # development only
            return
        try:
            if self.smtp is None:
                self.smtp = smtplib.SMTP(self.config["MAIL_SERVER"], self.config["MAIL_PORT"],
                                         timeout=30)
                if self.config["MAIL_USE_TLS"]:
                    self.smtp.starttls()
                if self.config["MAIL_USERNAME"]:
                    self.smtp.login(self.config["MAIL_USERNAME"], self.config["MAIL_PASSWORD"])
            self.smtp.send_message(email)
        except SEND_ERRORS:
            self.smtp = None
            raise

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except SEND_ERRORS:
                pass
            self.smtp = None
