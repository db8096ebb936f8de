"""Writes of the failures page: retry, resend a notice, mark handled
(see docs/failures.md).

Every action takes the actor and checks what they may see first
(``failures.scope_for``): a row they may not see is 404 ``not_found``, the
same as one that does not exist or is not failing any more. Work to redo is
asked for by task name after commit (``egov.queue.enqueue``), never run in
the request.

    failure_retry        event: attempts and error cleared, ``onecounter.after_event``
                         enqueued (its slips, results and notice again);
                         document: the same for the event that renders it;
                         handoff, registry: ``interconnect.services.handoff_retry``
                         (its own checks: only a failed handoff, 409 ``not_failed``);
                         payment, import: 409 ``not_retryable`` (an import is re-run
                         on the server: ``manage.py import_population <file>``)
    notice_resend        attempts and error cleared, ``operations.deliver_notice``
                         enqueued (409 ``already_delivered`` if nothing is left)
    failure_mark_handled a ``FailureResolution`` with the reason (400
                         ``reason_required`` without one; 409 ``already_handled``)

A retry or a resend closes the row's active resolution (kept, ``active``
false): if the work fails again, it is open again.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citizens.models import User
from egov.codes import ErrorCode
from egov.errors import ConflictError, NotFoundError, ValidationFailed
from egov.queue import enqueue
from interconnect import services as handoff_services
from onecounter.models import DossierDocument, DossierEvent, Notification
from operations import failures
from operations.models import FailureKind, FailureResolution

logger = logging.getLogger(__name__)
K = FailureKind
REASON_MAX = 2000


def _scope(actor: User) -> failures.Scope:
    scope = failures.scope_for(actor)
    if scope is None:
        raise NotFoundError()
    return scope


def _close_resolutions(kind: str, object_id: Any) -> None:
    """Reopen: the resolution is kept, no longer active."""
    FailureResolution.objects.filter(kind=kind, object_key=str(object_id), active=True).update(
        active=False, closed_at=timezone.now()
    )


def _locked(qs, object_id: Any):
    try:
        return qs.select_for_update(of=("self",)).filter(pk=object_id).first()
    except (ValueError, TypeError, ValidationError):
        return None


def _requeue_event(event: DossierEvent) -> None:
    event.attempts = 0
    event.last_error = ""
    event.save(update_fields=["attempts", "last_error"])
    transaction.on_commit(partial(enqueue, "onecounter.after_event", event.pk))


@transaction.atomic
def failure_retry(*, actor: User, kind: str, object_id: Any) -> str:
    """Redo the failed work of one row; returns what was queued (``event``,
    ``handoff``). See the module doc for each kind."""
    scope = _scope(actor)
    if kind == K.EVENT:
        event = _locked(
            scope.dossiers(DossierEvent.objects.filter(processed_at__isnull=True)), object_id
        )
        if event is None:
            raise NotFoundError()
        _requeue_event(event)
        _close_resolutions(kind, event.pk)
        logger.info("event %s queued again by account %s", event.pk, actor.pk)
        return "event"
    if kind == K.DOCUMENT:
        document = _locked(
            scope.dossiers(DossierDocument.objects.filter(file="").exclude(error="")), object_id
        )
        if document is None:
            raise NotFoundError()
        events = DossierEvent.objects.filter(
            dossier_id=document.dossier_id, processed_at__isnull=True
        )
        named = failures.event_key(document.key)
        event = (
            events.select_for_update().filter(pk=named).first() if named is not None else None
        ) or events.select_for_update().order_by("seq").first()
        if event is None:
            raise ConflictError(
                _(
                    "No step of this dossier is waiting: the PDF cannot be rendered again from here."
                ),
                code=ErrorCode.NOT_RETRYABLE,
            )
        _requeue_event(event)
        _close_resolutions(kind, document.pk)
        logger.info(
            "document %s: event %s queued again by account %s", document.pk, event.pk, actor.pk
        )
        return "event"
    if kind in (K.HANDOFF, K.REGISTRY):
        # Its own permission checks (404 / 403) and state check (409 not_failed).
        handoff = handoff_services.handoff_retry(actor=actor, handoff_id=object_id)
        _close_resolutions(kind, handoff.pk)
        return "handoff"
    if kind == K.NOTICE:
        notice_resend(actor=actor, notification_id=object_id)
        return "notice"
    if kind == K.IMPORT:
        row = failures.failure_detail(actor, kind, object_id)
        if row is None:
            raise NotFoundError()
        raise ConflictError(
            _(
                "An import cannot be retried from here: re-run the import on the server: "
                "manage.py import_population %(file)s (then mark this row handled)."
            )
            % {"file": row.details.get("file") or "<file>"},
            code=ErrorCode.NOT_RETRYABLE,
        )
    if kind in K.values:
        raise ConflictError(
            _("This kind of failure cannot be retried from here: mark it handled instead."),
            code=ErrorCode.NOT_RETRYABLE,
        )
    raise NotFoundError()


UNSENT = Q(email__gt="", email_sent_at__isnull=True) | Q(phone__gt="", sms_sent_at__isnull=True)


@transaction.atomic
def notice_resend(*, actor: User, notification_id: Any) -> Notification:
    """Send a notice's unsent channels again: attempts and error cleared, the
    delivery enqueued after commit (a sent channel is never sent twice)."""
    scope = _scope(actor)
    notice = _locked(scope.dossiers(Notification.objects.all()), notification_id)
    if notice is None:
        raise NotFoundError()
    if not Notification.objects.filter(UNSENT, pk=notice.pk).exists():
        raise ConflictError(
            _("The notice was sent on every channel already."), code=ErrorCode.ALREADY_DELIVERED
        )
    notice.attempts = 0
    notice.last_error = ""
    notice.save(update_fields=["attempts", "last_error"])
    _close_resolutions(K.NOTICE, notice.pk)
    transaction.on_commit(partial(enqueue, "operations.deliver_notice", str(notice.pk)))
    logger.info("notice %s queued again by account %s", notice.pk, actor.pk)
    return notice


@transaction.atomic
def failure_mark_handled(
    *, actor: User, kind: str, object_id: Any, reason: str
) -> FailureResolution:
    """Record that an operator handled a failure, and why: it leaves the open
    list for the handled one."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationFailed(
            _("Give a reason."),
            code=ErrorCode.REASON_REQUIRED,
            data={"reason": [str(_("Say why the failure needs nothing more."))]},
        )
    row = failures.failure_detail(actor, kind, object_id)
    if row is None:
        raise NotFoundError()
    if row.resolution is not None:
        raise ConflictError(
            _("This failure was marked handled already."), code=ErrorCode.ALREADY_HANDLED
        )
    try:
        with transaction.atomic():
            resolution = FailureResolution.objects.create(
                kind=kind, object_key=row.object_id, reason=reason[:REASON_MAX], actor=actor
            )
    except IntegrityError as exc:  # marked handled by someone else at the same moment
        raise ConflictError(
            _("This failure was marked handled already."), code=ErrorCode.ALREADY_HANDLED
        ) from exc
    failures.forget_counts(actor)
    return resolution
