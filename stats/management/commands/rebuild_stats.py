"""Recompute the statistics of a period from the dossiers and their history."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from stats import services


class Command(BaseCommand):
    help = "Recompute the statistics of a period (default: the last 400 days) from the dossiers."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", help="last day, YYYY-MM-DD (default today)")

    def handle(self, *args, **options):
        try:
            end = dt.date.fromisoformat(options["end"]) if options["end"] else timezone.localdate()
            start = (
                dt.date.fromisoformat(options["start"])
                if options["start"]
                else end - dt.timedelta(days=400)
            )
        except ValueError as exc:
            raise CommandError(f"Dates are YYYY-MM-DD: {exc}") from exc
        if start > end:
            raise CommandError("--from is after --to.")
        dossiers, cells = services.rebuild_period(start, end)
        self.stdout.write(f"{dossiers} dossiers, {cells} daily cells from {start} to {end}.")
