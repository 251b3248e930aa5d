"""A member of staff searched for a child: on the record, like opening a record is.

What the audit keeps, to answer "who looked for whom" without the log becoming a second
copy of the children's details:
- who searched, when, the kind of search (name, reference, NHS number, date of birth) and
  how many records it found;
- which records they were shown (request and register entry numbers, the best 50): the
  children they could then open, found in the audit log like any other look;
- for a reference, the reference as typed (it names no one without the register);
- for a name, an NHS number or a date of birth, never the words typed but a keyed
  fingerprint of them (HMAC-SHA256 with SECRET_KEY, of the normalised text:
  `query_fingerprint`): someone investigating can check whether a given name or number was
  searched for, even one that found nothing, yet the log never holds a name in clear and
  the fingerprint cannot be matched without the service's key.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app

from portal.cases import looks
from portal.cases.operation import Actor
from portal.data.search import Results
from portal.domain.names import Query


def query_fingerprint(query: Query) -> str:
    """The keyed fingerprint of a search: the same for the same words whatever the spaces,
    case, punctuation or order of a name's words, a number's spacing or a date's form."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    value = " ".join(sorted(query.value.split())) if query.kind == "name" else query.value
    text = f"{query.kind}:{value}".encode()
    return hmac.new(key, text, hashlib.sha256).hexdigest()[:32]


def searched(actor: Actor, query: Query, results: Results) -> None:
    """Audit one search (a look: it never fails the page)."""
    detail: dict[str, object] = {
        "kind": query.kind, "count": results.total,
        "requests": [found.request_id for found in results.found],
        "entries": [found.entry_id for found in results.found if found.entry_id],
    }
    if query.kind == "reference":
        detail["reference"] = query.value[:20]
    elif query.kind != "empty":
        detail["fingerprint"] = query_fingerprint(query)
    looks.looked_at(actor, "staff.searched", "search", query.kind, **detail)
