"""A VNPAY-style payment gateway (API version 2.1.0).

Start: the browser is sent to ``VNPAY_URL`` with the parameters below, sorted
by key, URL-encoded with ``quote_plus`` and signed with the HMAC-SHA512 of that
query string under ``VNPAY_HASH_SECRET`` (``vnp_SecureHash``, lowercase hex):

    vnp_Version=2.1.0  vnp_Command=pay  vnp_TmnCode  vnp_Amount (đồng × 100)
    vnp_CurrCode=VND  vnp_TxnRef (the payment's reference)  vnp_OrderInfo
    vnp_OrderType=other  vnp_Locale (vn/en)  vnp_ReturnUrl  vnp_IpAddr
    vnp_CreateDate, vnp_ExpireDate (yyyyMMddHHmmss, Asia/Ho_Chi_Minh)

Return (browser, GET to the return URL) and IPN (server to server, GET to the
callback URL configured at VNPAY: ``/payments/callback/vnpay/``) are verified
the same way: every ``vnp_`` parameter except ``vnp_SecureHash`` and
``vnp_SecureHashType``, sorted, encoded, hashed and compared in constant time.
The money was taken when ``vnp_ResponseCode`` and ``vnp_TransactionStatus``
are both ``00``; response code ``24`` is the citizen cancelling.

The IPN is answered as VNPAY expects, ``{"RspCode": ..., "Message": ...}``
with HTTP 200: ``00`` confirmed (a success or a failure recorded), ``01`` order
not found, ``02`` already confirmed (no change made), ``04`` invalid amount,
``97`` invalid signature, ``99`` anything else. VNPAY retries an IPN answered
otherwise than ``00`` or ``02``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation

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

VERSION = "2.1.0"
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
DATE_FORMAT = "%Y%m%d%H%M%S"
HASH_PARAMS_EXCLUDED = frozenset({"vnp_SecureHash", "vnp_SecureHashType"})
SUCCESS = "00"
CANCELLED_BY_CUSTOMER = "24"

# Outcome of services.payment_callback → (RspCode, Message).
IPN_ANSWERS: dict[str, tuple[str, str]] = {
    "paid": ("00", "Confirm Success"),
    "failed": ("00", "Confirm Success"),
    "cancelled": ("00", "Confirm Success"),
    "already_paid": ("02", "Order already confirmed"),
    "failure_after_paid": ("02", "Order already confirmed"),
    "already_closed": ("02", "Order already confirmed"),
    "duplicate_payment": ("02", "Order already confirmed"),
    "unknown_reference": ("01", "Order not found"),
    "wrong_amount": ("04", "Invalid amount"),
    "wrong_currency": ("04", "Invalid amount"),
    "signature_invalid": ("97", "Invalid signature"),
}
IPN_OTHER = ("99", "Unknown error")


def format_date(moment: dt.datetime) -> str:
    return moment.astimezone(HANOI).strftime(DATE_FORMAT)


def sign(params: Mapping[str, Any], secret: str) -> str:
    return hmac_sha512(secret, canonical_query(params))


def hashed_params(params: Mapping[str, str]) -> dict[str, str]:
    return {
        key: value
        for key, value in params.items()
        if key.startswith("vnp_") and key not in HASH_PARAMS_EXCLUDED
    }


class VnpayProvider(Provider):
    name = "vnpay"
    receipt_label = "Trực tuyến qua cổng thanh toán VNPAY"

    def __init__(self) -> None:
        self.url = settings.VNPAY_URL
        self.tmn_code = settings.VNPAY_TMN_CODE
        self.secret = settings.VNPAY_HASH_SECRET
        self.expire_minutes = int(getattr(settings, "VNPAY_EXPIRE_MINUTES", 15))

    def request_params(self, payment: Payment, return_url: str, ip: str) -> dict[str, str]:
        """The unsigned request parameters for ``payment``."""
        created = payment.created_at
        language = translation.get_language() or settings.LANGUAGE_CODE
        return {
            "vnp_Version": VERSION,
            "vnp_Command": "pay",
            "vnp_TmnCode": self.tmn_code,
            "vnp_Amount": str(payment.amount * 100),
            "vnp_CurrCode": payment.currency,
            "vnp_TxnRef": payment.reference,
            # ASCII only, no personal data: VNPAY shows it on its page and statements.
            "vnp_OrderInfo": f"Thanh toan phi le phi ho so {payment.reference}",
            "vnp_OrderType": "other",
            "vnp_Locale": "en" if language.startswith("en") else "vn",
            "vnp_ReturnUrl": return_url,
            "vnp_IpAddr": ip or "127.0.0.1",
            "vnp_CreateDate": format_date(created),
            "vnp_ExpireDate": format_date(created + dt.timedelta(minutes=self.expire_minutes)),
        }

    def start(self, payment: Payment, return_url: str, ip: str) -> str:
        if not (self.url and self.tmn_code and self.secret):
            raise ImproperlyConfigured(
                "VNPAY_URL, VNPAY_TMN_CODE and VNPAY_HASH_SECRET must be set to pay with VNPAY."
            )
        params = self.request_params(payment, return_url, ip)
        query = canonical_query(params)
        return f"{self.url}?{query}&vnp_SecureHash={hmac_sha512(self.secret, query)}"

    def verify(self, params: Mapping[str, str]) -> Result:
        data = hashed_params(params)
        signature_ok = signature_matches(
            self.secret, canonical_query(data), params.get("vnp_SecureHash", "")
        )
        raw_amount = parse_int(params.get("vnp_Amount"))
        amount = raw_amount // 100 if raw_amount is not None and raw_amount % 100 == 0 else None
        response_code = params.get("vnp_ResponseCode", "")
        return Result(
            signature_ok=signature_ok,
            reference=params.get("vnp_TxnRef", ""),
            amount=amount,
            currency=params.get("vnp_CurrCode", "VND"),
            success=response_code == SUCCESS and params.get("vnp_TransactionStatus") == SUCCESS,
            provider_transaction=params.get("vnp_TransactionNo", ""),
            cancelled=response_code == CANCELLED_BY_CUSTOMER,
            response_code=response_code,
        )

    def verify_return(self, params: Mapping[str, str]) -> Result:
        return self.verify(params)

    def verify_callback(self, params: Mapping[str, str]) -> Result:
        return self.verify(params)

    def answer_callback(self, outcome: str) -> tuple[dict[str, Any], int]:
        code, message = IPN_ANSWERS.get(outcome, IPN_OTHER)
        return {"RspCode": code, "Message": message}, 200
