# The working-day calendar is the ``workdays`` app's now (the table is kept).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("onecounter", "0008_duplicate_key"),
        ("workdays", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="CalendarDay")],
            database_operations=[],
        ),
    ]
