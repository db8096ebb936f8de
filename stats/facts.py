"""One dossier's fact row, computed from the dossier and its event history.

``refresh(ids)`` recomputes the facts of some dossiers and the roll-up cells
they touch (``stats.rollup``); it is what runs after a step commits and what
the nightly rebuild runs for every dossier of a period.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch
from django.utils import timezone

from onecounter.models import (
    Attachment,
    Dossier,
    DossierDocument,
    DossierEvent,
    DossierStatus,
    Payment,
    Rating,
)
from procedures.models import Procedure
from stats import rollup as rollups
from stats.models import Channel, DossierFact, Outcome
from workdays.calendar import WorkCalendar

S = DossierStatus

OUTCOMES = {
    S.DRAFT: Outcome.NOT_RECEIVED,
    S.SUBMITTED: Outcome.NOT_RECEIVED,
    S.SUPPLEMENT_REQUESTED: Outcome.NOT_RECEIVED,
    S.REFUSED: Outcome.REFUSED,
    S.WITHDRAWN: Outcome.WITHDRAWN,
    S.REJECTED: Outcome.REJECTED,
    S.APPROVED: Outcome.OPEN,
    S.RECEIVED: Outcome.OPEN,
    S.IN_PROCESSING: Outcome.OPEN,
    S.AWAITING_SUPPLEMENT: Outcome.OPEN,
    S.PROPOSED: Outcome.OPEN,
}

SUPPLEMENT_ACTIONS = ("request_supplement", "request_supplement_before_receipt")


def channel_of(dossier: Dossier) -> str:
    if dossier.channel == Dossier.Channel.ONLINE:
        full = dossier.procedure.online_level == Procedure.OnlineLevel.FULL
        return Channel.ONLINE_FULL if full else Channel.ONLINE_PARTIAL
    if dossier.channel == Dossier.Channel.LINKED:
        return Channel.LINKED
    if dossier.channel == Dossier.Channel.POST:
        return Channel.POST
    return Channel.COUNTER


def _local_date(moment: dt.datetime | None) -> dt.date | None:
    return timezone.localdate(moment) if moment else None


def _paused_working_days(events: list[DossierEvent], calendar: WorkCalendar) -> int:
    """Working days the clock stood still (a supplement asked during processing)."""
    total, paused_on = 0, None
    for event in events:
        if event.action == "request_supplement":
            paused_on = timezone.localdate(event.at)
        elif event.action in ("supply", "reject") and paused_on is not None:
            total += calendar.working_days_between(paused_on, timezone.localdate(event.at))
            paused_on = None
    return total


def fact_for(dossier: Dossier, calendar: WorkCalendar) -> DossierFact | None:
    """The fact row of a dossier (with ``events``, ``has_*`` and ``rating``
    prefetched by ``_dossiers``); None for a draft, which counts nowhere."""
    if dossier.status == S.DRAFT or not dossier.code:
        return None
    annotated: Any = dossier  # with the ``has_*`` annotations of ``_dossiers``
    events: list[DossierEvent] = list(dossier.events.all())
    status = dossier.status
    if status in (S.RESULT_READY, S.RETURNED):
        # Resolved: rejected if the decision was a rejection.
        decided = [e for e in events if e.action in ("approve", "reject")]
        outcome = (
            Outcome.REJECTED if decided and decided[-1].action == "reject" else Outcome.APPROVED
        )
    else:
        outcome = OUTCOMES[S(status)]
    received_on = _local_date(dossier.received_at)
    resolved_on = (
        _local_date(dossier.result_ready_at) if status in (S.RESULT_READY, S.RETURNED) else None
    )
    if outcome == Outcome.REJECTED and resolved_on is None:
        resolved_on = _local_date(dossier.decided_at)
    closed_on = None
    if outcome in (Outcome.REFUSED, Outcome.WITHDRAWN):
        closing = [e for e in events if e.to_status == status]
        closed_on = timezone.localdate(closing[-1].at if closing else dossier.updated_at)
    on_time = processing_days = None
    if resolved_on is not None and received_on is not None and dossier.received_at:
        on_time = bool(
            not dossier.apologised and dossier.due_date and resolved_on <= dossier.due_date
        )
        start = calendar.receipt_day(dossier.received_at)
        processing_days = max(
            0,
            calendar.working_days_between(start, resolved_on)
            - _paused_working_days(events, calendar),
        )
    try:
        rating = dossier.rating
    except Rating.DoesNotExist:
        rating = None
    return DossierFact(
        dossier_id=dossier.pk,
        code=dossier.code,
        agency_id=dossier.agency_id,
        unit_id=dossier.agency.unit_id,
        procedure_id=dossier.procedure_id,
        field_id=dossier.procedure.field_id,
        channel=channel_of(dossier),
        outcome=outcome,
        received_on=received_on,
        due_date=dossier.due_date,
        resolved_on=resolved_on,
        closed_on=closed_on,
        on_time=on_time,
        apologised=dossier.apologised,
        paused=status == S.AWAITING_SUPPLEMENT,
        processing_days=processing_days,
        supplement_dates=sorted(
            timezone.localdate(e.at) for e in events if e.action in SUPPLEMENT_ACTIONS
        ),
        fee=dossier.fee,
        paid_online=annotated.has_paid_online,
        digitised=dossier.channel == Dossier.Channel.ONLINE or annotated.has_attachment,
        reused_data=bool(dossier.applicant_person_id) or annotated.has_wallet_attachment,
        result_digital=annotated.has_digital_result,
        rating=rating.score if rating else None,
        rated_on=_local_date(rating.created_at) if rating else None,
        updated_at=timezone.now(),
    )


def _dossiers(ids: Iterable[Any]):
    # A dossier destroyed under retention (onecounter.retention) keeps the fact
    # it had: its stub no longer has what the fact was computed from.
    return (
        Dossier.objects.filter(pk__in=list(ids), purged_at__isnull=True)
        .select_related("procedure", "agency", "rating")
        .prefetch_related(
            Prefetch(
                "events",
                queryset=DossierEvent.objects.order_by("seq").only(
                    "dossier_id", "seq", "at", "action", "to_status"
                ),
            )
        )
        .annotate(
            has_attachment=Exists(Attachment.objects.filter(dossier=OuterRef("pk"))),
            has_wallet_attachment=Exists(
                Attachment.objects.filter(dossier=OuterRef("pk"), wallet_document__isnull=False)
            ),
            has_paid_online=Exists(
                Payment.objects.filter(dossier=OuterRef("pk"), status=Payment.Status.PAID)
            ),
            has_digital_result=Exists(
                DossierDocument.objects.filter(
                    dossier=OuterRef("pk"), kind=DossierDocument.Kind.RESULT
                ).exclude(file="")
            ),
        )
    )


FACT_FIELDS = [f.name for f in DossierFact._meta.concrete_fields if f.name != "dossier_id"]


def refresh(
    ids: Iterable[Any], *, calendar: WorkCalendar | None = None, rollup: bool = True
) -> int:
    """Recompute the facts of these dossiers (and, with ``rollup``, the cells
    their old and new facts count in). A dossier that no longer exists keeps
    its fact: the figures survive the purge of dossiers."""
    ids = list(ids)
    if not ids:
        return 0
    calendar = calendar or WorkCalendar.load()
    with transaction.atomic():
        old = {f.dossier_id: f for f in DossierFact.objects.select_for_update().filter(pk__in=ids)}
        new: list[DossierFact] = []
        drop: list[Any] = []
        for dossier in _dossiers(ids):
            fact = fact_for(dossier, calendar)
            if fact is None:
                if dossier.pk in old:
                    drop.append(dossier.pk)
            else:
                new.append(fact)
        if drop:
            DossierFact.objects.filter(pk__in=drop).delete()
        DossierFact.objects.bulk_create(
            new,
            update_conflicts=True,
            unique_fields=["dossier_id"],
            update_fields=FACT_FIELDS,
        )
        if rollup:
            rollups.refresh_cells(rollups.cells_of([*old.values(), *new]))
    return len(new)
