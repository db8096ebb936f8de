"""The demo's year of dossiers (``manage.py seed_history``, ``stats.demo``)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from citizens import demo as citizen_demo
from citizens.models import Role, User
from onecounter.models import Dossier, DossierCodeCounter, DossierEvent, DossierStatus
from onecounter.transitions import next_code
from stats import demo, figures

pytestmark = pytest.mark.django_db

S = DossierStatus


@pytest.fixture
def seeded():
    """The demo (a small city), then two months of history, a few a day."""
    call_command("seed_demo", persons=60, stdout=io.StringIO())
    summary = demo.seed_year(per_day=4, days=60)
    return summary


def _account(agency: str, role: str) -> User:
    spec = next(a for a in citizen_demo.ACCOUNTS if a.agency == agency and a.role == role)
    return User.objects.get(email=spec.email)


def test_given_the_demo_when_seeding_history_then_every_status_appears(seeded):
    statuses = set(Dossier.objects.values_list("status", flat=True))

    assert statuses == set(S.values)
    assert seeded.dossiers == Dossier.objects.count() > 100
    late_apologised = Dossier.objects.filter(status=S.RETURNED, apologised=True)
    assert late_apologised.exists()
    assert Dossier.objects.filter(status=S.AWAITING_SUPPLEMENT, paused_on__isnull=False).exists()
    channels = set(Dossier.objects.values_list("channel", flat=True))
    assert {Dossier.Channel.ONLINE, Dossier.Channel.COUNTER, Dossier.Channel.POST} <= channels


def test_seeded_dossiers_have_coherent_dates_and_events_in_order(seeded):
    dossier = Dossier.objects.filter(status=S.RETURNED).order_by("code").first()
    events = list(dossier.events.order_by("seq"))

    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert [e.action for e in events][0] == "submit" and events[-1].action == "hand_back"
    assert all(a.at <= b.at for a, b in zip(events, events[1:], strict=False))
    assert all(a.to_status == b.from_status for a, b in zip(events, events[1:], strict=False))
    assert dossier.received_at <= dossier.decided_at <= dossier.result_ready_at
    assert dossier.result_ready_at <= dossier.finished_at
    # Only the queue samples (filed on the last working day) are left for the
    # outbox sweep to render, so that a clerk opening one finds its receipt;
    # the year's thousands of others are marked done.
    pending = DossierEvent.objects.filter(processed_at__isnull=True)
    assert pending.exists()
    assert min(pending.values_list("at", flat=True)) > timezone.now() - dt.timedelta(days=5)
    # Received in office hours, on a working day.
    local = timezone.localtime(dossier.received_at)
    assert local.weekday() < 5 and 7 <= local.hour < 18


def test_a_real_dossier_filed_today_gets_a_code_after_the_seeded_ones(seeded):
    from citizens.models import Agency

    agency = Agency.objects.get(code="UBLB")
    today = timezone.localdate()
    seeded_today = Dossier.objects.filter(agency=agency, code__startswith=f"UBLB-{today:%y%m%d}-")
    last = max(
        (int(c.rsplit("-", 1)[1]) for c in seeded_today.values_list("code", flat=True)), default=0
    )

    code = next_code(agency, today)

    assert not Dossier.objects.filter(code=code).exists()
    assert int(code.rsplit("-", 1)[1]) == last + 1
    assert DossierCodeCounter.objects.filter(agency=agency).exists()


def test_the_demo_clerk_officer_and_head_each_find_work_in_their_queue(seeded, client):
    url = reverse("dossiers:queue", args=["UBLB"])
    for role in (Role.CLERK, Role.OFFICER, Role.HEAD):
        client.force_login(_account("UBLB", role))  # the demo accounts have TOTP enrolled

        response = client.get(url)

        assert response.status_code == 200, role
        codes = set(
            Dossier.objects.filter(agency__code="UBLB")
            .exclude(status=S.DRAFT)
            .values_list("code", flat=True)
        )
        listed = [c for c in codes if c in response.text]
        assert listed, f"the {role}'s first tab lists no dossier"
        client.logout()


def test_seeding_twice_does_not_double(seeded):
    before = Dossier.objects.count(), DossierEvent.objects.count()

    out = io.StringIO()
    call_command("seed_history", per_day=4, days=60, stdout=out)

    assert (Dossier.objects.count(), DossierEvent.objects.count()) == before
    assert "already seeded" in out.getvalue()


def test_the_statistics_equal_a_recount_of_the_dossiers(seeded):
    end = timezone.localdate()
    start = end - dt.timedelta(days=60)
    tz = timezone.get_current_timezone()
    since = dt.datetime.combine(start, dt.time.min, tz)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tz)

    measures = figures.summary(figures.Filters(start=start, end=end), figures.CITY)

    dossiers = Dossier.objects.exclude(status=S.DRAFT)
    received = dossiers.filter(received_at__gte=since, received_at__lt=until)
    resolved = dossiers.filter(
        Q(status__in=[S.RESULT_READY, S.RETURNED], result_ready_at__gte=since)
        | Q(status=S.REJECTED, decided_at__gte=since)
    )
    resolved_late = [
        d
        for d in resolved
        if d.apologised or timezone.localdate(d.result_ready_at or d.decided_at) > d.due_date
    ]
    assert measures.received == received.count() > 0
    assert measures.resolved == resolved.count() > 0
    assert measures.resolved_late == len(resolved_late) > 0
    assert measures.resolved_on_time == resolved.count() - len(resolved_late)
    assert measures.refused == dossiers.filter(status=S.REFUSED).count()
