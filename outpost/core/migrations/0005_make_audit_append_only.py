"""Make the database itself refuse UPDATE and DELETE on audit entries.

The statements are a frozen copy of ``outpost.core.audit_guard`` (a
migration must not import app code); keep the two in step.
"""

from django.db import migrations

MESSAGE = "audit entries are append-only"

SQLITE_INSTALL = [
    "CREATE TRIGGER IF NOT EXISTS core_auditevent_no_update BEFORE UPDATE ON core_auditevent "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
    "CREATE TRIGGER IF NOT EXISTS core_auditevent_no_delete BEFORE DELETE ON core_auditevent "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS core_auditevent_no_update;",
    "DROP TRIGGER IF EXISTS core_auditevent_no_delete;",
]
PG_INSTALL = [
    "CREATE OR REPLACE FUNCTION core_auditevent_append_only() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ "
    f"BEGIN RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'restrict_violation'; END; $$;",
    "DROP TRIGGER IF EXISTS core_auditevent_append_only ON core_auditevent;",
    "CREATE TRIGGER core_auditevent_append_only BEFORE UPDATE OR DELETE ON core_auditevent "
    "FOR EACH ROW EXECUTE FUNCTION core_auditevent_append_only();",
]
PG_REMOVE = [
    "DROP TRIGGER IF EXISTS core_auditevent_append_only ON core_auditevent;",
    "DROP FUNCTION IF EXISTS core_auditevent_append_only();",
]
STATEMENTS = {
    "sqlite": (SQLITE_INSTALL, SQLITE_REMOVE),
    "postgresql": (PG_INSTALL, PG_REMOVE),
}


def _run(schema_editor, install):
    vendor = schema_editor.connection.vendor
    if vendor not in STATEMENTS:
        raise RuntimeError(f"No append-only audit guard for {vendor}")
    for statement in STATEMENTS[vendor][0 if install else 1]:
        schema_editor.execute(statement, params=None)


def install(apps, schema_editor):
    _run(schema_editor, install=True)


def remove(apps, schema_editor):
    _run(schema_editor, install=False)


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0004_make_audit_seq_unique"),
    ]

    operations = [
        migrations.RunPython(install, remove),
    ]
