"""Housekeeping tasks run by Celery beat."""

from celery import shared_task
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

HEARTBEAT_KEY = "egov:beat-heartbeat"


@shared_task(name="egov.tasks.clear_expired_sessions")
def clear_expired_sessions() -> None:
    call_command("clearsessions")


@shared_task(name="egov.tasks.heartbeat")
def heartbeat() -> str:
    """Record that beat and a worker are alive (the time is in the cache, and
    /readyz reports it as ``beat_last_seen`` when a broker is configured)."""
    now = timezone.now().isoformat()
    cache.set(HEARTBEAT_KEY, now, timeout=600)
    return now
