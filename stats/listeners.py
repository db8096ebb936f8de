"""The statistics listen to the one-stop's steps: after a step commits, the
dossier's fact and the cells it counts in are recomputed in the background.
A feedback's step or rating (read directly by the Decision 766 index) makes a
new version of the figures once it commits, so no cached page shows the old."""

from __future__ import annotations

from django.db import connection, transaction

from egov import events
from egov.queue import enqueue
from engagement.events import FeedbackChanged
from onecounter.events import StepTaken
from stats import rollup


def on_step(event: StepTaken) -> None:
    if connection.vendor != "postgresql":
        return  # the SQLite fallback demo has no statistics (docs/adr/0006)
    dossier_id = str(event.dossier.pk)
    transaction.on_commit(lambda: enqueue("stats.refresh_dossier", dossier_id))


def on_feedback(event: FeedbackChanged) -> None:
    transaction.on_commit(rollup.bump)


def register() -> None:
    events.listen(StepTaken, on_step)
    events.listen(FeedbackChanged, on_feedback)
