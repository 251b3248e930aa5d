"""Every email in the outbox, newest first, sent or not, as its reader would see it.

`flask send-outbox` marks each message sent, so the console shows it only once: this page
shows them all again, with whole links that work."""

from __future__ import annotations

from flask import render_template

from portal.common.access import public
from portal.common.mail import blocks
from portal.data.outbox import recent_messages
from portal.devtools import bp

SHOWN = 100


@bp.get("/emails")
@public  # development only: the blueprint answers 404 anywhere else
def emails() -> str:
    messages = recent_messages(SHOWN)
    return render_template(
        "dev/emails.html", shown=SHOWN,
        messages=[(message, blocks(message.body, {"class": "govuk-link"}))
                  for message in messages])
