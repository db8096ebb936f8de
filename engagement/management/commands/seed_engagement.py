from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from engagement import demo


class Command(BaseCommand):
    help = (
        "Create demo questions and feedback at every step for the demo ward (run seed_demo "
        "first). Safe to run again: a database that has them is left as it is."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Run even when DJANGO_ENV=production."
        )

    def handle(self, *args, force=False, **options):
        if settings.PRODUCTION and not force:
            raise CommandError("Refusing to create demo questions in production (use --force).")
        done = demo.seed()
        self.stdout.write(
            f"Questions and feedback: {done['questions']} questions, {done['feedback']} feedback"
        )
