"""Writes of the interconnection: handoffs from one agency to another.

The flow (see docs/interconnection.md)
    1. An approval whose handler names handoffs (``ProcedureHandler.handoffs``)
       stores one ``Handoff`` per target in the approving transaction
       (``handoffs_create``): the outbox. After commit, a task is enqueued per
       handoff (``enqueue_delivery``; a broker outage only leaves it for the sweep).
    2. ``handoff_deliver`` (task ``interconnect.deliver_handoff``) locks the row
       and, if it is still pending and due, delivers it through its delivery
       channel (``interconnect.channels``): for an agency here (``internal``), a
       dossier in that agency's queue under a procedure worked with the handler
       the spec named (channel "linked", received by the system through the
       step ``hand_in``: code, receipt, promised date = the time budget); for
       the civil-status registry (``civil_registry``), a signed POST. Every
       attempt is a ``HandoffMessage``.
       A failure counts an attempt and sets the next one after an exponential
       backoff; after ``EGOV_HANDOFF_MAX_ATTEMPTS`` the handoff is FAILED, for
       an administrator to retry (``handoff_retry``).
    3. The receiving agency works its dossier with the usual steps. Its decision
       (``agency_dossier_changed``, the listener of the one-stop's steps, in the deciding
       transaction) finishes the handoff (COMPLETED / REFUSED), marks that
       dossier's result ready, and when every handoff to an agency here is
       finished, marks the originating dossier's result ready (``handoff_join``;
       "to an agency here": through an ``awaited`` channel).

Exactly once: the handoff's ``key`` (``<dossier code>:<target>``) is unique, the
agency dossier is a one-to-one of the handoff, deliveries run under the row
lock and check the status first, and the handlers' effects are keyed by the
dossier reference (one child, one membership, one card).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citizens.models import User
from egov.codes import ErrorCode
from egov.errors import ConflictError, NotFoundError, PermissionDeniedError
from egov.queue import enqueue, lease, sweep_after_seconds
from interconnect import channels, selectors
from interconnect.channels import canonical_json
from interconnect.errors import DeliveryFailed
from interconnect.models import Handoff, HandoffMessage
from onecounter import transitions
from onecounter.events import FollowUp
from onecounter.models import Dossier
from onecounter.models import DossierStatus as S
from workdays.calendar import WorkCalendar

logger = logging.getLogger(__name__)

H = Handoff.Status
# The police may need to verify (e.g. the home, the head's consent): the
# budget then becomes 5 working days from receipt (Decree 63/2024).
VERIFICATION_BUDGET_DAYS = 5
# Sent a little early by a countdown, a delivery still counts as due.
DUE_TOLERANCE = dt.timedelta(seconds=2)
ERROR_MAX = 2000
RESPONSE_MAX = 4000


def payload_sha256(payload: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(payload)).hexdigest()


def backoff_seconds(failed_attempts: int) -> int:
    """The wait before the next attempt after ``failed_attempts`` failures:
    ``EGOV_HANDOFF_BACKOFF_SECONDS * 2 ** (failed_attempts - 1)``."""
    base = int(settings.EGOV_HANDOFF_BACKOFF_SECONDS)
    return base * 2 ** max(failed_attempts - 1, 0)


# --- 1. The outbox -----------------------------------------------------------------------------


def handoffs_create(*, dossier: Dossier, specs: list) -> list[Handoff]:
    """Store one handoff per spec (a ``procedures.handlers.registry.HandoffSpec``)
    in the caller's transaction, then enqueue each delivery after commit. A
    handoff that exists already (same key) is left as it is. A spec naming no
    delivery channel that exists is a programming error (``LookupError``)."""
    created = []
    for spec in specs:
        channel = channels.get(spec.channel)
        handoff, new = Handoff.objects.get_or_create(
            key=f"{dossier.code}:{spec.target}",
            defaults={
                "dossier": dossier,
                "target": spec.target,
                "channel": channel.name,
                "handler": spec.handler,
                "agency": spec.agency,
                "payload": spec.payload,
                "payload_sha256": payload_sha256(spec.payload),
                "budget_days": spec.budget_days,
            },
        )
        if new:
            created.append(handoff)
    for handoff in created:
        transaction.on_commit(partial(enqueue_delivery, handoff.pk))
    return created


def enqueue_delivery(handoff_id: Any, *, countdown: int | None = None) -> bool:
    """Send the delivery task. A broker outage must not fail the request that
    caused it: the handoff stays pending and ``sweep`` sends it later."""
    return enqueue("interconnect.deliver_handoff", str(handoff_id), countdown=countdown)


# --- 2. Delivery ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What one delivery run did: ``delivered``, ``retry`` (``delay`` seconds),
    ``failed`` (no attempt left), or nothing: ``not_pending``, ``not_due``, ``missing``."""

    code: str
    delay: int = 0


def handoff_deliver(handoff_id: Any, *, now: dt.datetime | None = None) -> Outcome:
    """Deliver one handoff if it is pending and due (safe to run twice, late or
    at the same time: the row lock serialises runs, the status check makes all
    but the first a no-op)."""
    now = now or timezone.now()
    with transaction.atomic():
        handoff = (
            Handoff.objects.select_for_update(of=("self",))
            .select_related("dossier", "agency")
            .filter(pk=handoff_id)
            .first()
        )
        if handoff is None:
            return Outcome("missing")
        if handoff.status != H.PENDING:
            return Outcome("not_pending")
        if handoff.next_attempt_at and handoff.next_attempt_at > now + DUE_TOLERANCE:
            return Outcome("not_due")
        message = HandoffMessage(
            handoff=handoff,
            direction=HandoffMessage.Direction.OUT,
            dossier_ref=handoff.dossier.code or str(handoff.dossier_id),
            kind="deliver",
            request_sha256=handoff.payload_sha256 or payload_sha256(handoff.payload),
            started_at=now,
        )
        handoff.attempts += 1
        try:
            with transaction.atomic():
                channels.get(handoff.channel).deliver(handoff, message, now)
        except Exception as exc:  # noqa: BLE001 - every failure is recorded and retried
            outcome = _failed(handoff, message, exc, now)
        else:
            handoff.status = H.DELIVERED
            handoff.delivered_at = timezone.now()
            handoff.next_attempt_at = None
            handoff.last_error = ""
            outcome = Outcome("delivered")
        message.finished_at = timezone.now()
        message.save()
        handoff.save(
            update_fields=[
                "status",
                "agency",
                "agency_dossier",
                "external_reference",
                "due_date",
                "delivered_at",
                "attempts",
                "next_attempt_at",
                "last_error",
            ]
        )
    return outcome


def _failed(handoff: Handoff, message: HandoffMessage, exc: Exception, now) -> Outcome:
    error = f"{type(exc).__name__}: {exc}"[:ERROR_MAX]
    if not isinstance(exc, DeliveryFailed):
        logger.exception("handoff %s: delivery attempt %s failed", handoff.key, handoff.attempts)
    else:
        logger.warning("handoff %s: delivery attempt %s failed", handoff.key, handoff.attempts)
    message.error = error
    message.response_status = getattr(exc, "status", None)
    message.response = (getattr(exc, "body", "") or "")[:RESPONSE_MAX]
    handoff.last_error = error
    handoff.agency_dossier = None
    if handoff.attempts >= int(settings.EGOV_HANDOFF_MAX_ATTEMPTS):
        handoff.status = H.FAILED
        handoff.next_attempt_at = None
        return Outcome("failed")
    delay = backoff_seconds(handoff.attempts)
    handoff.next_attempt_at = now + dt.timedelta(seconds=delay)
    return Outcome("retry", delay)


# --- Retry by an administrator ----------------------------------------------------------------


def may_retry(user: User, handoff: Handoff) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return any(a.pk == handoff.dossier.agency_id for a in selectors.sending_agencies(user))


def handoff_retry(*, actor: User, handoff_id: Any) -> Handoff:
    """Put a failed handoff back in the outbox (pending, no attempt yet) and
    enqueue its delivery after commit. 404 for a handoff the actor may not
    see, 409 ``not_failed`` unless it failed."""
    with transaction.atomic():
        handoff = (
            selectors.visible_handoffs(actor)
            .select_for_update(of=("self",))
            .select_related("dossier")
            .filter(pk=handoff_id)
            .first()
        )
        if handoff is None:
            raise NotFoundError()
        if not may_retry(actor, handoff):
            raise PermissionDeniedError()
        if handoff.status != H.FAILED:
            raise ConflictError(
                _("Only a failed handoff can be retried."),
                code=ErrorCode.NOT_FAILED,
                data={"status": handoff.status},
            )
        now = timezone.now()
        HandoffMessage.objects.create(
            handoff=handoff,
            direction=HandoffMessage.Direction.OUT,
            dossier_ref=handoff.dossier.code or "",
            kind="retry",
            response=f"retry requested by account {actor.pk} after {handoff.attempts} attempts",
            error=handoff.last_error,
            started_at=now,
            finished_at=now,
        )
        handoff.status = H.PENDING
        handoff.attempts = 0
        handoff.next_attempt_at = None
        handoff.save(update_fields=["status", "attempts", "next_attempt_at"])
        transaction.on_commit(partial(enqueue_delivery, handoff.pk))
    return handoff


# --- 3. The receiving agency's dossier ----------------------------------------------------------

DECISIONS = {"approve": H.COMPLETED, "reject": H.REFUSED, "withdraw": H.REFUSED}


def agency_dossier_changed(dossier: Dossier, action: str, *, reason: str = "") -> list[FollowUp]:
    """After each step of a handed-on dossier, in its transaction (the listener
    of ``StepTaken``). Keeps the handoff's due date with the dossier's; a
    decision (approve, reject, or the applicant's withdrawal) finishes the
    handoff once. Returns the step that follows on the dossier: its result is
    ready (not after a withdrawal); when it is (or after a withdrawal), the
    originating dossier is joined: its result is ready once every agency has
    finished, so the applicant's notice of all the results comes last."""
    handoff = (
        Handoff.objects.select_for_update(of=("self",))
        .select_related("dossier")
        .filter(agency_dossier=dossier)
        .first()
    )
    if handoff is None:
        return []
    changed = []
    if dossier.due_date and handoff.due_date != dossier.due_date:
        handoff.due_date = dossier.due_date
        changed.append("due_date")
    status = DECISIONS.get(action)
    if status is None or handoff.status in selectors.FINISHED:
        if changed:
            handoff.save(update_fields=changed)
        if action == "mark_result_ready":
            # The decision's result is ready: the originating dossier may be too
            # (after this dossier's own step, so its notice comes last).
            handoff_join(handoff.dossier_id)
        return []
    now = timezone.now()
    handoff.status = status
    handoff.finished_at = now
    if status == H.REFUSED:
        handoff.outcome_note = reason.strip() or str(_("Withdrawn by the applicant."))
    handoff.save(update_fields=[*changed, "status", "finished_at", "outcome_note"])
    decision = {"dossier": dossier.code, "decision": action, "reason": reason.strip()}
    HandoffMessage.objects.create(
        handoff=handoff,
        direction=HandoffMessage.Direction.IN,
        dossier_ref=handoff.dossier.code or "",
        kind="decision",
        request_sha256=hashlib.sha256(canonical_json(decision)).hexdigest(),
        response_status=200,
        response=canonical_json(decision).decode(),
        started_at=now,
        finished_at=now,
    )
    if action in ("approve", "reject"):
        # Its result is ready next; that step joins the originating dossier.
        return [FollowUp(dossier.pk, "mark_result_ready")]
    handoff_join(handoff.dossier_id)  # withdrawn: nothing of its own to wait for
    return []


def handoff_join(source_id: Any) -> bool:
    """When every handoff of an approved dossier to agencies here is finished,
    its result is ready (all the results come back together). Locks the
    originating dossier first, so two agencies finishing at the same moment
    cannot both miss the other. Safe to call again."""
    source = Dossier.objects.select_for_update(of=("self",)).filter(pk=source_id).first()
    if source is None or source.status != S.APPROVED:
        return False
    internal = Handoff.objects.filter(dossier=source, channel__in=channels.awaited())
    if not internal.exists() or internal.filter(status__in=selectors.OPEN).exists():
        return False
    transitions.perform(source, "mark_result_ready", actor=transitions.SYSTEM_ACTOR)
    return True


def source_dossier_handed_back(dossier: Dossier) -> list[FollowUp]:
    """The originating dossier's results were handed over: so are those of the
    dossiers handed on from it (the results came back together)."""
    linked = Dossier.objects.filter(handoff_in__dossier=dossier, status=S.RESULT_READY).values_list(
        "pk", flat=True
    )
    return [FollowUp(pk, "hand_back") for pk in linked]


def verification_allowed(dossier: Dossier) -> bool:
    """ "Verification needed" is open once, on a dossier handed on to the police."""
    if dossier.channel != Dossier.Channel.LINKED:
        return False
    return Handoff.objects.filter(
        agency_dossier=dossier,
        target=Handoff.Target.RESIDENCE,
        budget_days__lt=VERIFICATION_BUDGET_DAYS,
    ).exists()


def verification_extend(dossier: Dossier, now: dt.datetime) -> set[str]:
    """The budget becomes 5 working days from receipt: the promised date moves
    later by the difference (a pause for documents already counted stays)."""
    handoff = Handoff.objects.select_for_update(of=("self",)).get(agency_dossier=dossier)
    extra = VERIFICATION_BUDGET_DAYS - handoff.budget_days
    start = dossier.due_date or timezone.localdate(now)
    calendar = WorkCalendar.load(start=start - dt.timedelta(days=1))
    dossier.due_date = calendar.add_working_days(start, extra)
    handoff.budget_days = VERIFICATION_BUDGET_DAYS
    handoff.due_date = dossier.due_date
    handoff.save(update_fields=["budget_days", "due_date"])
    return {"due_date"}


# --- The sweep ---------------------------------------------------------------------------------


def sweep_after() -> dt.timedelta:
    """How long a pending handoff without any attempt waits before the sweep
    takes its task for lost (``EGOV_SWEEP_AFTER_SECONDS``)."""
    return dt.timedelta(seconds=sweep_after_seconds())


def due_for_sweep(now: dt.datetime | None = None, limit: int = 200) -> list[Any]:
    """Pending handoffs whose next attempt is due, or that are older than
    ``sweep_after()`` without any attempt (their task was lost), leaving out
    those a worker is delivering right now (their row is locked) and those
    re-sent within their lease (egov.queue.lease)."""
    now = now or timezone.now()
    with transaction.atomic():
        rows = list(
            Handoff.objects.filter(status=H.PENDING)
            .filter(
                Q(next_attempt_at__lte=now)
                | Q(attempts=0, next_attempt_at__isnull=True, created_at__lt=now - sweep_after())
            )
            .order_by("created_at")
            .select_for_update(skip_locked=True)
            .values_list("pk", "attempts")[:limit]
        )
    # One lease per attempt: a row whose attempt was made (and failed) is due
    # again by its next_attempt_at; a row whose attempt was cut off (a killed
    # worker: rolled back, attempts unchanged) is re-sent once per lease.
    return [pk for pk, attempts in rows if lease("handoff", f"{pk}:{attempts}")]


def handoffs_forget_data(dossier_id: Any) -> int:
    """Blank the payloads of the dossier's handoffs (both ways: sent by it, and
    received as the agency's dossier) and the answers logged for them; the
    rows stay as the record of what was exchanged, when and how often."""
    handoffs = Handoff.objects.filter(Q(dossier_id=dossier_id) | Q(agency_dossier_id=dossier_id))
    HandoffMessage.objects.filter(handoff__in=handoffs).update(response="")
    return handoffs.update(payload={})


def unjoined_dossiers(limit: int = 200) -> list[Any]:
    """Approved dossiers whose handoffs here are all finished but whose result
    is not ready (a join that did not happen, e.g. a crash between steps)."""
    return list(
        Dossier.objects.filter(status=S.APPROVED, handoffs__channel__in=channels.awaited())
        .exclude(
            pk__in=Handoff.objects.filter(
                channel__in=channels.awaited(), status__in=selectors.OPEN
            ).values("dossier_id")
        )
        .distinct()
        .values_list("pk", flat=True)[:limit]
    )


@transaction.atomic
def handoff_join_now(source_id: Any) -> bool:
    """``handoff_join`` in a transaction of its own (for the sweep)."""
    return handoff_join(source_id)
