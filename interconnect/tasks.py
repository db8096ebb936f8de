"""Background jobs of the interconnection. Each takes ids, is safe to run twice
(or late, or at the same time as another run) and is enqueued after commit.

    interconnect.deliver_handoff   deliver one handoff (retries itself with backoff)
    interconnect.sweep_handoffs    (beat, every EGOV_SWEEP_SECONDS) re-send what is pending and
                                   due, and join dossiers whose handoffs all finished
"""

from __future__ import annotations

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="interconnect.deliver_handoff", acks_late=True)
def deliver_handoff(handoff_id: str) -> str:
    """Deliver the handoff if it is still pending and due. A failed attempt is
    recorded on the handoff; the next one is scheduled after the backoff (the
    sweep sends it too, should this schedule be lost)."""
    from interconnect import services

    outcome = services.handoff_deliver(handoff_id)
    if outcome.code == "retry":
        services.enqueue_delivery(handoff_id, countdown=outcome.delay)
    return outcome.code


@shared_task(name="interconnect.sweep_handoffs")
def sweep_handoffs(limit: int = 200) -> int:
    """Re-enqueue pending handoffs whose next attempt is due or whose task was
    lost (older than EGOV_SWEEP_AFTER_SECONDS without an attempt and not being
    delivered), and join the dossiers whose
    handoffs have all finished. Returns how many handoffs were re-enqueued."""
    from interconnect import services

    ids = services.due_for_sweep(limit=limit)
    for handoff_id in ids:
        services.enqueue_delivery(handoff_id)
    for dossier_id in services.unjoined_dossiers(limit=limit):
        try:
            services.handoff_join_now(dossier_id)
        except Exception:  # noqa: BLE001 - one dossier must not stop the sweep
            logger.exception("join of dossier %s failed", dossier_id)
    return len(ids)
