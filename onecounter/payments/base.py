"""The payment provider interface, the result of a verification, and the registry.

A provider knows three things: how to send the citizen to pay (``start``
returns the URL to redirect the browser to), how to check what comes back
through the browser (``verify_return``) and server to server
(``verify_callback``), and how to answer a callback (``answer_callback``).
It never touches the database: ``services`` decides what a verified result
means for the payment and the dossier.

Both providers sign the same way, as VNPAY does: the parameters sorted by key,
each value URL-encoded with ``quote_plus``, joined ``key=value&...``, and the
HMAC-SHA512 of that string with the shared secret, in lowercase hex.

``get_provider(name)`` answers only for an enabled provider: the one named by
``EGOV_PAYMENT_PROVIDER``, and VNPAY too whenever its hash secret is set (so
that callbacks for payments started before a switch still verify). Anything
else raises ``NotFoundError``: a callback to a disabled provider is a 404.
"""

from __future__ import annotations

import abc
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote_plus

from django.conf import settings
from django.utils.module_loading import import_string

from egov.codes import ErrorCode
from egov.errors import NotFoundError

if TYPE_CHECKING:
    from onecounter.models import Payment

PROVIDERS: dict[str, str] = {
    "vnpay": "onecounter.payments.vnpay.VnpayProvider",
    "test": "onecounter.payments.test.TestGateway",
}


@dataclass(frozen=True)
class Result:
    """What a provider says about one payment, once its signature is checked.

    ``amount`` is in the payment's currency unit (đồng), ``None`` when the
    provider's figure could not be read. ``success`` means the money was taken;
    ``cancelled`` that the citizen gave up (a kind of failure).
    """

    signature_ok: bool
    reference: str
    amount: int | None
    currency: str
    success: bool
    provider_transaction: str = ""
    cancelled: bool = False
    response_code: str = ""


class Provider(abc.ABC):
    name: ClassVar[str]
    # How the fee receipt names the way the fee was paid (Vietnamese, official text).
    receipt_label: ClassVar[str]

    @abc.abstractmethod
    def start(self, payment: Payment, return_url: str, ip: str) -> str:
        """The URL to send the citizen's browser to, to pay ``payment``."""

    @abc.abstractmethod
    def verify_return(self, params: Mapping[str, str]) -> Result:
        """Check what the browser brought back to the return URL."""

    @abc.abstractmethod
    def verify_callback(self, params: Mapping[str, str]) -> Result:
        """Check a server-to-server notification."""

    @abc.abstractmethod
    def answer_callback(self, outcome: str) -> tuple[dict[str, Any], int]:
        """The JSON body and HTTP status to answer a callback with."""


# --- Signing -------------------------------------------------------------------------


def canonical_query(params: Mapping[str, Any]) -> str:
    """``key=value&...`` sorted by key, values URL-encoded with ``quote_plus``."""
    return "&".join(f"{key}={quote_plus(str(params[key]))}" for key in sorted(params))


def hmac_sha512(secret: str, data: str) -> str:
    return hmac.new(secret.encode("utf-8"), data.encode("utf-8"), hashlib.sha512).hexdigest()


def signature_matches(secret: str, data: str, given: str) -> bool:
    if not secret or not given:
        return False
    return hmac.compare_digest(hmac_sha512(secret, data), given.strip().lower())


def parse_int(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None


# --- Registry ------------------------------------------------------------------------


def enabled_names() -> set[str]:
    names = {settings.EGOV_PAYMENT_PROVIDER}
    if getattr(settings, "VNPAY_HASH_SECRET", ""):
        names.add("vnpay")
    return names & set(PROVIDERS)


def get_provider(name: str) -> Provider:
    if name not in enabled_names():
        raise NotFoundError(code=ErrorCode.UNKNOWN_PROVIDER)
    return import_string(PROVIDERS[name])()


def default_provider() -> Provider:
    return get_provider(settings.EGOV_PAYMENT_PROVIDER)
