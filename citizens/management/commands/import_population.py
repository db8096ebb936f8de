"""``manage.py import_population FILE.csv``: load person records (see citizens.importer)."""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import logging
import os
import re
import socket
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from citizens.importer import (
    COLUMN_SPECS,
    COLUMNS,
    ImportFileError,
    ImportResult,
    population_import,
)
from citizens.models import PopulationImport, User

logger = logging.getLogger(__name__)


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
        # A run is recorded (not a dry run): see PopulationImport and _recorded_error.
        run = None if dry_run else _run_started(file, user)
        try:
            if actor and user is None:
                raise _NoSuchActor(f"No account with the email {actor}.")
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
        except BaseException as exc:  # recorded, then raised as it was (Ctrl-C included)
            if run is not None:
                _run_failed(run, _recorded_error(exc, file))
            raise
        if run is not None:
            _run_done(run, result)
        for line in result.lines():
            self.stdout.write(line)
        if options["verbosity"] >= 2:
            self.stdout.write(progress.line())
        if result.rejected:
            self.stdout.write(self.style.WARNING(f"{result.rejected:,} rows rejected."))
        else:
            self.stdout.write(self.style.SUCCESS("All rows loaded."))


# --- The record of a run (citizens.models.PopulationImport) -----------------------------
#
# Two small writes per run: the row, created ``running`` before the import
# starts (in autocommit, as a management command runs: committed on its own,
# so a killed import leaves it running), and its end. The error recorded is
# about the file's format, or the exception's class only: a database error's
# text may quote a row's values, and the rejects file holds the rows.


class _NoSuchActor(CommandError):
    """``--actor`` names no account (the email is printed, not recorded)."""


_UNKNOWN_COLUMNS = re.compile(r"^Unknown column\(s\) (.*)\. The columns are: ", re.DOTALL)
_COLUMN_LIKE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}")
ERROR_MAX = 2000


def _without_values(message: str) -> str:
    """An ``ImportFileError``'s text without what may be data: a file without
    a header row has its first row's values taken for unknown column names."""
    match = _UNKNOWN_COLUMNS.match(message)
    if not match:
        return message
    names = match.group(1).split(", ")
    # Shown: a misspelt column name (close to a real one); not the values of a data row.
    shown = [
        name
        for name in names
        if _COLUMN_LIKE.fullmatch(name) and difflib.get_close_matches(name, COLUMNS, 1, 0.75)
    ]
    hidden = len(names) - len(shown)
    if hidden:
        shown.append(
            f"{hidden} not shown (they do not look like column names: is the first row the header?)"
        )
    text = f"Unknown column(s) {', '.join(shown)}"
    return text + ". See manage.py import_population --help for the columns."


def _recorded_error(exc: BaseException, file: str) -> str:
    """What a failed run records: ``<ExceptionClass>: <text>`` without personal data."""
    cause = exc
    if type(exc) is CommandError and exc.__context__ is not None:
        cause = exc.__context__  # the FileNotFoundError or ImportFileError it says
    name = type(cause).__name__
    if isinstance(cause, FileNotFoundError):
        text = f"No such file: {Path(cause.filename or file).name}"
    elif isinstance(cause, ImportFileError):
        text = _without_values(str(cause))
    elif isinstance(cause, _NoSuchActor):
        name, text = "CommandError", "No account with the email given with --actor."
    elif isinstance(cause, CommandError):
        text = str(cause)
    elif isinstance(cause, OSError):
        text = cause.strerror or "the file could not be read or written"
    elif isinstance(cause, KeyboardInterrupt | SystemExit):
        text = "the import was stopped before it finished; nothing was loaded"
    else:
        text = (
            "the import stopped; nothing was loaded (the details are in the command's "
            "output, not recorded: they may quote a row's values)"
        )
    return f"{name}: {text}"[:ERROR_MAX]


def _run_started(file: str, user: User | None) -> PopulationImport:
    return PopulationImport.objects.create(
        file_name=Path(file).name[:255],
        actor=user,
        host=socket.gethostname()[:255],
        pid=os.getpid(),
    )


def _run_done(run: PopulationImport, result: ImportResult) -> None:
    run.status = PopulationImport.Status.DONE
    run.finished_at = timezone.now()
    run.rows_read, run.inserted, run.updated = result.rows_read, result.inserted, result.updated
    run.unchanged, run.rejected = result.unchanged, result.rejected
    run.rejects_file = Path(result.rejects_path).name[:255] if result.rejects_path else ""
    _save(run)


def _run_failed(run: PopulationImport, error: str) -> None:
    run.status = PopulationImport.Status.FAILED
    run.finished_at = timezone.now()
    run.error = error
    _save(run)


def _save(run: PopulationImport) -> None:
    """Record the end of a run; never hide the import's own result or error.
    A connection the import left broken is opened again once."""
    fields = [f.name for f in PopulationImport._meta.concrete_fields if not f.primary_key]
    for attempt in (1, 2):
        try:
            run.save(update_fields=fields)
            return
        except Exception:  # noqa: BLE001 - the import's outcome matters more than its record
            if attempt == 2 or connection.in_atomic_block:
                logger.exception("population import %s: its end could not be recorded", run.pk)
                return
            connection.close()
