"""Periodic jobs of the questions and feedback (scheduled in ``egov.celery``)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from engagement import feedback
from engagement.models import Feedback

# An unconfirmed feedback (its sender never entered the code) is deleted
# after this long, with its attachments.
UNVERIFIED_HOURS = 24


@shared_task(name="engagement.escalate_late_feedback")
def escalate_late_feedback() -> int:
    return feedback.escalate_late()


@shared_task(name="engagement.purge_unverified_feedback")
def purge_unverified_feedback() -> int:
    cutoff = timezone.now() - dt.timedelta(hours=UNVERIFIED_HOURS)
    removed = 0
    for item in Feedback.objects.filter(step=Feedback.Step.UNVERIFIED, created_at__lt=cutoff)[:500]:
        for attachment in item.attachments.all():
            attachment.file.delete(save=False)
        item.delete()
        removed += 1
    return removed
