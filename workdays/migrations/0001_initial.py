# The calendar moved from the one-stop app: the table stays where it is
# (onecounter_calendarday); only Django's state moves.

from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("onecounter", "0008_duplicate_key"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="CalendarDay",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("date", models.DateField(unique=True, verbose_name="date")),
                        ("kind", models.CharField(choices=[("holiday", "public holiday or day off"), ("working", "make-up working day")], max_length=10, verbose_name="kind")),
                        ("name", models.CharField(max_length=120, verbose_name="name")),
                        ("name_en", models.CharField(blank=True, max_length=120, verbose_name="name in English")),
                    ],
                    options={
                        "verbose_name": "calendar day",
                        "verbose_name_plural": "calendar days",
                        "ordering": ["date"],
                        "db_table": "onecounter_calendarday",
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
