"""Reads of online payment, scoped to who asks. ``None`` means "not yours"
(a 404 to the caller: nothing is revealed about other people's dossiers)."""

from __future__ import annotations

from typing import Any

from citizens.models import User
from citizens.permissions import has_role
from onecounter.models import Dossier, Payment
from onecounter.selectors import DOSSIER_ROLES


def dossier_for_owner(user: User, pk: Any) -> Dossier | None:
    if not user.is_authenticated:
        return None
    return (
        Dossier.objects.select_related("procedure", "agency").filter(pk=pk, applicant=user).first()
    )


def payment_for_owner(user: User, *, pk: Any = None, reference: str = "") -> Payment | None:
    if not user.is_authenticated or not (pk or reference):
        return None
    payments = Payment.objects.select_related("dossier__procedure", "dossier__agency").filter(
        dossier__applicant=user
    )
    payments = payments.filter(pk=pk) if pk else payments.filter(reference=reference)
    return payments.first()


def payment_for_receipt(user: User, pk: Any) -> tuple[Payment | None, bool]:
    """The paid payment ``pk`` if ``user`` may see its receipt, and whether as
    the owner (else as staff of the dossier's agency)."""
    if not user.is_authenticated:
        return None, False
    payment = (
        Payment.objects.select_related("dossier__procedure", "dossier__agency")
        .filter(pk=pk, status=Payment.Status.PAID)
        .first()
    )
    if payment is None:
        return None, False
    if payment.dossier.applicant_id == user.pk:
        return payment, True
    if has_role(user, payment.dossier.agency, DOSSIER_ROLES):
        return payment, False
    return None, False


def paid_payment(dossier: Dossier) -> Payment | None:
    return dossier.payments.filter(status=Payment.Status.PAID).first()
