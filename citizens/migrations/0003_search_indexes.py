"""Indexes and guards that depend on the database vendor.

PostgreSQL: pg_trgm for diacritic-insensitive name search (on the folded
``search_name``), pattern-ops indexes for prefix search by date of birth or
unit, and a trigger that makes the access log append-only.
SQLite (the demo default): plain indexes.
"""

from django.db import migrations

PG_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS person_name_trgm ON citizens_person "
    "USING gin (search_name gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS person_dob_name ON citizens_person "
    "(birth_date, search_name text_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS person_unit_name ON citizens_person "
    "(permanent_unit_id, search_name text_pattern_ops)",
    """
    CREATE OR REPLACE FUNCTION citizens_accesslog_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'citizens_accesslog is append-only';
    END;
    $$ LANGUAGE plpgsql
    """,
    "DROP TRIGGER IF EXISTS accesslog_append_only ON citizens_accesslog",
    "CREATE TRIGGER accesslog_append_only BEFORE UPDATE OR DELETE ON citizens_accesslog "
    "FOR EACH ROW EXECUTE FUNCTION citizens_accesslog_append_only()",
]
PG_BACKWARD = [
    "DROP TRIGGER IF EXISTS accesslog_append_only ON citizens_accesslog",
    "DROP FUNCTION IF EXISTS citizens_accesslog_append_only()",
    "DROP INDEX IF EXISTS person_unit_name",
    "DROP INDEX IF EXISTS person_dob_name",
    "DROP INDEX IF EXISTS person_name_trgm",
]
OTHER_FORWARD = [
    "CREATE INDEX IF NOT EXISTS person_dob_name ON citizens_person (birth_date, search_name)",
    "CREATE INDEX IF NOT EXISTS person_unit_name ON citizens_person (permanent_unit_id, search_name)",
]
OTHER_BACKWARD = [
    "DROP INDEX IF EXISTS person_unit_name",
    "DROP INDEX IF EXISTS person_dob_name",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        conn = schema_editor.connection
        statements = statements_by_vendor[conn.vendor == "postgresql"]
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("citizens", "0002_population")]

    operations = [
        migrations.RunPython(
            _run({True: PG_FORWARD, False: OTHER_FORWARD}),
            _run({True: PG_BACKWARD, False: OTHER_BACKWARD}),
        )
    ]
