"""Run Alembic migrations from inside the app (no alembic.ini needed)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from portal.data.engine import writes_allowed
from portal.extensions import db

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", db.engine.url.render_as_string(hide_password=False)
                        .replace("%", "%%"))
    return cfg


def upgrade(revision: str = "head") -> None:
    cfg = alembic_config()
    # A connection, not a transaction: portal/migrations/env.py opens the transaction
    # itself (on SQLite, after turning foreign keys off, which a transaction cannot).
    with writes_allowed("schema migration"), db.engine.connect() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def downgrade(revision: str) -> None:
    cfg = alembic_config()
    # A connection, not a transaction: portal/migrations/env.py opens the transaction
    # itself (on SQLite, after turning foreign keys off, which a transaction cannot).
    with writes_allowed("schema migration"), db.engine.connect() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, revision)
