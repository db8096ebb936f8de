from django.core.management.base import BaseCommand

from workdays.services import calendar_seed


class Command(BaseCommand):
    help = "Load Vietnam's public holidays and make-up working days for 2025-2027 (idempotent)."

    def handle(self, *args, **options):
        added = calendar_seed()
        self.stdout.write(self.style.SUCCESS(f"Working-day calendar: {added} days added"))
