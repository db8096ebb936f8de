"""``manage.py import_population FILE.csv``: load person records (see citizens.importer)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time

from django.core.management.base import BaseCommand, CommandError

from citizens.importer import COLUMN_SPECS, ImportFileError, population_import
from citizens.models import User


def _columns_epilog() -> str:
    lines = [
        "CSV columns (UTF-8, comma-separated, a header row naming the columns, in any order;",
        "the 4 marked * are required, the others may be left out; one row per person):",
    ]
    for name, required, doc in COLUMN_SPECS:
        lines.append(f"  {name + (' *' if required else ''):<26} {doc}")
    lines += [
        "",
        "Rejected rows are written to --rejects (default FILE.rejects.csv) with their data row",
        "number (1-based, header not counted), the rule codes and the reasons; the valid rows",
        "are loaded. Re-importing the same file changes nothing. See docs/performance.md.",
    ]
    return "\n".join(lines)


class ProgressBar:
    """A one-line progress display for a terminal (nothing otherwise)."""

    def __init__(self, stream, enabled: bool):
        self.stream = stream
        self.enabled = enabled
        self.started = time.monotonic()
        self.phase = ""
        self.last = 0.0

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if phase == self.phase and now - self.last < 0.2 and phase != "done":
            return
        self.phase, self.last = phase, now
        elapsed = now - self.started
        if total:
            width = 30
            filled = int(width * min(done, total) / total)
            bar = "█" * filled + "░" * (width - filled)
            text = f"{phase:<12} {bar} {100 * done / total:5.1f}%  {elapsed:6.1f} s"
        else:
            text = f"{phase:<12} …  {elapsed:6.1f} s"
        end = "\n" if phase == "done" else ""
        self.stream.write(f"\r{text:<70}{end}")
        self.stream.flush()


class PhaseTimes:
    """Seconds spent in each phase the import reports (shown with -v 2)."""

    def __init__(self, inner):
        self.inner = inner
        self.seconds: dict[str, float] = {}
        self.current = ""
        self.since = time.monotonic()

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        if phase != self.current:
            now = time.monotonic()
            if self.current:
                self.seconds[self.current] = self.seconds.get(self.current, 0.0) + now - self.since
            self.current, self.since = phase, now
        self.inner(phase, done, total)

    def line(self) -> str:
        return "Phases: " + ", ".join(f"{name} {secs:.1f} s" for name, secs in self.seconds.items())


class Command(BaseCommand):
    help = (
        "Load or refresh person records, households and memberships from a CSV file. "
        "Every row is checked (ID number against sex and year of birth, dates, units, "
        "duplicates, parents' ages...); valid rows are upserted on the ID number with a "
        "version kept for each changed record; rejected rows go to a rejects file."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
        parser.epilog = _columns_epilog()
        return parser

    def add_arguments(self, parser):
        parser.add_argument("file", help="The CSV file.")
        parser.add_argument("--rejects", help="Where to write rejected rows (CSV).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and write the rejects only."
        )
        parser.add_argument("--actor", help="Email of the account responsible for the import.")
        parser.add_argument("--reason", default="", help="Reason recorded with each change.")
        parser.add_argument(
            "--bulk",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="PostgreSQL: drop the indexes and foreign keys of the population tables "
            "while writing and rebuild them after (locks the tables against reads). "
            "Default: when the file brings at least 100,000 new persons and at least "
            "as many as the table holds.",
        )
        parser.add_argument(
            "--today",
            type=dt.date.fromisoformat,
            help="Reference date for the checks (YYYY-MM-DD; default: today).",
        )

    def handle(self, *args, file, rejects=None, dry_run=False, actor=None, reason="", **options):
        user = None
        if actor:
            user = User.objects.filter(email=actor.lower()).first()
            if user is None:
                raise CommandError(f"No account with the email {actor}.")
        progress = PhaseTimes(
            ProgressBar(sys.stderr, enabled=self.stdout.isatty() and sys.stderr.isatty())
        )
        try:
            result = population_import(
                path=file,
                rejects_path=rejects,
                actor=user,
                reason=reason,
                dry_run=dry_run,
                today=options.get("today"),
                progress=progress,
                bulk=options.get("bulk"),
            )
        except FileNotFoundError as exc:
            raise CommandError(f"No such file: {exc.filename}") from None
        except ImportFileError as exc:
            raise CommandError(str(exc)) from None
        for line in result.lines():
            self.stdout.write(line)
        if options["verbosity"] >= 2:
            self.stdout.write(progress.line())
        if result.rejected:
            self.stdout.write(self.style.WARNING(f"{result.rejected:,} rows rejected."))
        else:
            self.stdout.write(self.style.SUCCESS("All rows loaded."))
