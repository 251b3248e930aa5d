"""Looks: a member of staff opening a child's request or register entry is audited, but a
look is not a change: it must never fail the page, and never be lost.

- A page that reads (a GET) writes its look once it has found the record, in a write
  transaction of its own: the page's read transaction ends first (on SQLite a read
  transaction cannot always become a write one while others write), the look is written
  with BEGIN IMMEDIATE, tried twice, waiting at most AUDIT_LOOK_WAIT_MS in all, and the
  page goes on reading as before (never holding the write lock while it is drawn).
- If the database still refuses (away, or a lock held past that), the look is written to
  a file in AUDIT_SPOOL_DIR on this server (flushed to disk, then renamed into place) and
  the page is shown as usual.
- The next time a look is written on this server, the files kept there are written too,
  each look with the time it happened, and removed. A file names the database it belongs
  to, so it is only ever written there.

In a request that writes anyway (a POST), or outside a web request (a command, a test),
the look is part of that transaction.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import current_app, has_request_context

from portal.cases import audit
from portal.cases.operation import Actor, operation
from portal.data.base import utcnow
from portal.data.engine import (
    current_writer,
    database_unavailable,
    discard_transaction,
    lock_wait,
    set_write_intent,
    write_intent,
)
from portal.extensions import db

log = logging.getLogger(__name__)

_ATTEMPTS = 2
_CLAIM_EXPIRES_SECONDS = 600  # a file taken by a process that died is taken back after this
_FILES_PER_DRAIN = 20


def looked_at(actor: Actor, action: str, subject_type: str, subject_id: object, /, *,
              then: Callable[[], None] | None = None, **detail: Any) -> None:
    """Audit a look (see above). `then`, if given, is done in the same transaction (what
    looking also does, such as marking messages read); if the database is busy it is left
    for the next look. Never raises for a page that reads."""
    event = {"occurred_at": utcnow().isoformat(), "actor_type": actor.kind,
             "actor_id": actor.id, "action": action, "subject_type": subject_type,
             "subject_id": str(subject_id), "detail": detail}
    follow_ups = [then] if then else []
    if not has_request_context() or write_intent() or current_writer() is not None:
        _write([event], follow_ups)
        return
    try:
        if _try_to_write([event], follow_ups):
            _write_kept()
        else:
            _keep([event])
    except Exception:  # noqa: BLE001 - the page must not fail; the log says what happened
        discard_transaction()
        log.exception("Could not write or keep a look")
    finally:
        set_write_intent(False)  # the page reads on, as a page that reads


# Writing ----------------------------------------------------------------------------------

@operation
def _write(events: list[dict[str, Any]], follow_ups: list[Callable[[], None]]) -> None:
    audit.record_kept(events)
    for follow_up in follow_ups:
        follow_up()


def _try_to_write(events: list[dict[str, Any]], follow_ups: list[Callable[[], None]]
                  ) -> bool:
    wait = max(1, int(current_app.config["AUDIT_LOOK_WAIT_MS"]) // _ATTEMPTS)
    for _attempt in range(_ATTEMPTS):
        try:
            with lock_wait(wait):
                _write(events, follow_ups)
                db.session.commit()
            return True
        except Exception as problem:  # noqa: BLE001 - kept for later instead
            discard_transaction()
            if not database_unavailable(problem):
                log.exception("Could not write %d look(s)", len(events))
                return False
    return False


# Kept for later ---------------------------------------------------------------------------

def _folder() -> Path:
    return Path(current_app.config["AUDIT_SPOOL_DIR"])


def _database_tag() -> str:
    """Which database a kept file belongs to (a hash of its address, never the address)."""
    address = db.engine.url.render_as_string(hide_password=True)
    return hashlib.sha256(address.encode()).hexdigest()[:16]


def _keep(events: list[dict[str, Any]]) -> None:
    folder = _folder()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{_database_tag()}-{time.time_ns()}-{uuid.uuid4().hex}.json"
    partial = folder / f".{name}.partial"
    with open(partial, "w", encoding="utf-8") as file:
        json.dump(events, file, default=str)
        file.flush()
        os.fsync(file.fileno())
    os.replace(partial, folder / name)
    _sync_folder(folder)
    log.warning("The database is busy or away: %d look(s) kept in %s to write later",
                len(events), folder)


def _sync_folder(folder: Path) -> None:
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def kept_files() -> list[Path]:
    """The files of looks kept on this server for this database, oldest first."""
    folder = _folder()
    if not folder.is_dir():
        return []
    return sorted(folder.glob(f"{_database_tag()}-*.json"))


def _write_kept() -> None:
    """Write the looks kept on this server; a file is taken (renamed) by one process at a
    time and removed once its looks are committed."""
    folder = _folder()
    if not folder.is_dir():
        return
    _take_back_abandoned(folder)
    for path in kept_files()[:_FILES_PER_DRAIN]:
        taken = path.with_name(f"{path.name}.taken-{os.getpid()}-{threading.get_ident()}")
        try:
            os.rename(path, taken)
        except FileNotFoundError:  # another process took it
            continue
        os.utime(taken)  # taken now: not abandoned for another _CLAIM_EXPIRES_SECONDS
        try:
            events = json.loads(taken.read_text(encoding="utf-8"))
        except ValueError:
            os.rename(taken, path.with_name(path.name + ".unreadable"))
            log.error("A kept file of looks could not be read: %s", path.name)
            continue
        if not _try_to_write(events, []):
            os.rename(taken, path)  # still busy: next time
            return
        taken.unlink()
        log.info("Wrote %d look(s) kept earlier", len(events))


def _take_back_abandoned(folder: Path) -> None:
    cutoff = time.time() - _CLAIM_EXPIRES_SECONDS
    for taken in folder.glob(f"{_database_tag()}-*.json.taken-*"):
        try:
            if taken.stat().st_mtime < cutoff:
                os.rename(taken, taken.with_name(taken.name.split(".taken-", 1)[0]))
        except FileNotFoundError:
            continue
