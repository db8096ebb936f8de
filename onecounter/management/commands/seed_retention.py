from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from onecounter.retention import demo


class Command(BaseCommand):
    help = (
        "Create old closed demo dossiers of the demo ward, past their retention, and the "
        "destruction list the daily job proposes for them (run seed_demo first). Safe to run "
        "again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Run even when DJANGO_ENV=production."
        )

    def handle(self, *args, force=False, **options):
        if settings.PRODUCTION and not force:
            raise CommandError("Refusing to create demo dossiers in production (use --force).")
        count = demo.seed()
        self.stdout.write(f"Destruction list: {count} dossiers proposed for review")
