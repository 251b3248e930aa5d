"""staff two-factor secrets encrypted at rest

Each staff_users.totp_secret is encrypted with the first of TOTP_ENCRYPTION_KEYS (Fernet);
the column grows to hold the longer text. Going down decrypts them again.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from cryptography.fernet import Fernet, MultiFernet
from flask import current_app, has_app_context

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

STAFF = sa.table("staff_users", sa.column("id", sa.Integer),
                 sa.column("totp_secret", sa.String))
# A Fernet token always starts with its version byte, 0x80, then eight zero-led bytes of
# time: "gAAAAA". A base32 secret never has a lower-case letter.
ENCRYPTED_PREFIX = "gAAAAA"


def _fernet() -> MultiFernet:
    if has_app_context():
        keys = current_app.config["TOTP_ENCRYPTION_KEYS"]
    else:
        from portal.config import load

        keys = load()["TOTP_ENCRYPTION_KEYS"]
    return MultiFernet([Fernet(key) for key in keys])


def _rewrite(change, *, encrypted: bool) -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(STAFF.c.id, STAFF.c.totp_secret)
                        .where(STAFF.c.totp_secret.is_not(None))).all()
    for ident, secret in rows:
        if secret.startswith(ENCRYPTED_PREFIX) == encrypted:
            bind.execute(STAFF.update().where(STAFF.c.id == ident)
                         .values(totp_secret=change(secret)))


def upgrade() -> None:
    with op.batch_alter_table('staff_users') as batch:
        batch.alter_column('totp_secret', existing_type=sa.String(length=64),
                           type_=sa.String(length=255), existing_nullable=True)
    fernet = _fernet()
    _rewrite(lambda secret: fernet.encrypt(secret.encode()).decode(), encrypted=False)


def downgrade() -> None:
    fernet = _fernet()
    _rewrite(lambda secret: fernet.decrypt(secret.encode()).decode(), encrypted=True)
    with op.batch_alter_table('staff_users') as batch:
        batch.alter_column('totp_secret', existing_type=sa.String(length=255),
                           type_=sa.String(length=64), existing_nullable=True)
