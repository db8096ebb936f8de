"""Writes of the working-day calendar."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from django.db import transaction

from workdays.models import CalendarDay

CALENDAR_FILE = Path(__file__).resolve().parent / "data" / "calendar-2025-2027.csv"


@transaction.atomic
def calendar_seed(*, path: Path = CALENDAR_FILE) -> int:
    """Load the official days off and make-up working days. Days an administrator
    has already entered are kept as they are. Returns how many were added."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    existing = set(CalendarDay.objects.values_list("date", flat=True))
    new = [
        CalendarDay(
            date=dt.date.fromisoformat(row["date"]),
            kind=row["kind"],
            name=row["name"],
            name_en=row["name_en"],
        )
        for row in rows
        if dt.date.fromisoformat(row["date"]) not in existing
    ]
    CalendarDay.objects.bulk_create(new)
    return len(new)
