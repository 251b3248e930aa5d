"""Sending email through GOV.UK Notify (MAIL_BACKEND=notify).

Notify sends an email from a template kept in Notify. The service uses one email
template, set up once in Notify, whose subject is ((subject)) and whose message is
((body)); NOTIFY_TEMPLATE_ID is its ID. Each email fills them with its own subject and
plain text, already in the family's language. Notify sends from the service's own
address and makes its own HTML version, so MAIL_FROM and our HTML part are not used.
Replies go to the reply-to address whose ID is NOTIFY_REPLY_TO_ID (Notify's default
reply-to address when it is not set).

What Notify answers decides what happens next:
- accepted (201): sent;
- the email itself refused (400: say, the address is not valid): PermanentSendError,
  trying again will never work;
- the service's own setup refused (403: the API key; a 400 about the template, its
  placeholders, trial mode or a team-only key): SendError, logged as an error to fix; the
  email waits and is tried again, so nothing is lost while someone puts it right;
- too many requests (429), Notify's own faults (5xx), no answer in time: SendError, tried
  again later.

Nothing here logs an email's address or its words: only the outbox row's id (sent to
Notify as the `reference`), Notify's id for the email, and what Notify said was wrong.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

from notifications_python_client.errors import APIError, InvalidResponse
from notifications_python_client.notifications import NotificationsAPIClient

from portal.common.mail import PermanentSendError, SendError, plain_text
from portal.config import NOTIFY_API_KEY_FORM, UUID_FORM

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 30
# Words in a 400 answer that point at the service's setup in Notify, not at the email.
_SETUP_PROBLEMS = ("template", "personalisation", "trial mode", "team-only", "team only",
                   "api key", "reply_to", "reply-to", "service")


class NotifyRefused(PermanentSendError):
    """Notify refused this email and always will (its address, most often)."""


class NotifySetupError(SendError):
    """Notify refused the service's setup (API key, template, trial mode): fix the
    settings or the service in Notify; the email is tried again."""


class NotifyUnavailable(SendError):
    """Notify was busy, failing or out of reach: the email is tried again later."""


def _what_notify_said(error: APIError, email: EmailMessage) -> str:
    """Notify's own error words, without the address should Notify quote it."""
    try:
        errors = error.response.json().get("errors") or []  # type: ignore[union-attr]
        said = "; ".join(f"{item.get('error', '')}: {item.get('message', '')}"
                         for item in errors if isinstance(item, Mapping))
    except (AttributeError, TypeError, ValueError):
        said = ""
    said = said or ("no answer" if error.response is None else "no explanation")
    address = str(email["To"] or "")
    return said.replace(address, "[address]") if address else said


def _failure(error: APIError, email: EmailMessage) -> SendError:
    status = error.status_code
    said = _what_notify_said(error, email)
    text = f"GOV.UK Notify answered {status}: {said}"
    if status in (401, 403, 404) or (
            status == 400 and any(word in said.lower() for word in _SETUP_PROBLEMS)):
        return NotifySetupError(text)
    if 400 <= status < 500 and status not in (408, 429):
        return NotifyRefused(text)
    return NotifyUnavailable(text)


class NotifyTransport:
    """One Notify API client for a batch of emails (not shared between threads)."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        key = str(config.get("NOTIFY_API_KEY") or "")
        template_id = str(config.get("NOTIFY_TEMPLATE_ID") or "")
        for name, right in (("NOTIFY_API_KEY", NOTIFY_API_KEY_FORM.fullmatch(key)),
                            ("NOTIFY_TEMPLATE_ID", UUID_FORM.fullmatch(template_id))):
            if not right:
                log.error("No email sent: %s is not set, or is not what Notify gave", name)
                raise NotifySetupError(f"{name} is not set, or is not what Notify gave")
        self.template_id = template_id
        self.reply_to_id = str(config.get("NOTIFY_REPLY_TO_ID") or "") or None
        self.client = NotificationsAPIClient(key, base_url=config["NOTIFY_BASE_URL"],
                                             timeout=TIMEOUT_SECONDS)

    def send(self, email: EmailMessage, *, reference: str | None = None) -> None:
        try:
            answer = self.client.send_email_notification(
                email_address=str(email["To"]),
                template_id=self.template_id,
                personalisation={"subject": str(email["Subject"]),
                                 "body": plain_text(email).rstrip("\n")},
                reference=reference,
                email_reply_to_id=self.reply_to_id,
            )
        except InvalidResponse:
            # A 2xx answer that is not JSON: Notify took the email. Sending it again
            # would send it twice.
            log.warning("GOV.UK Notify took email %s but its answer could not be read",
                        reference)
            return
        except APIError as error:
            failure = _failure(error, email)
            if isinstance(failure, NotifySetupError):  # the sender logs the others
                log.error("Email %s not sent: %s. Check NOTIFY_API_KEY, NOTIFY_TEMPLATE_ID "
                          "and the service in Notify", reference, failure)
            raise failure from None
        log.info("Email %s taken by GOV.UK Notify as %s", reference,
                 answer.get("id") if isinstance(answer, dict) else None)

    def close(self) -> None:
        self.client.request_session.close()
