"""The civil-registry channel: the connector to the external civil-status
registry (the Ministry of Justice's registration software): the signed
delivery out, and the writes of its callback in (``outcome_record``,
``callback_log``; the view is ``interconnect.views_registry``).

The channel (``CivilRegistryChannel``, name ``civil_registry``) delivers a
handoff with ``post_birth(handoff)``. It POSTs the handoff's payload as canonical JSON (keys
sorted, compact, UTF-8) to ``settings.EGOV_CIVIL_REGISTRY_URL`` with::

    Content-Type:       application/json; charset=utf-8
    X-Egov-Timestamp:   <unix seconds>
    X-Egov-Signature:   hex HMAC-SHA256(secret, "<timestamp>." + body)
    X-Egov-Message-Id:  <uuid of this message>
    Idempotency-Key:    <handoff.key>

A 2xx answer with JSON ``{"reference": "..."}`` is a ``Reply``; anything else
(another status, a body that is not that JSON, a timeout, a refused
connection) raises ``DeliveryFailed`` so the task retries. The registry
answers later through the signed callback (``views_registry``), with the same
signature scheme. See docs/civil-registry-connector.md.

Only HTTPS is accepted, except for a registry on this machine (127.0.0.1,
localhost, ::1), which the tests run.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from egov.codes import ErrorCode
from egov.errors import ConflictError
from interconnect.channels import Channel, canonical_json, register
from interconnect.errors import DeliveryFailed
from interconnect.models import Handoff, HandoffMessage

if TYPE_CHECKING:
    import datetime as dt

# How much of a reply the message log keeps.
RESPONSE_MAX = 4000

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# How much of a receiver's answer is kept in an error (the message log keeps it).
MAX_BODY_KEPT = 4000


@register
class CivilRegistryChannel(Channel):
    """Delivered once the registry acknowledges it; its outcome comes later by
    the signed callback. The birth's results do not wait for it."""

    name = "civil_registry"
    awaited = False

    def deliver(self, handoff: Handoff, message: HandoffMessage, now: dt.datetime) -> None:
        reply = post_birth(handoff, message_id=message.pk)
        message.response_status = reply.status
        message.response = (reply.body or "")[:RESPONSE_MAX]
        if reply.request_sha256:
            message.request_sha256 = reply.request_sha256
        handoff.external_reference = (reply.reference or "")[:100]


@dataclass(frozen=True)
class Reply:
    """What the registry answered to an accepted delivery."""

    status: int
    body: str
    reference: str
    message_id: str = ""
    request_sha256: str = ""


def enabled() -> bool:
    """The connector is on when both the URL and the secret are configured."""
    return bool(settings.EGOV_CIVIL_REGISTRY_URL and settings.EGOV_CIVIL_REGISTRY_SECRET)


def body_for(handoff: Handoff) -> bytes:
    """The exact bytes posted for a handoff (and signed)."""
    return canonical_json(handoff.payload)


def sign(body: bytes, timestamp: str | int, secret: str) -> str:
    """Hex HMAC-SHA256 of ``<timestamp>.<body>`` with the shared secret."""
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verify(body: bytes, timestamp: str | int, signature: str, secret: str) -> bool:
    """Whether ``signature`` is the right one (compared in constant time)."""
    if not secret or not signature:
        return False
    expected = sign(body, timestamp, secret)
    return hmac.compare_digest(expected, signature.strip().lower())


def request_sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def check_url(url: str) -> None:
    """HTTPS only, except a registry on this machine (the tests)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host:
        raise DeliveryFailed(f"The civil-status registry URL has no host: {url!r}")
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and host in LOCAL_HOSTS:
        return
    raise DeliveryFailed(
        "The civil-status registry must be reached over HTTPS "
        f"(plain HTTP only on this machine), not {parts.scheme}://{host}"
    )


def _kept(text: str) -> str:
    return text[:MAX_BODY_KEPT]


def post_birth(handoff: Handoff, *, message_id: str | uuid.UUID | None = None) -> Reply:
    """Deliver a registered birth to the external registry (see the module doc).

    ``message_id`` is the id of the message as logged by the caller (a new one
    when not given); the registry receives it as ``X-Egov-Message-Id``.
    Idempotent on the registry's side through ``Idempotency-Key``: a retry of
    the same handoff carries the same key and the same body.
    """
    url = settings.EGOV_CIVIL_REGISTRY_URL
    secret = settings.EGOV_CIVIL_REGISTRY_SECRET
    if not (url and secret):
        raise DeliveryFailed("The civil-status registry connector is not configured.")
    check_url(url)
    body = body_for(handoff)
    timestamp = str(int(time.time()))
    message_id = str(message_id or uuid.uuid4())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "Accept": "application/json",
        "X-Egov-Timestamp": timestamp,
        "X-Egov-Signature": sign(body, timestamp, secret),
        "X-Egov-Message-Id": message_id,
        "Idempotency-Key": handoff.key,
    }
    try:
        response = requests.post(
            url,
            data=body,
            headers=headers,
            timeout=settings.EGOV_CIVIL_REGISTRY_TIMEOUT,
            allow_redirects=False,
        )
    except requests.Timeout as exc:
        raise DeliveryFailed(
            f"The civil-status registry did not answer within "
            f"{settings.EGOV_CIVIL_REGISTRY_TIMEOUT} s ({type(exc).__name__})."
        ) from exc
    except requests.RequestException as exc:
        raise DeliveryFailed(
            f"The civil-status registry could not be reached: {type(exc).__name__}: {exc}"
        ) from exc

    text = response.text
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(
            f"The civil-status registry answered HTTP {response.status_code}.",
            status=response.status_code,
            body=_kept(text),
        )
    try:
        data = response.json()
    except ValueError as exc:
        raise DeliveryFailed(
            "The civil-status registry's answer is not JSON.",
            status=response.status_code,
            body=_kept(text),
        ) from exc
    reference = data.get("reference") if isinstance(data, dict) else None
    if not isinstance(reference, str | int) or isinstance(reference, bool) or reference == "":
        raise DeliveryFailed(
            "The civil-status registry's answer has no reference.",
            status=response.status_code,
            body=_kept(text),
        )
    return Reply(
        status=response.status_code,
        body=_kept(text),
        reference=str(reference),
        message_id=message_id,
        request_sha256=request_sha256(body),
    )


# --- The callback's writes ---------------------------------------------------------------------

OUTCOMES = {"registered": Handoff.Status.COMPLETED, "rejected": Handoff.Status.REFUSED}
# A handoff in one of these states may still receive its outcome (a callback can
# overtake the delivery task's own bookkeeping, or follow an attempt that timed
# out on the portal's side but reached the registry).
OPEN_STATUSES = (Handoff.Status.PENDING, Handoff.Status.DELIVERED, Handoff.Status.FAILED)


def outcome_record(*, handoff_id: Any, outcome: str, reference: str, note: str) -> bool:
    """Record the registry's outcome for a handoff, once, under its row lock:
    ``registered`` completes it with the registry's reference, ``rejected``
    refuses it with the note. Returns False when this outcome was already
    recorded (nothing changes); raises ``ConflictError`` when it contradicts
    the recorded one."""
    wanted = OUTCOMES[outcome]
    with transaction.atomic():
        handoff = Handoff.objects.select_for_update().get(pk=handoff_id)
        if handoff.status == wanted and (
            wanted == Handoff.Status.REFUSED or handoff.external_reference == reference
        ):
            return False
        if handoff.status not in OPEN_STATUSES:
            raise ConflictError(
                _("This contradicts the outcome already recorded for the handoff."),
                code=ErrorCode.CONFLICT,
                data={"status": handoff.status, "reference": handoff.external_reference},
            )
        now = timezone.now()
        handoff.status = wanted
        handoff.finished_at = now
        handoff.delivered_at = handoff.delivered_at or now
        handoff.next_attempt_at = None
        if reference:
            handoff.external_reference = reference
        if note or wanted == Handoff.Status.REFUSED:
            handoff.outcome_note = note
        handoff.save(
            update_fields=[
                "status",
                "finished_at",
                "delivered_at",
                "next_attempt_at",
                "external_reference",
                "outcome_note",
            ]
        )
    return True


def callback_log(
    *, handoff: Handoff, body: bytes, status: int, response: str, error: str, started: dt.datetime
) -> HandoffMessage:
    """Log one callback received for the handoff (valid or not)."""
    return HandoffMessage.objects.create(
        handoff=handoff,
        direction=HandoffMessage.Direction.IN,
        dossier_ref=handoff.dossier.code or str(handoff.dossier_id),
        kind="callback",
        request_sha256=request_sha256(body),
        response_status=status,
        response=response[:MAX_BODY_KEPT],
        error=error,
        started_at=started,
        finished_at=timezone.now(),
    )
