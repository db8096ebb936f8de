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
