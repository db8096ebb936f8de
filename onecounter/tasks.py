"""Background jobs of the one-stop app. Each takes ids, is safe to run twice
and is enqueued only after the transaction that caused it has committed.

Every dossier event is its own outbox row: ``processed_at`` stays empty until
its slips, results and notices exist, and ``sweep_pending_events`` (Celery beat) picks
up any event whose task was lost (a broker outage, a crash).
"""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.db import transaction
from django.db.models import F
from django.utils import timezone

logger = logging.getLogger(__name__)


@shared_task(
    name="onecounter.after_event",
    autoretry_for=(Exception,),
    retry_backoff=10,
    retry_backoff_max=600,
    max_retries=8,
)
def after_event(event_id: int) -> None:
    """Render the slips and the results a step issues, put the results in the
    applicant's wallet and notify the applicant (idempotent).

    A failure is recorded on the event (attempts, last error) in its own
    transaction, so it stays visible to administrators, then re-raised for
    the retry.
    """
    from onecounter.models import DossierEvent
    from onecounter.notifications import services as notifications
    from onecounter.results import rendering as results
    from onecounter.slips import issue as slips
    from onecounter.wallet import documents as my_documents

    try:
        with transaction.atomic():
            event = DossierEvent.objects.select_for_update().filter(pk=event_id).first()
            if event is None or event.processed_at is not None:
                return
            slips.render_for_event(event)  # the one-stop slips of the step
            results.render_for_event(event)  # a decided dossier's results
            my_documents.deliver_results_for_event(event)  # results into the applicant's wallet
            notifications.notify_for_event(event)
            event.processed_at = timezone.now()
            event.attempts += 1
            event.last_error = ""
            event.save(update_fields=["processed_at", "attempts", "last_error"])
    except Exception as exc:
        DossierEvent.objects.filter(pk=event_id).update(
            attempts=F("attempts") + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise


# After this many failed runs an event is left for an administrator (its
# last_error says why; clearing attempts re-queues it).
MAX_SWEEP_ATTEMPTS = 20


@shared_task(name="onecounter.sweep_pending_events")
def sweep_pending_events(older_than_seconds: int | None = None, limit: int = 500) -> int:
    """Re-send the events whose slips, results or notices are still pending:
    older than ``EGOV_SWEEP_AFTER_SECONDS``, not being worked on right now (a
    worker that renders an event holds its row lock; a killed worker's lock
    is gone), and not re-sent within their lease (egov.queue.lease). Returns
    how many were re-sent."""
    from egov.queue import lease, sweep_after_seconds
    from onecounter import transitions
    from onecounter.models import DossierEvent

    if older_than_seconds is None:
        older_than_seconds = sweep_after_seconds()
    cutoff = timezone.now() - dt.timedelta(seconds=older_than_seconds)
    with transaction.atomic():
        rows = list(
            DossierEvent.objects.filter(
                processed_at__isnull=True, at__lt=cutoff, attempts__lt=MAX_SWEEP_ATTEMPTS
            )
            .order_by("at")
            .select_for_update(skip_locked=True)
            .values_list("pk", "attempts")[:limit]
        )
    sent = 0
    for event_id, attempts in rows:
        if lease("event", event_id, attempts=attempts):
            transitions.enqueue_after_event(event_id)
            sent += 1
    return sent


@shared_task(name="onecounter.deliver_pending_notices")
def deliver_pending_notices() -> int:
    """Retry emails and SMS that failed (each notice at most a few times)."""
    from onecounter.notifications import services as notifications

    return notifications.deliver_pending()


@shared_task(name="onecounter.sweep_orphan_files")
def sweep_orphan_files() -> dict[str, int]:
    """Delete the PDFs and temporary files no document owns once older than
    EGOV_ORPHAN_FILE_HOURS (safe to run twice or beside a render: what is
    young is left alone)."""
    from django.conf import settings

    from onecounter.slips import orphans

    swept = orphans.sweep_orphan_files(
        older_than=dt.timedelta(hours=float(settings.EGOV_ORPHAN_FILE_HOURS))
    )
    return {"deleted": swept.deleted, "kept": swept.kept}


@shared_task(name="onecounter.purge_old_drafts")
def purge_old_drafts() -> int:
    """Delete online drafts left unchanged longer than EGOV_DRAFT_MAX_AGE_DAYS,
    with their uploaded files (safe to run twice: what is gone is gone)."""
    from django.conf import settings

    from onecounter.intake import drafts

    return drafts.purge_old_drafts(settings.EGOV_DRAFT_MAX_AGE_DAYS)


@shared_task(name="onecounter.expire_supplements")
def expire_supplements(limit: int = 200) -> int:
    """Reject, as the system, each dossier whose request for missing documents
    was not answered by its deadline (the deadline day itself still counts).
    The reason says so; the applicant is told like for any rejection. Safe to
    run twice: a rejected dossier is no longer awaiting documents."""
    from django.conf import settings
    from django.utils import translation
    from django.utils.translation import gettext

    from egov.errors import DomainError
    from onecounter import transitions
    from onecounter.models import Dossier, DossierStatus, SupplementRequest

    today = timezone.localdate()
    overdue = (
        SupplementRequest.objects.filter(
            dossier__status=DossierStatus.AWAITING_SUPPLEMENT,
            answered_at__isnull=True,
            deadline__lt=today,
        )
        .order_by("deadline")
        .values_list("dossier_id", "requested_at", "deadline")[:limit]
    )
    done = 0
    for dossier_id, requested_at, deadline in overdue:
        with translation.override(settings.LANGUAGE_CODE):
            reason = gettext(
                "The documents asked for on %(asked)s were not supplied by the deadline, "
                "%(deadline)s: the dossier is rejected."
            ) % {
                "asked": timezone.localdate(requested_at).strftime("%d/%m/%Y"),
                "deadline": deadline.strftime("%d/%m/%Y"),
            }
        try:
            transitions.perform(
                Dossier(pk=dossier_id), "reject", actor=transitions.SYSTEM_ACTOR, reason=reason
            )
        except DomainError:  # answered or moved on meanwhile
            continue
        done += 1
    return done
