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
    """Every night: the last ``days`` days recomputed from the dossiers and
    their event history (what a day's after-commit refreshes missed)."""
    from stats import services

    today = timezone.localdate()
    return services.rebuild_period(today - dt.timedelta(days=days), today)


@shared_task(name="stats.send_weekly_reports")
def send_weekly_reports() -> int:
    from stats import reports

    return reports.send_weekly(timezone.localdate())
