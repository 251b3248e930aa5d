"""Email transport: an outbox row as an email, sent over SMTP or printed in development."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from flask import current_app

SEND_ERRORS = (OSError, smtplib.SMTPException)


def build(message: Any) -> EmailMessage:
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_FROM"]
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid(domain="dsr.local")
    email["Content-Language"] = message.locale
    email.set_content(message.body)
    return email


class Transport:
    """One SMTP connection for a batch (opened when first needed), or the console."""

    def __init__(self) -> None:
        self.config = current_app.config
        self.smtp: smtplib.SMTP | None = None

    def send(self, email: EmailMessage) -> None:
        if self.config["MAIL_BACKEND"] == "console":
            print(email.as_string(), flush=True)  # development only
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
