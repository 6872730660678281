"""On PostgreSQL the database itself refuses to change or delete a ticket event."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION tickets_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ticket events are append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS tickets_event_append_only ON tickets_ticketevent;
CREATE TRIGGER tickets_event_append_only BEFORE UPDATE OR DELETE ON tickets_ticketevent
    FOR EACH ROW EXECUTE FUNCTION tickets_event_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS tickets_event_append_only ON tickets_ticketevent;
DROP FUNCTION IF EXISTS tickets_event_append_only();
"""


def run(schema_editor, sql: str) -> None:
    # A cursor without parameters: the function body has a literal % in it.
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(sql)


def forwards(apps, schema_editor):
    run(schema_editor, CREATE)


def backwards(apps, schema_editor):
    run(schema_editor, DROP)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0003_ticket_imported_ticket_ticket_report_idx")]
    operations = [migrations.RunPython(forwards, backwards)]
