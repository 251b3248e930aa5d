"""gunicorn's logger for this service (deploy/gunicorn.conf.py sets `logger_class`).

The access log never shows a token: emailed links carry theirs in the path or the query,
so the request line, path, query and referrer are written redacted. Every value is
escaped for a JSON string, so `access_log_format` can be a JSON object; the time is ISO
8601 in UTC. With LOG_FORMAT=json (the default outside development) gunicorn's own lines
(starting, workers, errors) are JSON too, like the app's.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from gunicorn.glogging import Logger, SafeAtoms

from portal.common.logs import (
    REDACTED,
    JsonFormatter,
    redact_path,
    redact_query,
    redact_target,
)

# Headers and environment values that can hold a token or a session: never written.
_HIDDEN = ("{cookie}i", "{authorization}i", "{http_cookie}e", "{http_authorization}e")
_ADDRESSES = ("{raw_uri}e", "{request_uri}e")


def _redact_url(value: str) -> str:
    if not value or value == "-":
        return value
    parts = urlsplit(value)
    return urlunsplit((parts.scheme, parts.netloc, redact_path(parts.path),
                       redact_query(parts.query), ""))


class JsonSafeAtoms(SafeAtoms):
    """Atoms escaped for the inside of a JSON string."""

    def __init__(self, atoms: dict[str, Any]) -> None:
        dict.__init__(self)
        for key, value in atoms.items():
            self[key] = json.dumps(value)[1:-1] if isinstance(value, str) else value


class RedactingLogger(Logger):
    atoms_wrapper_class = JsonSafeAtoms

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        development = os.environ.get("PORTAL_ENV", "production").strip().lower() in {
            "development", "test"}
        log_format = os.environ.get("LOG_FORMAT", "").strip().lower() or (
            "text" if development else "json")
        if log_format == "json":
            for handler in self.error_log.handlers:
                handler.setFormatter(JsonFormatter())

    def now(self) -> str:
        return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any],
              request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        target = environ.get("RAW_URI") or environ.get("PATH_INFO", "")
        atoms["r"] = (f"{environ.get('REQUEST_METHOD')} {redact_target(target)} "
                      f"{environ.get('SERVER_PROTOCOL')}")
        atoms["U"] = redact_path(environ.get("PATH_INFO") or "")
        atoms["q"] = redact_query(environ.get("QUERY_STRING") or "")
        atoms["f"] = _redact_url(environ.get("HTTP_REFERER", "-"))
        atoms["{referer}i"] = atoms["f"]
        atoms["{path_info}e"] = atoms["U"]
        atoms["{query_string}e"] = atoms["q"]
        atoms["{http_referer}e"] = atoms["f"]
        for name in _ADDRESSES:
            if name in atoms:
                atoms[name] = redact_target(str(atoms[name]))
        for name in _HIDDEN:
            if name in atoms:
                atoms[name] = REDACTED
        return atoms
