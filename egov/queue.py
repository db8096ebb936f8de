"""Enqueue a Celery task by its registered name.

Services write what must not be lost to the database first (an outbox row);
then, after commit, they ask for the task that works it off. Naming the task
instead of importing it keeps the task modules on top: a task imports the
service it runs, never the other way round.

A broker outage must not fail the request that caused the work: ``enqueue``
logs and returns False, and the periodic sweep of the outbox sends it later.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import current_app

logger = logging.getLogger(__name__)


def enqueue(name: str, *args: Any, countdown: int | None = None) -> bool:
    task = _task(name)
    try:
        if countdown:
            task.apply_async(args, countdown=countdown)
        else:
            task.delay(*args)
    except Exception:  # noqa: BLE001 - kombu/redis errors vary by transport
        logger.warning("broker unavailable; %s%r left for the sweep", name, args)
        return False
    return True


def _task(name: str) -> Any:
    tasks = current_app.tasks
    if name not in tasks:
        # The web process imports the apps' task modules on first use.
        current_app.loader.import_default_modules()
    return tasks[name]  # KeyError: a task that does not exist is a bug


def sweep_after_seconds() -> int:
    """How old unfinished outbox work must be before a sweep re-sends it
    (``EGOV_SWEEP_AFTER_SECONDS``)."""
    from django.conf import settings

    return int(settings.EGOV_SWEEP_AFTER_SECONDS)


def lease(kind: str, key: Any, *, attempts: int = 0) -> bool:
    """Take the sweep's lease on one outbox row: True when nobody re-sent it
    within the lease (``EGOV_SWEEP_AFTER_SECONDS``, doubled per failed
    ``attempts``, at most 10 minutes, so a failing row keeps its backoff). A
    sweep re-sends a row only with the lease, so a queue that is slow to drain
    gets at most one extra message per row and lease, and a crashed worker's
    row goes out again within one lease."""
    from django.core.cache import cache

    seconds = min(sweep_after_seconds() * 2 ** min(attempts, 10), 600)
    return bool(cache.add(f"sweep-lease:{kind}:{key}", 1, timeout=max(seconds, 1)))
