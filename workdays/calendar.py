"""Working-day arithmetic for one-stop deadlines.

Rules (Civil Code 2015 art. 147; Decree 118/2025 on one-stop processing):
- working days are Monday-Friday, minus public holidays and government-swapped
  days off, plus make-up working days (usually Saturdays), from ``CalendarDay``;
- a dossier received after the 15:00 cut-off, or on a day that is not a working
  day, counts as received on the next working day;
- the day of receipt is not counted: the time limit runs from the next working
  day, so 5 working days from Wednesday 4 March 2026 is Wednesday 11 March 2026;
- a limit of 0 days (e.g. birth registration when complete) is due the day of receipt.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from workdays.models import CalendarDay

CUT_OFF = dt.time(15, 0)


@dataclass
class WorkCalendar:
    holidays: set[dt.date] = field(default_factory=set)
    working: set[dt.date] = field(default_factory=set)

    @classmethod
    def load(cls, start: dt.date | None = None, end: dt.date | None = None) -> WorkCalendar:
        days = CalendarDay.objects.all()
        if start:
            days = days.filter(date__gte=start)
        if end:
            days = days.filter(date__lte=end)
        calendar = cls()
        for day, kind in days.values_list("date", "kind"):
            (calendar.holidays if kind == CalendarDay.Kind.HOLIDAY else calendar.working).add(day)
        return calendar

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.working:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def next_working_day(self, day: dt.date) -> dt.date:
        day += dt.timedelta(days=1)
        while not self.is_working_day(day):
            day += dt.timedelta(days=1)
        return day

    def receipt_day(self, received_at: dt.datetime) -> dt.date:
        """The working day a dossier counts as received on (the 15:00 cut-off)."""
        local = timezone.localtime(received_at)
        day = local.date()
        if not self.is_working_day(day) or local.time() >= CUT_OFF:
            return self.next_working_day(day)
        return day

    def add_working_days(self, day: dt.date, days: int) -> dt.date:
        for _ in range(days):
            day = self.next_working_day(day)
        return day

    def due_date(self, received_at: dt.datetime, working_days: int) -> dt.date:
        return self.add_working_days(self.receipt_day(received_at), working_days)

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end``."""
        count, day = 0, start
        while day < end:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count

    def extend_for_pause(self, due: dt.date, paused_on: dt.date, resumed_on: dt.date) -> dt.date:
        """The clock stops while a supplement is awaited: the due date moves by
        the working days the dossier spent paused."""
        return self.add_working_days(due, self.working_days_between(paused_on, resumed_on))
