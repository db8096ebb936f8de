"""Keeping the statistics in step: the catch-up of what no step announced
(ratings, payments, a lost task) and the rebuild of a period."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from onecounter.models import Dossier
from stats import facts, rollup
from stats.models import DossierFact, StatsState
from workdays.calendar import WorkCalendar

BATCH = 2000


def catch_up(now: dt.datetime | None = None) -> int:
    """Refresh the facts of dossiers changed since the last catch-up (or rated,
    or paid), so that a lost task or a change made outside a step is counted
    within minutes. Returns how many dossiers were refreshed."""
    now = now or timezone.now()
    with transaction.atomic():
        state, _ = StatsState.objects.select_for_update().get_or_create(pk=1)
        since = state.caught_up_at or (now - dt.timedelta(days=1))
        changed = Dossier.objects.exclude(status="draft").filter(
            Q(updated_at__gte=since)
            | Q(rating__created_at__gte=since)
            | Q(payments__paid_at__gte=since)
        )
        ids = list(changed.values_list("pk", flat=True).distinct())
        state.caught_up_at = now
        state.save(update_fields=["caught_up_at"])
    calendar = WorkCalendar.load()
    for start in range(0, len(ids), BATCH):
        facts.refresh(ids[start : start + BATCH], calendar=calendar)
    return len(ids)


def rebuild_period(
    start: dt.date, end: dt.date, *, facts_since: dt.datetime | None = None
) -> tuple[int, int]:
    """Recompute the facts of every dossier that counts in ``start``..``end``
    (received, resolved, closed, asked for a supplement or rated then), then
    every cell of those days. Facts of purged dossiers stay as they were.
    With ``facts_since``, only the facts of dossiers changed since then are
    recomputed from their history (the nightly run: at city scale, recounting
    a year of dossiers in Python every night would take hours), and every
    cell of the period from the facts. Returns (dossiers refreshed, cells written)."""
    calendar = WorkCalendar.load()
    if facts_since is not None:
        changed = Dossier.objects.exclude(status="draft").filter(
            Q(updated_at__gte=facts_since)
            | Q(rating__created_at__gte=facts_since)
            | Q(payments__paid_at__gte=facts_since)
        )
        ordered = sorted(set(changed.values_list("pk", flat=True)), key=str)
        for first in range(0, len(ordered), BATCH):
            facts.refresh(ordered[first : first + BATCH], calendar=calendar, rollup=False)
        return len(ordered), rollup.rebuild(start, end)
    ids = set(
        Dossier.objects.exclude(status="draft")
        .filter(
            Q(received_at__date__range=(start, end))
            | Q(result_ready_at__date__range=(start, end))
            | Q(updated_at__date__range=(start, end))
            | Q(decided_at__date__range=(start, end))
        )
        .values_list("pk", flat=True)
    )
    ids |= set(
        DossierFact.objects.filter(
            Q(received_on__range=(start, end))
            | Q(resolved_on__range=(start, end))
            | Q(closed_on__range=(start, end))
            | Q(rated_on__range=(start, end))
        ).values_list("pk", flat=True)
    )
    ordered = sorted(ids, key=str)
    for first in range(0, len(ordered), BATCH):
        facts.refresh(ordered[first : first + BATCH], calendar=calendar, rollup=False)
    return len(ordered), rollup.rebuild(start, end)
