from django.core.management.base import BaseCommand

from citizens.services import administrative_units_load


class Command(BaseCommand):
    help = "Load Vietnam's administrative units (2025 and pre-2025) from the bundled CSV files."

    def add_arguments(self, parser):
        parser.add_argument(
            "--province",
            action="append",
            dest="provinces",
            help="Load only this province code (repeatable), e.g. --province 01",
        )

    def handle(self, *args, provinces=None, **options):
        summary = administrative_units_load(provinces=provinces)
        self.stdout.write(self.style.SUCCESS(f"Administrative units: {summary}"))
