"""The external civil-status registry's signed asynchronous callback
(namespace ``registry``, under /interconnect/).

    civil-registry/callback/   callback   POST, server to server; csrf-exempt, no session

The registry tells the outcome of a birth the portal delivered to it
(``channels.civil_registry.post_birth``)::

    POST /interconnect/civil-registry/callback/
    X-Egov-Timestamp: <unix seconds>
    X-Egov-Signature: hex HMAC-SHA256(secret, "<timestamp>." + body)

    {"idempotency_key": "<handoff key>", "status": "registered" | "rejected",
     "reference": "...", "note": "..."}

Answers JSON ``{"code", "message", "data"}``:

    200 ok / unchanged       applied, or the same outcome again (nothing changes)
    400 bad_request          not JSON, a field missing or wrong, no timestamp
    400 stale_timestamp      signed more than 5 minutes away from now
    401 bad_signature        the signature does not match
    404 unknown_handoff      no civil-registry handoff has this key
    404 connector_disabled   the connector is not configured here
    409 conflict             contradicts the outcome already recorded

Every call naming a known handoff is logged as a ``HandoffMessage`` (direction
in, kind ``callback``, the request's hash, the answer), valid or not. The
outcome is applied once, under a row lock: a repeated callback answers 200 again
and changes nothing. See docs/civil-registry-connector.md.
"""

from __future__ import annotations

import json
import time
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from egov.errors import ConflictError
from interconnect.channels import civil_registry
from interconnect.models import Handoff

# A callback signed further than this from the portal's clock is refused.
TIMESTAMP_WINDOW_SECONDS = 5 * 60
MAX_CALLBACK_BYTES = 64 * 1024
OUTCOMES = civil_registry.OUTCOMES


class CallbackError(Exception):
    def __init__(self, status: int, code: str, message: str, data: dict | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.data = data or {}


def _answer(status: int, code: str, message: str, data: dict | None = None) -> JsonResponse:
    return JsonResponse(
        {"code": code, "message": message, "data": data or {}},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


def _parse(body: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _known_handoff(data: dict[str, Any] | None) -> Handoff | None:
    key = data.get("idempotency_key") if data else None
    if not isinstance(key, str) or not key:
        return None
    return (
        Handoff.objects.filter(key=key, target=Handoff.Target.CIVIL_REGISTRY)
        .select_related("dossier")
        .first()
    )


def _check_signature(request: HttpRequest, body: bytes) -> None:
    timestamp = request.headers.get("X-Egov-Timestamp", "").strip()
    signature = request.headers.get("X-Egov-Signature", "").strip()
    if not signature:
        raise CallbackError(401, "bad_signature", _("The request is not signed."))
    if not timestamp.isdigit():
        raise CallbackError(
            400, "bad_request", _("X-Egov-Timestamp must be a Unix time in seconds.")
        )
    if not civil_registry.verify(body, timestamp, signature, settings.EGOV_CIVIL_REGISTRY_SECRET):
        raise CallbackError(401, "bad_signature", _("The signature does not match."))
    if abs(time.time() - int(timestamp)) > TIMESTAMP_WINDOW_SECONDS:
        raise CallbackError(
            400,
            "stale_timestamp",
            _("The request was signed more than 5 minutes away from the portal's clock."),
        )


def _validated(data: dict[str, Any] | None) -> tuple[str, str, str, str]:
    if data is None:
        raise CallbackError(400, "bad_request", _("The body must be a JSON object."))
    key = data.get("idempotency_key")
    outcome = data.get("status")
    reference = data.get("reference", "")
    note = data.get("note", "")
    errors: dict[str, str] = {}
    if not isinstance(key, str) or not key:
        errors["idempotency_key"] = _("Required.")
    if outcome not in OUTCOMES:
        errors["status"] = _("Must be “registered” or “rejected”.")
    if reference is None:
        reference = ""
    if not isinstance(reference, str) or len(reference) > 100:
        errors["reference"] = _("A text of at most 100 characters.")
    elif outcome == "registered" and not reference.strip():
        errors["reference"] = _("Required when the birth is registered.")
    if note is None:
        note = ""
    if not isinstance(note, str) or len(note) > 2000:
        errors["note"] = _("A text of at most 2000 characters.")
    elif outcome == "rejected" and not note.strip():
        errors["note"] = _("Required when the birth is rejected: the reason.")
    if errors:
        raise CallbackError(400, "bad_request", _("Some of the information is not valid."), errors)
    return key, outcome, reference.strip(), note.strip()


@csrf_exempt
@never_cache
@require_POST
def callback(request: HttpRequest) -> JsonResponse:
    if not civil_registry.enabled():
        return _answer(
            404, "connector_disabled", _("The civil-status registry connector is switched off.")
        )
    started = timezone.now()
    body = request.body
    if len(body) > MAX_CALLBACK_BYTES:
        return _answer(400, "bad_request", _("The request is too large."))
    data = _parse(body)
    handoff = _known_handoff(data)
    data_out: dict[str, Any] = {}
    try:
        _check_signature(request, body)
        _key, outcome, reference, note = _validated(data)
        if handoff is None:
            raise CallbackError(404, "unknown_handoff", _("No handoff has this key."))
        try:
            changed = civil_registry.outcome_record(
                handoff_id=handoff.pk, outcome=outcome, reference=reference, note=note
            )
        except ConflictError as exc:
            raise CallbackError(409, exc.code, str(exc.message), exc.data) from exc
        if changed:
            status, code, message = 200, "ok", _("The outcome is recorded.")
        else:
            status, code, message = 200, "unchanged", _("This outcome was already recorded.")
        error = ""
    except CallbackError as exc:
        status, code, message, data_out = exc.status, exc.code, exc.message, exc.data
        error = code
    response = _answer(status, code, message, data_out)
    if handoff is not None:
        civil_registry.callback_log(
            handoff=handoff,
            body=body,
            status=status,
            response=response.content.decode("utf-8"),
            error=error,
            started=started,
        )
    return response


urlpatterns = [
    path("civil-registry/callback/", callback, name="callback"),
]
