"""Indexes that no query uses, dropped: they only cost writes (a bulk import
rebuilds every index of the population tables) and disk.

* ``permanent_unit_id`` alone: ``person_unit_name`` (permanent_unit_id,
  search_name) starts with it;
* ``household_id`` alone on memberships: ``membership_household``
  (household_id, end_date) starts with it;
* on PostgreSQL, the ``varchar_pattern_ops`` copies Django adds beside a unique
  text column (``..._like``: for ``LIKE 'abc%'``) on the ID number, the
  household number and the issued-number register: these are only ever
  looked up by equality, which the unique index serves.
"""

import django.db.models.deletion
from django.db import migrations, models

LIKE_INDEXES = [
    ("citizens_person", "id_number"),
    ("citizens_household", "number"),
    ("citizens_issuedidnumber", "number"),
]


def _like_names(schema_editor):
    return [
        (table, column, schema_editor._create_index_name(table, [column], suffix="_like"))
        for table, column in LIKE_INDEXES
    ]


def drop_like_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _table, _column, name in _like_names(schema_editor):
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def create_like_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column, name in _like_names(schema_editor):
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}" varchar_pattern_ops)'
        )


class Migration(migrations.Migration):
    dependencies = [
        ("citizens", "0005_exactly_once"),
    ]

    operations = [
        migrations.AlterField(
            model_name="householdmembership",
            name="household",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="memberships",
                to="citizens.household",
            ),
        ),
        migrations.AlterField(
            model_name="person",
            name="permanent_unit",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="permanent_residents",
                to="citizens.administrativeunit",
                verbose_name="permanent residence unit",
            ),
        ),
        migrations.RunPython(drop_like_indexes, create_like_indexes),
    ]
