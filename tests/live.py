"""A real server for browser, concurrency and benchmark runs: gunicorn in a subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def migrate(database_url: str) -> None:
    """Bring a database up to date with the same command an operator would run."""
    env = {**os.environ, "PORTAL_ENV": "test", "DATABASE_URL": database_url}
    subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "portal",
                    "upgrade-db"], cwd=ROOT, env=env, check=True, capture_output=True)


@contextmanager
def gunicorn(database_url: str, *, workers: int | None = None,
             app: str = "portal:create_app()", threads: int | None = None,
             extra_env: dict[str, str] | None = None,
             config: str | None = None, output: Any = None) -> Iterator[str]:
    """Serve the app on a free port; yields its base URL. Stops the server afterwards.

    `config`: a gunicorn configuration file (deploy/gunicorn.conf.py), read first; the
    options here override it (workers and threads only when given: without a config
    file, 2 workers of 1 thread). `output`: a file for the server's stdout and stderr."""
    if config is None:
        workers = 2 if workers is None else workers
        threads = 1 if threads is None else threads
    sizes = [*(["--workers", str(workers)] if workers is not None else []),
             *(["--threads", str(threads)] if threads is not None else [])]
    port = free_port()
    env = {
        **os.environ,
        "PORTAL_ENV": "test",
        "DATABASE_URL": database_url,
        "SECRET_KEY": "live-server-secret-key-" + "x" * 32,
        "MAIL_PORT": "1",
        **(extra_env or {}),
    }
    command = [
        str(GUNICORN), *(["--config", config] if config else []),
        "--bind", f"127.0.0.1:{port}", *sizes,
        "--no-control-socket", "--log-level", "warning",
        "--timeout", "60", app,
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(base + "/request", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start within 30 seconds")
