"""retention: consent records may be deleted with their record once it is archived

The consent tables stay append-only (no UPDATE ever, no TRUNCATE); a DELETE is refused
unless the request the row belongs to has been archived, so only the retention schedule's
deletion of a whole archived record can remove them.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 12:00:00
"""

from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# table -> an SQL condition, true when the row (OLD) belongs to an archived request.
ARCHIVED = {
    "consents": ("EXISTS (SELECT 1 FROM support_requests r WHERE r.id = OLD.request_id "
                 "AND r.archived_at IS NOT NULL)"),
    "consent_staff_findings": ("EXISTS (SELECT 1 FROM support_requests r "
                               "WHERE r.id = OLD.request_id AND r.archived_at IS NOT NULL)"),
    "consent_withdrawals": ("EXISTS (SELECT 1 FROM consents c JOIN support_requests r "
                            "ON r.id = c.request_id WHERE c.id = OLD.consent_id "
                            "AND r.archived_at IS NOT NULL)"),
}


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    for table, archived in ARCHIVED.items():
        message = f"{table} is append-only"
        if _postgresql():
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}")
            op.execute(f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                       f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()")
            op.execute(
                f"CREATE OR REPLACE FUNCTION {table}_delete_when_archived() RETURNS trigger "
                f"AS $$ BEGIN IF {archived} THEN RETURN OLD; END IF; "
                f"RAISE EXCEPTION '{message}'; END; $$ LANGUAGE plpgsql")
            op.execute(f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                       f"FOR EACH ROW EXECUTE FUNCTION {table}_delete_when_archived()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
            op.execute(f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                       f"WHEN NOT {archived} "
                       f"BEGIN SELECT RAISE(ABORT, '{message}'); END")


def downgrade() -> None:
    for table in ARCHIVED:
        message = f"{table} is append-only"
        if _postgresql():
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {table}_delete_when_archived()")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update ON {table}")
            op.execute(f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
                       f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
            op.execute(f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{message}'); END")
