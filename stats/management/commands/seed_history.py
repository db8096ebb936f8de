"""A year of demo dossiers and their statistics (after ``seed_demo``)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from stats import demo


class Command(BaseCommand):
    help = (
        "Create about a year of demo dossiers ending today, in every state, over the demo "
        "agencies (run seed_demo first), then rebuild their statistics. Safe to run again: "
        "a database that has the history already is left as it is."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--per-day",
            type=int,
            default=demo.DEFAULT_PER_DAY,
            help=f"Dossiers per working day (default {demo.DEFAULT_PER_DAY}).",
        )
        parser.add_argument(
            "--days", type=int, default=demo.DEFAULT_DAYS, help="Days of history (default 365)."
        )
        parser.add_argument("--today", help="The last day, YYYY-MM-DD (default today).")
        parser.add_argument("--seed", type=int, default=demo.SEED)
        parser.add_argument(
            "--force", action="store_true", help="Run even when DJANGO_ENV=production."
        )

    def handle(self, *args, per_day, days, today, seed, force, **options):
        if settings.PRODUCTION and not force:
            raise CommandError("Refusing to create demo dossiers in production (use --force).")
        if connection.vendor != "postgresql":
            self.stdout.write(
                "Demo history skipped: the statistics need PostgreSQL (set DATABASE_URL)."
            )
            return
        if per_day < 0 or days < 1:
            raise CommandError("--per-day must be 0 or more and --days at least 1.")
        try:
            last = dt.date.fromisoformat(today) if today else None
        except ValueError as exc:
            raise CommandError(f"--today is YYYY-MM-DD: {exc}") from exc
        summary = demo.seed_year(last, per_day, days=days, seed=seed)
        for line in summary.lines():
            self.stdout.write(line)
