"""Email transport: an outbox row as an email, sent over SMTP or through GOV.UK Notify
(portal.common.notify), or printed in development.

The outbox keeps each email's plain text. At send time it becomes a multipart/alternative
message: that text, and an HTML version made from the same words (paragraphs, lists and
links), in the plain GOV.UK email style.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from flask import current_app
from markupsafe import Markup, escape

from portal.common.i18n import text_direction


class SendError(Exception):
    """The mail service did not take an email: trying again later may work."""


class PermanentSendError(SendError):
    """The mail service refused this email for good (say, its address is not valid):
    trying again will never work, so it can be given up at once."""


SEND_ERRORS = (OSError, smtplib.SMTPException, SendError)
# The outbox row's id, for the mail service's own records (Notify's reference). Read and
# removed by the transport: it never leaves with the email.
REFERENCE_HEADER = "X-DSR-Reference"

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
    # The sender gives each outbox row one Message-ID for all its tries (a repeat can be
    # recognised); anything else gets a new one.
    email["Message-ID"] = getattr(message, "message_id", None) or make_msgid(domain="dsr.local")
    email.set_content(message.body)
    email.add_alternative(html_body(message.body, subject=message.subject,
                                    locale=message.locale), subtype="html")
    # Last: set_content and add_alternative move or drop Content-* headers set before.
    email["Content-Language"] = message.locale
    if getattr(message, "id", None) is not None:
        email[REFERENCE_HEADER] = str(message.id)
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
    """One SMTP connection or GOV.UK Notify client for a batch (made when first needed), or
    the console. Raises one of SEND_ERRORS when an email was not taken."""

    def __init__(self) -> None:
        self.config = current_app.config
        self.smtp: smtplib.SMTP | None = None
        self.notify: Any = None

    def send(self, email: EmailMessage) -> None:
        reference = email[REFERENCE_HEADER]
        del email[REFERENCE_HEADER]
        if self.config["MAIL_BACKEND"] == "console":
            print(console_text(email), flush=True)  # development only
            return
        if self.config["MAIL_BACKEND"] == "notify":
            if self.notify is None:
                from portal.common.notify import NotifyTransport

                self.notify = NotifyTransport(self.config)
            self.notify.send(email, reference=reference)
            return
        try:
            if self.smtp is None:
                self.smtp = self._connect()
                if self.config["MAIL_USERNAME"]:
                    self.smtp.login(self.config["MAIL_USERNAME"], self.config["MAIL_PASSWORD"])
            self.smtp.send_message(email)
        except SEND_ERRORS:
            if self.smtp is not None:  # a connection in an unknown state is not reused
                self.smtp.close()
            self.smtp = None
            raise

    def _connect(self) -> smtplib.SMTP:
        """A connection to MAIL_SERVER: TLS from the start (MAIL_USE_SSL), or upgraded with
        STARTTLS (MAIL_USE_TLS), the server's certificate checked either way against the
        system's authorities or MAIL_CA_FILE's; a certificate that fails is an error."""
        server, port = self.config["MAIL_SERVER"], self.config["MAIL_PORT"]
        if not (self.config["MAIL_USE_SSL"] or self.config["MAIL_USE_TLS"]):
            return smtplib.SMTP(server, port, timeout=30)
        context = ssl.create_default_context(cafile=self.config["MAIL_CA_FILE"] or None)
        if self.config["MAIL_USE_SSL"]:
            return smtplib.SMTP_SSL(server, port, timeout=30, context=context)
        smtp = smtplib.SMTP(server, port, timeout=30)
        try:
            smtp.starttls(context=context)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def close(self) -> None:
        if self.notify is not None:
            self.notify.close()
            self.notify = None
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except SEND_ERRORS:
                pass
            self.smtp = None
