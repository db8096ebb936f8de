"""Background jobs of the statistics (idempotent: each recomputes from the facts)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone


@shared_task(
    name="stats.refresh_dossier", autoretry_for=(Exception,), retry_backoff=5, max_retries=5
)
def refresh_dossier(dossier_id: str) -> int:
    from stats import facts

    return facts.refresh([dossier_id])


@shared_task(name="stats.catch_up")
def catch_up() -> int:
    from stats import services

    return services.catch_up()


@shared_task(name="stats.nightly_rebuild")
def nightly_rebuild(days: int = 400) -> tuple[int, int]:
    """Every night: the facts of the dossiers changed in the last two days
    recomputed from the dossiers and their event history (what the day's
    after-commit refreshes missed), then every cell of the last ``days`` days
    from the facts. ``manage.py rebuild_stats`` recounts a whole period."""
    from stats import services

    today = timezone.localdate()
    since = timezone.now() - dt.timedelta(days=2)
    return services.rebuild_period(today - dt.timedelta(days=days), today, facts_since=since)


@shared_task(name="stats.send_weekly_reports")
def send_weekly_reports() -> int:
    from stats import reports

    return reports.send_weekly(timezone.localdate())
