"""The built-in test gateway of the demo: a fake bank page served by the portal.

``start`` sends the citizen to ``/payments/test-gateway/<reference>/`` (with
the return URL in ``?return=``). That page, clearly labelled as a test
gateway, shows the amount with "Pay" and "Cancel" buttons; no money moves.
Its "Pay" does what a real gateway does: it signs the result, hands it to the
portal's callback code path (``services.payment_callback``, exactly what
``/payments/callback/test/`` runs), then sends the browser to the return URL
with the same kind of signed parameters.

Parameters (all signed, as VNPAY signs: sorted, ``quote_plus``, HMAC-SHA512):
``ref``, ``amount`` (đồng), ``currency``, ``status`` (``paid``, ``failed`` or
``cancelled``), ``transaction``, ``at`` (yyyyMMddHHmmss) and ``signature``.
The key is ``EGOV_TEST_PAYMENT_SECRET``, or one derived from ``SECRET_KEY``.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from onecounter.payments.base import (
    Provider,
    Result,
    canonical_query,
    hmac_sha512,
    parse_int,
    signature_matches,
)

if TYPE_CHECKING:
    from onecounter.models import Payment

PAID = "paid"
FAILED = "failed"
CANCELLED = "cancelled"
STATUSES = (PAID, FAILED, CANCELLED)


def secret() -> str:
    configured = getattr(settings, "EGOV_TEST_PAYMENT_SECRET", "")
    if configured:
        return configured
    return salted_hmac(
        "onecounter.payments.test", "test-gateway-secret", algorithm="sha512"
    ).hexdigest()


class TestGateway(Provider):
    __test__ = False  # not a pytest test class

    name = "test"
    receipt_label = "Trực tuyến qua cổng thanh toán thử nghiệm (không thu tiền thật)"

    def start(self, payment: Payment, return_url: str, ip: str) -> str:
        page = reverse("payments:test-gateway", args=[payment.reference])
        return f"{page}?{urlencode({'return': return_url})}"

    def signed_params(self, payment: Payment, status: str) -> dict[str, str]:
        """What the gateway sends back for ``payment`` ending in ``status``."""
        if status not in STATUSES:
            raise ValueError(f"unknown test gateway status {status!r}")
        params = {
            "ref": payment.reference,
            "amount": str(payment.amount),
            "currency": payment.currency,
            "status": status,
            "transaction": f"TEST{secrets.token_hex(6).upper()}" if status == PAID else "",
            "at": timezone.localtime().strftime("%Y%m%d%H%M%S"),
        }
        return {**params, "signature": hmac_sha512(secret(), canonical_query(params))}

    def verify(self, params: Mapping[str, str]) -> Result:
        data = {key: value for key, value in params.items() if key != "signature"}
        status = params.get("status", "")
        return Result(
            signature_ok=signature_matches(
                secret(), canonical_query(data), params.get("signature", "")
            ),
            reference=params.get("ref", ""),
            amount=parse_int(params.get("amount")),
            currency=params.get("currency", ""),
            success=status == PAID,
            provider_transaction=params.get("transaction", ""),
            cancelled=status == CANCELLED,
            response_code=status,
        )

    def verify_return(self, params: Mapping[str, str]) -> Result:
        return self.verify(params)

    def verify_callback(self, params: Mapping[str, str]) -> Result:
        return self.verify(params)

    def answer_callback(self, outcome: str) -> tuple[dict[str, Any], int]:
        refused = outcome in {
            "signature_invalid",
            "unknown_reference",
            "wrong_amount",
            "wrong_currency",
            "error",
        }
        return {"outcome": outcome, "accepted": not refused}, 400 if refused else 200
