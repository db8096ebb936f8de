from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from operations import demo


class Command(BaseCommand):
    help = (
        "Put a few demo rows in the states real failures leave (a step out of disk, an SMS "
        "refused, two population imports), for the failures page. Run after seed_history. "
        "Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Run even when DJANGO_ENV=production."
        )

    def handle(self, *args, force=False, **options):
        if settings.PRODUCTION and not force:
            raise CommandError("Refusing to create demo failures in production (use --force).")
        done = demo.seed()
        self.stdout.write(
            f"Demo failures: {done['events']} step, {done['notices']} notice, "
            f"{done['imports']} imports"
        )
