"""Sending the outbox: over SMTP, or printed to the console in development."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app

from portal.data.base import utcnow
from portal.data.outbox import OutboxMessage, pending_messages
from portal.extensions import db


def _email(message: OutboxMessage) -> EmailMessage:
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_FROM"]
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid(domain="dsr.local")
    email["Content-Language"] = message.locale
    email.set_content(message.body)
    return email


def send_pending(limit: int = 100) -> tuple[int, int]:
    """Send what is waiting. Returns (sent, failed). Each message is committed on its own."""
    config = current_app.config
    sent = failed = 0
    batch = pending_messages(limit)
    if not batch:
        return 0, 0
    smtp: smtplib.SMTP | None = None
    try:
        for message in batch:
            email = _email(message)
            try:
                if config["MAIL_BACKEND"] == "console":
                    print(email.as_string(), flush=True)  # development only
                else:
                    if smtp is None:
                        smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30)
                        if config["MAIL_USE_TLS"]:
                            smtp.starttls()
                        if config["MAIL_USERNAME"]:
                            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
                    smtp.send_message(email)
                message.sent_at = utcnow()
                message.attempts += 1
                sent += 1
            except (OSError, smtplib.SMTPException) as exc:
                message.attempts += 1
                message.last_error = type(exc).__name__
                if message.attempts >= config["MAIL_MAX_ATTEMPTS"]:
                    message.given_up_at = utcnow()
                failed += 1
                smtp = None
            db.session.commit()
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
    return sent, failed
