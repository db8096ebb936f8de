"""The fee receipt of a fee paid online or at the desk ("Biên lai thu phí, lệ
phí"): issued once per paid payment, keyed by its unique reference
(``payment-<reference>``: with a UUID the stored file name would pass the 100
characters of ``DossierDocument.file``), after the paid draft is submitted, so
it carries the dossier code. Rendered with the slips' machinery
(``onecounter.slips.documents``); its text is Vietnamese, like every official
document.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.module_loading import import_string

from egov.text import money
from egov.vietnamese import format_datetime, money_in_words, place_date
from onecounter.models import Dossier, DossierDocument, Payment
from onecounter.payments.base import PROVIDERS
from onecounter.slips.documents import SlipForm, issue, load, slip_form
from onecounter.transitions import CASH_PROVIDER

Kind = DossierDocument.Kind

FORM = SlipForm("", "Biên lai thu phí, lệ phí", "slips/fee_receipt.html")


def fee_receipt_key(payment: Payment) -> str:
    return f"payment-{payment.reference}"


def render_fee_receipt(payment: Payment) -> DossierDocument:
    """The fee receipt of a paid payment, rendered once. Safe to call again."""
    dossier = load(payment.dossier_id)
    return issue(
        dossier,
        Kind.FEE_RECEIPT,
        fee_receipt_key(payment),
        lambda _document: fee_receipt_context(dossier, payment),
        form=slip_form(Kind.FEE_RECEIPT, FORM),
    )


def payment_method(payment: Payment) -> str:
    """How the receipt names the way the fee was paid (the provider's own words)."""
    if payment.provider == CASH_PROVIDER:  # recorded at the one-stop desk
        return "Tiền mặt tại bộ phận một cửa"
    path = PROVIDERS.get(payment.provider)
    if path is None:
        return f"Trực tuyến ({payment.provider})"
    return import_string(path).receipt_label


def fee_receipt_context(dossier: Dossier, payment: Payment) -> dict[str, Any]:
    if payment.paid_at is None:
        raise LookupError(f"payment {payment.pk} is not paid")
    procedure = dossier.procedure
    return {
        "place_date": place_date(timezone.localdate(payment.paid_at)),
        "payment": payment,
        "payer": dossier.applicant_name,
        "procedure_text": (
            f"{procedure.name} (mã thủ tục {procedure.code})" if procedure.code else procedure.name
        ),
        "amount_text": money(payment.amount, unit="đồng", language="vi"),
        "amount_words": money_in_words(payment.amount),
        "method_text": payment_method(payment),
        "transaction_text": payment.provider_transaction or "—",
        "paid_at_text": format_datetime(payment.paid_at),
    }
