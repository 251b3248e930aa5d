"""gunicorn settings for production: `gunicorn -c deploy/gunicorn.conf.py 'portal:create_app()'`.

Every value can be changed from the environment (GUNICORN_* below) without editing this file.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Processes, each with threads: a request waiting on the database (a SQLite write lock,
# up to SQLITE_BUSY_TIMEOUT_MS; a PostgreSQL lock, up to DATABASE_LOCK_TIMEOUT_MS) holds
# one thread, not a whole process, so the other pages keep answering; the crisis and
# contact pages never use the database at all. Sizing: a thread holds at most one
# database connection, and each process keeps up to 15 (SQLAlchemy's pool: 5, and 10
# more when busy), so keep GUNICORN_THREADS at 15 or fewer; on PostgreSQL keep
# GUNICORN_WORKERS x GUNICORN_THREADS, over every server, below the server's
# max_connections. Argon2 password checks (about 0.1 s of CPU each) run in these
# threads too: more workers, not more threads, for more CPU.
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# gunicorn 27 opens a control socket in the home folder; the service needs none.
control_socket_disable = True

# Logs. The app writes one line per request itself (LOG_FORMAT, with its X-Request-ID);
# gunicorn's access log is off unless GUNICORN_ACCESS_LOG names a file ("-": stdout).
# Its lines are JSON with the same request id, and tokens in emailed links' addresses are
# never written (portal/health/gunicorn_logging.py).
logger_class = "portal.health.gunicorn_logging.RedactingLogger"
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
access_log_format = (
    '{"time": "%(t)s", "level": "INFO", "logger": "gunicorn.access", '
    '"request_id": "%({x-request-id}o)s", "method": "%(m)s", "path": "%(U)s", '
    '"query": "%(q)s", "status": %(s)s, "bytes": "%(b)s", "duration_ms": %(M)s}'
)
