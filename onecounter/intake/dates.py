"""When a dossier sent online is due: by when the one-stop desk must receive
it, and when its result is expected (the 15:00 cut-off and the working days of
``workdays.calendar``). Shown to the citizen on the check and confirmation
pages and in the API, and to the clerk in the queues until the promised date
is set on receipt.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone

from onecounter.models import Dossier, DossierStatus
from workdays.calendar import WorkCalendar


def expected_result_date(
    dossier: Dossier, *, now: dt.datetime | None = None, calendar: WorkCalendar | None = None
) -> dt.date:
    """When the result is expected: the procedure's online working days from the
    submission (from now for a draft), with the 15:00 cut-off. The promised date
    itself is set when the one-stop desk receives the dossier."""
    start = dossier.submitted_at or now or timezone.now()
    if calendar is None:
        calendar = WorkCalendar.load(start=timezone.localdate(start) - dt.timedelta(days=1))
    return calendar.due_date(start, dossier.procedure.days_online)


def receive_by_date(dossier: Dossier, *, calendar: WorkCalendar | None = None) -> dt.date | None:
    """By when the one-stop desk must receive (or answer) a dossier sent online
    and waiting to be received: the working day after the one it counts as
    sent on (the 15:00 cut-off: sent at 16:00 on a Monday, it counts as sent on
    Tuesday and must be received by Wednesday). ``None`` once it is received."""
    if dossier.status != DossierStatus.SUBMITTED or dossier.submitted_at is None:
        return None
    if calendar is None:
        start = timezone.localdate(dossier.submitted_at) - dt.timedelta(days=1)
        calendar = WorkCalendar.load(start=start)
    return calendar.next_working_day(calendar.receipt_day(dossier.submitted_at))


def with_waiting_dates(dossiers: Iterable[Dossier]) -> None:
    """Give each dossier waiting to be received its ``receive_by`` and
    ``expected_result`` dates (one calendar for all: a queue's page costs one
    more query, whatever its length); the others get ``None``."""
    dossiers = list(dossiers)
    waiting = [d for d in dossiers if d.status == DossierStatus.SUBMITTED and d.submitted_at]
    calendar = (
        WorkCalendar.load(
            start=min(timezone.localdate(d.submitted_at) for d in waiting) - dt.timedelta(days=1)
        )
        if waiting
        else None
    )
    for dossier in dossiers:
        if dossier in waiting:
            dossier.receive_by = receive_by_date(dossier, calendar=calendar)
            dossier.expected_result = expected_result_date(dossier, calendar=calendar)
        else:
            dossier.receive_by = dossier.expected_result = None
