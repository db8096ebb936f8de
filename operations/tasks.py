"""Background jobs of the failures page (enqueued by name after commit).

operations.deliver_notice   send the unsent channels of one notice again
"""

from __future__ import annotations

from celery import shared_task


@shared_task(name="operations.deliver_notice", acks_late=True)
def deliver_notice(notification_id: str) -> bool:
    """Deliver the notice's unsent channels (idempotent: a sent channel is
    not sent twice; a failure is recorded on the notice, not raised)."""
    from onecounter.notifications import services as notifications

    return notifications.deliver(notification_id)
