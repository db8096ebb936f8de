"""``manage.py generate_population``: a synthetic Hà Nội population as CSV."""

from __future__ import annotations

import datetime as dt
import sys

from django.core.management.base import BaseCommand, CommandError

from citizens.generator import AS_OF, population_generate


class Command(BaseCommand):
    help = (
        "Write a synthetic population of Hà Nội (households, families, valid ID numbers) "
        "as a CSV file for import_population. The same seed gives the same file."
    )

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True, help="Number of persons.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
        parser.add_argument("--output", required=True, help="CSV file to write.")
        parser.add_argument(
            "--as-of",
            type=dt.date.fromisoformat,
            default=AS_OF,
            help=f"The day the city is generated for (default {AS_OF}).",
        )

    def handle(self, *args, count, seed, output, as_of, **options):
        if count < 1:
            raise CommandError("--count must be at least 1.")
        tty = self.stdout.isatty() and sys.stderr.isatty()

        def progress(done: int, total: int) -> None:
            if tty:
                sys.stderr.write(f"\r{done:>12,} / {total:,} persons ({100 * done / total:5.1f}%)")
                sys.stderr.flush()

        result = population_generate(
            count=count, seed=seed, output=output, as_of=as_of, progress=progress
        )
        if tty:
            sys.stderr.write("\n")
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.persons:,} persons in {result.households:,} households "
                f"({result.deceased:,} deceased) written to {output} in {result.seconds:.1f} s "
                f"({result.rows_per_second:,.0f} rows/s)."
            )
        )
