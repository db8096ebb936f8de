"""Background jobs of online payment. Each takes ids and is safe to run twice.

The paid ``Payment`` row is the outbox: ``after_payment`` is enqueued after the
commit that marked it paid, and ``sweep_paid_payments`` (Celery beat) enqueues
it again for any paid payment whose dossier is still a draft or whose fee
receipt is missing, e.g. after a broker outage or a crash.
"""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.db.models import CharField, Exists, OuterRef, Q, Value
from django.db.models.functions import Concat
from django.utils import timezone

logger = logging.getLogger(__name__)


@shared_task(
    name="onecounter.payments.after_payment",
    autoretry_for=(Exception,),
    retry_backoff=10,
    retry_backoff_max=600,
    max_retries=8,
)
def after_payment(payment_id: str) -> None:
    """Submit the paid draft and render its fee receipt."""
    from onecounter.models import Payment
    from onecounter.payments import services

    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is not None:
        services.payment_after_paid(payment=payment)


@shared_task(name="onecounter.payments.sweep_paid_payments")
def sweep_paid_payments(
    older_than_seconds: int | None = None, within_days: int = 30, limit: int = 200
) -> int:
    """Re-send the follow-up of paid payments whose draft is not submitted or
    whose fee receipt is missing (older than ``EGOV_SWEEP_AFTER_SECONDS``,
    once per lease: egov.queue.lease)."""
    from egov.queue import lease, sweep_after_seconds
    from onecounter.models import DossierDocument, DossierStatus, Payment
    from onecounter.payments import services

    if older_than_seconds is None:
        older_than_seconds = sweep_after_seconds()
    now = timezone.now()
    receipt = DossierDocument.objects.filter(
        dossier_id=OuterRef("dossier_id"),
        kind=DossierDocument.Kind.FEE_RECEIPT,
        key=Concat(Value("payment-"), OuterRef("reference"), output_field=CharField()),
    ).exclude(file="")
    ids = list(
        Payment.objects.filter(
            status=Payment.Status.PAID,
            paid_at__lt=now - dt.timedelta(seconds=older_than_seconds),
            paid_at__gte=now - dt.timedelta(days=within_days),
        )
        .filter(Q(dossier__status=DossierStatus.DRAFT) | ~Exists(receipt))
        .order_by("paid_at")
        .values_list("pk", flat=True)[:limit]
    )
    ids = [payment_id for payment_id in ids if lease("payment", payment_id)]
    for payment_id in ids:
        services.enqueue_after_payment(payment_id)
    return len(ids)
