"""Writes of online payment: start an attempt, apply what a provider says, and
finish a paid draft (submit it, issue the fee receipt).

Rules that hold however callbacks arrive (repeated, late, out of order, or
racing on two processes):

- Nothing is believed before its signature is checked; everything received is
  logged as a ``PaymentCallback`` with the outcome, refused or not.
- A refusal changes nothing: a forged signature, an unknown reference, an
  amount or currency other than the payment's (the payment stays pending).
- The dossier row, then the payment row, are locked before any change, so two
  callbacks for one dossier are applied one after the other.
- Success wins: a success marks a pending, failed or cancelled payment paid
  (the money was taken) and sets ``dossier.paid_at``; a failure never turns a
  paid payment back (``failure_after_paid``); a repeated success is a no-op
  (``already_paid``). The database allows one paid payment per dossier: a
  second, different payment succeeding for a paid dossier is recorded as
  ``duplicate_payment`` (its transaction kept, for a refund) and not applied.
- After commit, ``tasks.after_payment`` submits the draft with
  ``onecounter.intake.drafts.submit_online`` (idempotent) and renders the fee receipt;
  ``tasks.sweep_paid_payments`` redoes that for any paid payment left behind.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import status

from citizens.models import User
from egov.codes import ErrorCode
from egov.errors import ConflictError, DomainError, NotFoundError
from egov.queue import enqueue
from onecounter.models import (
    Dossier,
    DossierDocument,
    DossierStatus,
    Payment,
    PaymentCallback,
    new_payment_reference,
)
from onecounter.payments import base

logger = logging.getLogger(__name__)

MAX_PAYLOAD_KEYS = 60
MAX_PAYLOAD_VALUE = 1000
# Attempts one dossier may start within the window (a runaway client, not a citizen).
MAX_ATTEMPTS = 10
ATTEMPTS_WINDOW = dt.timedelta(minutes=15)


class TooManyAttempts(DomainError):
    code = ErrorCode.TOO_MANY_ATTEMPTS
    http_status = status.HTTP_429_TOO_MANY_REQUESTS
    default_message = _("Too many payment attempts for this dossier. Try again in a few minutes.")


class Outcome(enum.StrEnum):
    """What a callback or return did (stored in ``PaymentCallback.outcome``)."""

    PAID = "paid"
    ALREADY_PAID = "already_paid"
    DUPLICATE_PAYMENT = "duplicate_payment"
    FAILED = "failed"
    CANCELLED = "cancelled"
    FAILURE_AFTER_PAID = "failure_after_paid"
    ALREADY_CLOSED = "already_closed"
    SIGNATURE_INVALID = "signature_invalid"
    UNKNOWN_REFERENCE = "unknown_reference"
    WRONG_AMOUNT = "wrong_amount"
    WRONG_CURRENCY = "wrong_currency"
    ERROR = "error"


REFUSED = frozenset(
    {
        Outcome.SIGNATURE_INVALID,
        Outcome.UNKNOWN_REFERENCE,
        Outcome.WRONG_AMOUNT,
        Outcome.WRONG_CURRENCY,
        Outcome.ERROR,
    }
)


@dataclass(frozen=True)
class CallbackOutcome:
    outcome: Outcome
    payment: Payment | None
    result: base.Result

    @property
    def accepted(self) -> bool:
        return self.outcome not in REFUSED


# --- Starting -------------------------------------------------------------------------


def payment_required(dossier: Dossier) -> bool:
    """Whether the dossier must be paid online before it is submitted: an online
    dossier of a full-online procedure with a fee (as its handler works it out
    from the answers, e.g. a late registration's), not yet paid."""
    from onecounter.intake import drafts

    return dossier.channel == Dossier.Channel.ONLINE and drafts.payment_required(dossier)


def _amount(dossier: Dossier) -> int:
    from onecounter.intake import drafts

    return drafts.online_fee(dossier)


@transaction.atomic
def payment_start(
    *, dossier: Dossier, actor: User, ip: str, return_url: str | None = None
) -> tuple[Payment, str]:
    """A new attempt to pay the dossier's online fee, and the URL to send the
    citizen to. Only the dossier's applicant may pay (others: ``NotFoundError``);
    a dossier that is free, paid or no longer a draft is ``not_payable``.

    Every attempt is a new ``Payment`` with its own reference; an earlier
    attempt left pending (abandoned) does not block a new one (up to
    ``MAX_ATTEMPTS`` in ``ATTEMPTS_WINDOW``: ``TooManyAttempts``, HTTP 429).
    ``return_url`` should be absolute (``request.build_absolute_uri``)."""
    locked = (
        Dossier.objects.select_for_update(of=("self",))
        .select_related("procedure")
        .filter(pk=dossier.pk)
        .first()
    )
    if locked is None or not actor.is_authenticated or locked.applicant_id != actor.pk:
        raise NotFoundError()
    if locked.status != DossierStatus.DRAFT or not payment_required(locked):
        raise ConflictError(
            _("There is nothing to pay for this dossier."),
            code=ErrorCode.NOT_PAYABLE,
            data={"status": locked.status, "paid": locked.paid_at is not None},
        )
    recent = locked.payments.filter(created_at__gte=timezone.now() - ATTEMPTS_WINDOW)
    if recent.count() >= MAX_ATTEMPTS:
        raise TooManyAttempts()
    provider = base.default_provider()
    payment = Payment.objects.create(
        dossier=locked,
        provider=provider.name,
        reference=new_payment_reference(),
        amount=_amount(locked),
        currency="VND",
    )
    url = provider.start(
        payment, return_url or reverse("payments:return", args=[provider.name]), ip
    )
    return payment, url


# --- Callbacks and returns ---------------------------------------------------------------


def payment_callback(
    *, provider: str, params: Mapping[str, str], source: str = "callback"
) -> CallbackOutcome:
    """Apply what ``provider`` says in ``params`` (``source``: ``"callback"``
    for server to server, ``"return"`` for the browser). Always logged.
    ``NotFoundError`` when the provider is not enabled."""
    impl = base.get_provider(provider)
    received = {str(key): str(value) for key, value in params.items()}
    result = impl.verify_return(received) if source == "return" else impl.verify_callback(received)
    payload = _payload(received, source)
    try:
        with transaction.atomic():
            outcome, payment = _apply(impl.name, result)
            PaymentCallback.objects.create(
                payment=payment,
                provider=impl.name,
                payload=payload,
                signature_valid=result.signature_ok,
                outcome=outcome,
            )
            if outcome == Outcome.PAID and payment is not None:
                paid_id = payment.pk
                transaction.on_commit(lambda: _after_commit(paid_id))
    except Exception:
        logger.exception("payment %s from %s failed", source, impl.name)
        PaymentCallback.objects.create(
            provider=impl.name,
            payload=payload,
            signature_valid=result.signature_ok,
            outcome=Outcome.ERROR,
        )
        raise
    if outcome in REFUSED:
        logger.warning("payment %s from %s refused: %s", source, impl.name, outcome)
    return CallbackOutcome(outcome, payment, result)


def _payload(received: dict[str, str], source: str) -> dict[str, Any]:
    """The parameters as received (bounded in size), and where they came from."""
    kept = dict(list(received.items())[:MAX_PAYLOAD_KEYS])
    return {
        "source": source,
        "params": {key[:100]: value[:MAX_PAYLOAD_VALUE] for key, value in kept.items()},
    }


def _apply(provider: str, result: base.Result) -> tuple[Outcome, Payment | None]:
    found = (
        Payment.objects.filter(reference=result.reference, provider=provider).first()
        if result.reference
        else None
    )
    if not result.signature_ok:
        return Outcome.SIGNATURE_INVALID, found
    if found is None:
        return Outcome.UNKNOWN_REFERENCE, None
    # Lock order: the dossier, then the payment (every path takes them so).
    dossier = Dossier.objects.select_for_update().get(pk=found.dossier_id)
    payment = Payment.objects.select_for_update().get(pk=found.pk)
    if result.currency != payment.currency:
        return Outcome.WRONG_CURRENCY, payment
    if result.amount != payment.amount:
        return Outcome.WRONG_AMOUNT, payment
    now = timezone.now()
    if result.success:
        if payment.status == Payment.Status.PAID:
            return Outcome.ALREADY_PAID, payment
        if dossier.paid_at is not None:
            # Paid twice (two attempts both went through): keep the proof for a refund.
            if not payment.provider_transaction:
                payment.provider_transaction = result.provider_transaction[:64]
                payment.save(update_fields=["provider_transaction"])
            logger.warning("dossier %s paid twice: payment %s to refund", dossier.pk, payment.pk)
            return Outcome.DUPLICATE_PAYMENT, payment
        payment.status = Payment.Status.PAID
        payment.provider_transaction = result.provider_transaction[:64]
        payment.paid_at = now
        payment.save(update_fields=["status", "provider_transaction", "paid_at"])
        dossier.paid_at = now
        dossier.updated_at = now
        dossier.save(update_fields=["paid_at", "updated_at"])
        return Outcome.PAID, payment
    if payment.status == Payment.Status.PAID:
        return Outcome.FAILURE_AFTER_PAID, payment
    if payment.status != Payment.Status.PENDING:
        return Outcome.ALREADY_CLOSED, payment
    if result.cancelled:
        payment.status = Payment.Status.CANCELLED
        outcome = Outcome.CANCELLED
    else:
        payment.status = Payment.Status.FAILED
        outcome = Outcome.FAILED
    payment.save(update_fields=["status"])
    return outcome, payment


def _after_commit(payment_id) -> None:
    enqueue_after_payment(payment_id)


def enqueue_after_payment(payment_id) -> bool:
    """Called on commit. A broker outage must not fail the gateway's callback:
    the payment is committed, and the sweep picks it up later."""
    return enqueue("onecounter.payments.after_payment", str(payment_id))


# --- After payment ---------------------------------------------------------------------


def payment_submit(*, payment: Payment) -> Dossier:
    """Send the paid draft to the one-stop desk with ``drafts.submit_online``
    (idempotent: a dossier already sent comes back as it is). A draft that is
    not ready to be sent stays a draft: retrying would not help, and the
    citizen can send it from the filing flow, already paid."""
    from onecounter.intake import drafts

    dossier = Dossier.objects.select_related("applicant").get(pk=payment.dossier_id)
    if dossier.status != DossierStatus.DRAFT or payment.status != Payment.Status.PAID:
        return dossier
    try:
        return drafts.submit_online(dossier=dossier, actor=dossier.applicant)
    except DomainError as exc:
        logger.warning("paid dossier %s not submitted: %s", dossier.pk, exc.code)
        return dossier


def payment_after_paid(*, payment: Payment) -> DossierDocument | None:
    """Submit the paid draft and issue its fee receipt. Safe to run twice and
    late: the submission is idempotent and the receipt is rendered once. Returns
    the receipt, or ``None`` while the dossier is not sent yet."""
    from onecounter.payments import receipts  # the PDF machinery, loaded when needed

    payment = Payment.objects.get(pk=payment.pk)
    if payment.status != Payment.Status.PAID:
        return None
    dossier = payment_submit(payment=payment)
    if dossier.status == DossierStatus.DRAFT or not dossier.code:
        return None
    return receipts.render_fee_receipt(payment)


def fee_receipt(payment: Payment) -> DossierDocument | None:
    """The payment's fee receipt, rendered now if it is still missing."""
    from onecounter.payments import receipts

    document = DossierDocument.objects.filter(
        dossier_id=payment.dossier_id,
        kind=DossierDocument.Kind.FEE_RECEIPT,
        key=receipts.fee_receipt_key(payment),
    ).first()
    if document is not None and document.file:
        return document
    return payment_after_paid(payment=payment)
