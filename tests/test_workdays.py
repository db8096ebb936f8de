"""Working-day deadlines: weekends, the 15:00 cut-off, Tết 2026, make-up Saturdays, pauses."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from workdays.calendar import WorkCalendar
from workdays.models import CalendarDay
from workdays.services import calendar_seed

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
pytestmark = pytest.mark.django_db


@pytest.fixture
def calendar():
    calendar_seed()
    return WorkCalendar.load()


def at(y, m, d, hh=10, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=HANOI)


def test_the_brief_example_wednesday_plus_five_working_days(calendar):
    # Received Wednesday 4 March 2026 at 10:00, 5 working days: due Wednesday 11 March.
    assert calendar.due_date(at(2026, 3, 4), 5) == dt.date(2026, 3, 11)


def test_weekends_are_skipped(calendar):
    # Friday 6 March + 1 working day = Monday 9 March.
    assert calendar.due_date(at(2026, 3, 6), 1) == dt.date(2026, 3, 9)


def test_after_the_15_00_cut_off_the_clock_starts_from_the_next_working_day(calendar):
    assert calendar.due_date(at(2026, 3, 4, 14, 59), 5) == dt.date(2026, 3, 11)
    assert calendar.due_date(at(2026, 3, 4, 15, 0), 5) == dt.date(2026, 3, 12)
    # Friday after 15:00 counts as received Monday.
    assert calendar.receipt_day(at(2026, 3, 6, 16, 30)) == dt.date(2026, 3, 9)


def test_a_filing_on_a_sunday_counts_from_monday(calendar):
    assert calendar.receipt_day(at(2026, 3, 8)) == dt.date(2026, 3, 9)
    assert calendar.due_date(at(2026, 3, 8), 0) == dt.date(2026, 3, 9)


def test_tet_2026_for_civil_servants_saturday_14_to_sunday_22_february(calendar):
    for day in range(14, 23):
        assert not calendar.is_working_day(dt.date(2026, 2, day))
    # Received Friday 13 February at 10:00 with 3 working days: 23, 24, 25 February.
    assert calendar.due_date(at(2026, 2, 13), 3) == dt.date(2026, 2, 25)
    # Filed online during Tết: counts as received Monday 23 February.
    assert calendar.receipt_day(at(2026, 2, 17, 9)) == dt.date(2026, 2, 23)


def test_a_make_up_working_saturday_counts(calendar):
    # 26 April 2025 was a make-up working Saturday (2 May 2025 was swapped off).
    assert calendar.is_working_day(dt.date(2025, 4, 26))
    assert not calendar.is_working_day(dt.date(2025, 5, 2))
    # Friday 25 April 2025 + 1 working day = Saturday 26 April.
    assert calendar.due_date(at(2025, 4, 25), 1) == dt.date(2025, 4, 26)


def test_an_administrator_added_make_up_saturday_is_used(calendar):
    CalendarDay.objects.create(date=dt.date(2026, 3, 7), kind="working", name="Làm bù")
    calendar = WorkCalendar.load()
    assert calendar.due_date(at(2026, 3, 6), 1) == dt.date(2026, 3, 7)


def test_the_deadline_pauses_while_a_supplement_is_awaited(calendar):
    due = calendar.due_date(at(2026, 3, 4), 5)  # Wednesday 11 March
    # Paused on Monday 9 March, resumed Thursday 12 March: 3 working days paused.
    assert calendar.extend_for_pause(due, dt.date(2026, 3, 9), dt.date(2026, 3, 12)) == dt.date(
        2026, 3, 16
    )


def test_same_day_procedures_are_due_the_day_of_receipt(calendar):
    assert calendar.due_date(at(2026, 3, 4, 9), 0) == dt.date(2026, 3, 4)


def test_seeding_twice_adds_nothing_and_keeps_administrator_edits(calendar):
    CalendarDay.objects.filter(date=dt.date(2026, 9, 1)).update(name="Sửa bởi quản trị")
    assert calendar_seed() == 0
    assert CalendarDay.objects.get(date=dt.date(2026, 9, 1)).name == "Sửa bởi quản trị"
