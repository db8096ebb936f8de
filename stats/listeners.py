"""The statistics listen to the one-stop's steps: after a step commits, the
dossier's fact and the cells it counts in are recomputed in the background."""

from __future__ import annotations

from django.db import connection, transaction

from egov import events
from egov.queue import enqueue
from onecounter.events import StepTaken


def on_step(event: StepTaken) -> None:
    if connection.vendor != "postgresql":
        return  # the SQLite fallback demo has no statistics (docs/adr/0006)
    dossier_id = str(event.dossier.pk)
    transaction.on_commit(lambda: enqueue("stats.refresh_dossier", dossier_id))


def register() -> None:
    events.listen(StepTaken, on_step)
