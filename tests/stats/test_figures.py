"""The statistics against a hand-counted fixture: each figure, late against on
time across a holiday and a pause, the roll-ups against a recount, and the
figures kept when dossiers are purged."""

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from onecounter.models import DossierEvent, Payment, Rating
from onecounter.models import DossierStatus as S
from stats import facts, figures, services
from stats.figures import CITY, Filters
from stats.models import DailyFigure, DossierFact
from tests.factories import AgencyFactory, DossierFactory, ProcedureFactory, UserFactory
from workdays.models import CalendarDay

pytestmark = pytest.mark.django_db

serial = itertools.count(1)
TZ = timezone.get_current_timezone()


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=TZ)


def dossier(
    agency,
    procedure,
    *,
    status,
    channel="online",
    received=None,
    due=None,
    ready=None,
    events=(),
    **extra,
):
    d = DossierFactory(
        agency=agency,
        procedure=procedure,
        channel=channel,
        status=status,
        code=f"T-{next(serial):05d}",
        received_at=at(received) if received else None,
        due_date=due,
        result_ready_at=at(ready, 14) if ready else None,
        **extra,
    )
    for seq, (action, day, to_status) in enumerate(events, start=1):
        DossierEvent.objects.create(
            dossier=d,
            seq=seq,
            at=at(day, 10),
            action=action,
            to_status=to_status,
            processed_at=timezone.now(),
        )
    return d


@pytest.fixture
def world(db):
    """Two wards' committees; one procedure fully online, one partly."""
    # 30 April and 1 May 2026 are holidays (Thursday and Friday).
    for day in (dt.date(2026, 4, 30), dt.date(2026, 5, 1)):
        CalendarDay.objects.update_or_create(
            date=day, defaults={"kind": CalendarDay.Kind.HOLIDAY, "name": "lễ"}
        )
    a = AgencyFactory(code="UBA", name="UBND phường A")
    b = AgencyFactory(code="UBB", name="UBND phường B")
    full = ProcedureFactory(code="1.000001", online_level="full", fee_online=10000)
    partial = ProcedureFactory(code="1.000002", online_level="partial")
    full.offered_by.add(a, b)
    partial.offered_by.add(a)
    return {"a": a, "b": b, "full": full, "partial": partial}


def build(world):
    a, b, full, partial = world["a"], world["b"], world["full"], world["partial"]
    rows = {}
    # 1. Online (full), received Tue 28 April, due Wed 6 May; ready Wed 6 May:
    #    on time, in 4 working days (29 April, 4, 5 and 6 May: 30 April and
    #    1 May are holidays, 2 and 3 May a weekend).
    rows["on_time"] = dossier(
        a,
        full,
        status=S.RETURNED,
        received=dt.date(2026, 4, 28),
        due=dt.date(2026, 5, 6),
        ready=dt.date(2026, 5, 6),
        fee=10000,
        events=[
            ("receive", dt.date(2026, 4, 28), S.RECEIVED),
            ("approve", dt.date(2026, 5, 5), S.APPROVED),
        ],
    )
    Payment.objects.create(
        dossier=rows["on_time"],
        provider="demo",
        reference="P1",
        amount=10000,
        status="paid",
        paid_at=at(dt.date(2026, 4, 28)),
    )
    Rating.objects.create(
        dossier=rows["on_time"], user=UserFactory(), score=5, created_at=at(dt.date(2026, 5, 7))
    )
    # 2. At the counter, received Mon 4 May, due Thu 7 May; paused from Tue
    #    5 May to Mon 11 May (4 working days): due moved to Wed 13 May; ready
    #    Thu 14 May: late by a day, 8 working days less 4 paused = 4 days.
    rows["late"] = dossier(
        a,
        partial,
        status=S.RESULT_READY,
        channel="counter",
        received=dt.date(2026, 5, 4),
        due=dt.date(2026, 5, 13),
        ready=dt.date(2026, 5, 14),
        fee=0,
        events=[
            ("receive", dt.date(2026, 5, 4), S.RECEIVED),
            ("request_supplement", dt.date(2026, 5, 5), S.AWAITING_SUPPLEMENT),
            ("supply", dt.date(2026, 5, 11), S.IN_PROCESSING),
            ("approve", dt.date(2026, 5, 14), S.APPROVED),
        ],
    )
    # 3. Online, in processing, due Fri 8 May: overdue now.
    rows["overdue"] = dossier(
        b,
        full,
        status=S.IN_PROCESSING,
        received=dt.date(2026, 5, 5),
        due=dt.date(2026, 5, 8),
        fee=10000,
    )
    # 4. Refused at intake on 6 May.
    rows["refused"] = dossier(
        b,
        full,
        status=S.REFUSED,
        events=[("refuse", dt.date(2026, 5, 6), S.REFUSED)],
    )
    # 5. Withdrawn on 7 May after receipt on 5 May (counter).
    rows["withdrawn"] = dossier(
        a,
        partial,
        status=S.WITHDRAWN,
        channel="counter",
        received=dt.date(2026, 5, 5),
        due=dt.date(2026, 5, 12),
        events=[
            ("receive", dt.date(2026, 5, 5), S.RECEIVED),
            ("withdraw", dt.date(2026, 5, 7), S.WITHDRAWN),
        ],
    )
    # 6. A draft counts nowhere.
    rows["draft"] = DossierFactory(agency=a, procedure=full)
    facts.refresh([d.pk for d in rows.values()])
    return rows


MAY = Filters(start=dt.date(2026, 4, 1), end=dt.date(2026, 5, 31))


def test_each_figure_matches_the_hand_count(world):
    build(world)
    m = figures.summary(MAY, CITY)
    assert (m.received, m.received_online, m.received_counter) == (4, 2, 2)
    assert (m.received_online_full, m.received_online_partial) == (2, 0)
    assert (m.resolved, m.resolved_on_time, m.resolved_late) == (2, 1, 1)
    assert (m.refused, m.withdrawn, m.supplements) == (1, 1, 1)
    assert (m.received_with_fee, m.received_paid_online) == (2, 1)
    assert (m.ratings, m.satisfied) == (1, 1)
    assert m.processing_days == 4 + 4
    assert m.on_time_rate == 0.5 and m.online_share == 0.5
    d = figures.durations(MAY, CITY)
    assert d.resolved == 2 and d.p90 == 4
    now = figures.open_now(MAY, CITY, today=dt.date(2026, 5, 20))
    assert (now.overdue, now.within_time, now.paused) == (1, 0, 0)


def test_the_rollups_equal_a_recount_after_a_rebuild(world):
    build(world)
    before = sorted(
        DailyFigure.objects.values_list(
            "day",
            "channel",
            "received",
            "resolved",
            "resolved_late",
            "refused",
            "withdrawn",
            "supplements",
        )
    )
    DailyFigure.objects.all().delete()
    services.rebuild_period(dt.date(2026, 4, 1), dt.date(2026, 5, 31))
    after = sorted(
        DailyFigure.objects.values_list(
            "day",
            "channel",
            "received",
            "resolved",
            "resolved_late",
            "refused",
            "withdrawn",
            "supplements",
        )
    )
    assert before == after and before


def test_figures_survive_the_purge_of_dossiers(world):
    rows = build(world)
    rows["late"].events.all().delete()
    from onecounter.models import Dossier

    Dossier.objects.filter(pk=rows["late"].pk).delete()
    services.rebuild_period(dt.date(2026, 4, 1), dt.date(2026, 5, 31))
    assert DossierFact.objects.filter(pk=rows["late"].pk).exists()
    assert figures.summary(MAY, CITY).resolved_late == 1


@pytest.mark.django_db(transaction=True)
def test_simultaneous_refreshes_of_one_agency_and_day_count_each_dossier_once(world):
    """Eight refreshes at once, each of a dossier received the same day by the
    same agency: the one daily cell counts all eight."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    day = dt.date(2026, 5, 4)
    made = [
        dossier(world["a"], world["full"], status=S.RECEIVED, received=day, due=day)
        for _ in range(8)
    ]

    def refresh_one(pk):
        try:
            return facts.refresh([pk])
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(refresh_one, [d.pk for d in made])) == [1] * 8
    cell = DailyFigure.objects.get(day=day, agency=world["a"])
    assert cell.received == 8


def test_a_rating_given_after_the_last_step_is_counted_by_the_catch_up(world):
    rows = build(world)
    services.catch_up()  # everything so far
    late = rows["late"]
    Rating.objects.create(dossier=late, user=UserFactory(), score=2, created_at=timezone.now())
    assert (
        figures.summary(Filters(start=timezone.localdate(), end=timezone.localdate()), CITY).ratings
        == 0
    )
    assert services.catch_up() >= 1
    today = figures.summary(Filters(start=timezone.localdate(), end=timezone.localdate()), CITY)
    assert (today.ratings, today.satisfied, today.rating_sum) == (1, 0, 2)
    assert (
        figures.dossiers(
            Filters(start=timezone.localdate(), end=timezone.localdate()), CITY, "unsatisfied"
        )
        .get()
        .code
        == late.code
    )


def test_the_nightly_rebuild_recounts_a_dossier_changed_outside_a_step(world):
    """A dossier corrected in the database (not through a step) is recounted by
    the nightly run from its history, and every cell rebuilt from the facts."""
    from onecounter.models import Dossier
    from stats.tasks import nightly_rebuild

    rows = build(world)
    Dossier.objects.filter(pk=rows["late"].pk).update(apologised=True, updated_at=timezone.now())
    DailyFigure.objects.all().delete()  # a lost roll-up, too
    with_range = Filters(start=dt.date(2026, 4, 1), end=dt.date(2026, 5, 31))
    nightly_rebuild.delay(days=(timezone.localdate() - dt.date(2026, 4, 1)).days)
    m = figures.summary(with_range, CITY)
    assert (m.received, m.resolved_late, m.resolved_late_apologised) == (4, 1, 1)
