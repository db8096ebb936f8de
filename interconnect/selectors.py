"""Reads of the interconnection: handoff lists, one handoff with its messages,
each agency's step of a dossier and the time-budget report.

Who may see handoffs: an administrator (superuser) sees them all; the head of
an agency sees those its own dossiers sent. Nobody else (in particular not the
receiving agencies, who work on their own dossier in their queue).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import BooleanField, Count, ExpressionWrapper, F, Prefetch, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citizens.models import Agency, Role, User
from citizens.permissions import agencies_with_roles
from interconnect import channels
from interconnect.models import Handoff, HandoffMessage
from onecounter.events import HandedOn, ResultSource
from onecounter.models import Dossier

H = Handoff.Status
OPEN = (H.PENDING, H.DELIVERED, H.FAILED)
FINISHED = (H.COMPLETED, H.REFUSED)


def may_view_handoffs(user: User) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or sending_agencies(user)))


def sending_agencies(user: User) -> list[Agency]:
    """The agencies whose handoffs the user may see as their head."""
    if not user.is_authenticated:
        return []
    return agencies_with_roles(user, [Role.HEAD])


def late_q(today: dt.date) -> Q:
    """Late: finished after its due date, or still open with the due date past.
    A dossier waiting for the applicant's documents keeps its date (it moves
    later when they arrive), so it is not late meanwhile."""
    finished_late = Q(status__in=FINISHED, finished_day__gt=F("due_date"))
    open_late = Q(status__in=OPEN, due_date__lt=today) & ~Q(
        agency_dossier__status="awaiting_supplement"
    )
    return Q(due_date__isnull=False) & (finished_late | open_late)


def with_flags(handoffs: QuerySet[Handoff], today: dt.date | None = None) -> QuerySet[Handoff]:
    today = today or timezone.localdate()
    return handoffs.annotate(finished_day=TruncDate("finished_at")).annotate(
        is_late=ExpressionWrapper(late_q(today), output_field=BooleanField())
    )


def visible_handoffs(user: User) -> QuerySet[Handoff]:
    """Every handoff the user may see (none for most users)."""
    if not user.is_authenticated:
        return Handoff.objects.none()
    if user.is_superuser:
        return Handoff.objects.all()
    agencies = sending_agencies(user)
    if not agencies:
        return Handoff.objects.none()
    return Handoff.objects.filter(dossier__agency__in=agencies)


def handoff_list(
    user: User,
    *,
    status: str = "",
    target: str = "",
    late: bool = False,
    q: str = "",
) -> QuerySet[Handoff]:
    """The handoffs the user may see, filtered, newest first (a fixed number of
    queries whatever the number of rows)."""
    handoffs = with_flags(visible_handoffs(user)).select_related(
        "dossier", "dossier__agency", "agency", "agency_dossier"
    )
    if status:
        handoffs = handoffs.filter(status=status)
    if target:
        handoffs = handoffs.filter(target=target)
    if late:
        handoffs = handoffs.filter(is_late=True)
    query = " ".join((q or "").split())
    if query:
        handoffs = handoffs.filter(
            Q(key__icontains=query) | Q(agency_dossier__code__icontains=query)
        )
    return handoffs.order_by("-created_at", "key")


def handoff_detail(user: User, pk: Any) -> Handoff | None:
    """One handoff the user may see, with its messages; None otherwise."""
    return (
        with_flags(visible_handoffs(user).filter(pk=pk))
        .select_related("dossier", "dossier__agency", "agency", "agency_dossier")
        .prefetch_related(
            Prefetch("messages", queryset=HandoffMessage.objects.order_by("started_at"))
        )
        .first()
    )


def awaited(handoffs: QuerySet[Handoff]) -> QuerySet[Handoff]:
    """Those handed on to agencies here (through an ``awaited`` channel): the
    originating dossier's results wait for their decisions."""
    return handoffs.filter(channel__in=channels.awaited())


def open_internal(dossier_id: Any) -> QuerySet[Handoff]:
    """The handoffs of a dossier to agencies here that are not finished yet."""
    return awaited(Handoff.objects.filter(dossier_id=dossier_id, status__in=OPEN))


# --- Each agency's step, for the dossier pages -----------------------------------------


@dataclass(frozen=True)
class AgencyStep:
    """One agency's step of a dossier as the citizen and staff see it. ``state``
    is one of: waiting, processing, done, refused."""

    handoff: Handoff
    state: str
    state_label: Any
    label: Any
    agency_name: str
    due_date: dt.date | None
    dossier_code: str
    note: str
    is_late: bool


STATE_LABELS = {
    "waiting": _("waiting to be handed on"),
    "processing": _("in processing"),
    "done": _("done"),
    "refused": _("refused"),
}
TARGET_LABELS = {
    Handoff.Target.RESIDENCE: _("Permanent residence (ward police)"),
    Handoff.Target.INSURANCE: _("Health-insurance card (social insurance)"),
    Handoff.Target.CIVIL_REGISTRY: _("Civil-status registry (Ministry of Justice)"),
}


def step_state(handoff: Handoff) -> str:
    return {
        H.PENDING: "waiting",
        H.FAILED: "waiting",
        H.DELIVERED: "processing",
        H.COMPLETED: "done",
        H.REFUSED: "refused",
    }[handoff.status]


def agency_steps(dossier_id: Any, *, internal_only: bool = False) -> list[AgencyStep]:
    """The agencies' steps of a dossier that handed work on (one query)."""
    handoffs = with_flags(Handoff.objects.filter(dossier_id=dossier_id)).select_related(
        "agency", "agency_dossier"
    )
    if internal_only:
        handoffs = awaited(handoffs)
    steps = []
    for handoff in handoffs.order_by("target"):
        agency_dossier = handoff.agency_dossier
        state = step_state(handoff)
        steps.append(
            AgencyStep(
                handoff=handoff,
                state=state,
                state_label=STATE_LABELS[state],
                label=TARGET_LABELS.get(handoff.target, handoff.get_target_display()),
                agency_name=handoff.agency.display_name if handoff.agency else "",
                due_date=(agency_dossier.due_date if agency_dossier else None) or handoff.due_date,
                dossier_code=agency_dossier.code if agency_dossier else "",
                note=handoff.outcome_note,
                is_late=bool(handoff.is_late),
            )
        )
    return steps


# --- Time budgets ------------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetRow:
    agency_name: str
    target: str
    target_label: Any
    on_time: int
    late: int
    open: int
    open_late: int
    failed: int


def budget_report(handoffs: QuerySet[Handoff], today: dt.date | None = None) -> list[BudgetRow]:
    """Per receiving agency and target: finished on time, finished late, still
    open (of which past their due date) and failed deliveries (one query)."""
    today = today or timezone.localdate()
    dated = handoffs.order_by().annotate(finished_day=TruncDate("finished_at"))
    rows = (
        dated.values("agency__name", "target")
        .annotate(
            on_time=Count("pk", filter=Q(status__in=FINISHED) & ~late_q(today)),
            late=Count("pk", filter=Q(status__in=FINISHED) & late_q(today)),
            open=Count("pk", filter=Q(status__in=OPEN)),
            open_late=Count("pk", filter=Q(status__in=OPEN) & late_q(today)),
            failed=Count("pk", filter=Q(status=H.FAILED)),
        )
        .order_by("agency__name", "target")
    )
    return [
        BudgetRow(
            agency_name=row["agency__name"] or "—",
            target=row["target"],
            target_label=TARGET_LABELS.get(row["target"], row["target"]),
            on_time=row["on_time"],
            late=row["late"],
            open=row["open"],
            open_late=row["open_late"],
            failed=row["failed"],
        )
        for row in rows
    ]


@dataclass(frozen=True)
class HandedOnFrom:
    dossier_code: str
    agency_name: str
    budget_days: int
    due_date: dt.date | None


def handed_on_from(agency_dossier_id: Any) -> HandedOnFrom | None:
    """Where a handed-on dossier came from, for its receiving agency's page."""
    handoff = (
        Handoff.objects.filter(agency_dossier_id=agency_dossier_id)
        .select_related("dossier__agency")
        .first()
    )
    if handoff is None:
        return None
    return HandedOnFrom(
        dossier_code=handoff.dossier.code or "",
        agency_name=handoff.dossier.agency.display_name,
        budget_days=handoff.budget_days,
        due_date=handoff.due_date,
    )


# --- What the one-stop asks while it writes a dossier's documents --------------------------


def handed_on(dossier: Dossier) -> HandedOn | None:
    """Where a dossier handed on by another agency came from, for its slips."""
    handoff = (
        Handoff.objects.filter(agency_dossier=dossier).select_related("dossier__agency").first()
    )
    if handoff is None:
        return None
    source = handoff.dossier
    return HandedOn(
        agency_name=source.agency.name,
        agency_address=source.agency.address,
        code=source.code or str(source.pk),
        budget_days=handoff.budget_days,
    )


def result_source(dossier: Dossier, decided_by: str = "") -> ResultSource | None:
    """For a result of ``dossier``: the receiving agency's dossier and the
    agency, when the dossier was handed on with the target ``decided_by``; the
    dossier it was handed on from; and the payloads (the outgoing handoff's
    over the incoming one's). None when the dossier was neither."""
    outgoing = (
        Handoff.objects.filter(dossier=dossier, target=decided_by)
        .select_related("agency", "agency_dossier__agency", "agency_dossier__subject_person")
        .first()
        if decided_by
        else None
    )
    incoming = (
        Handoff.objects.filter(agency_dossier=dossier)
        .select_related("dossier__agency", "dossier__subject_person")
        .first()
    )
    if outgoing is None and incoming is None:
        return None
    payload: dict[str, Any] = dict(outgoing.payload or {}) if outgoing is not None else {}
    if incoming is not None:
        payload = {**(incoming.payload or {}), **payload}
    return ResultSource(
        deciding=outgoing.agency_dossier if outgoing is not None else None,
        origin=incoming.dossier if incoming is not None else None,
        issuer=outgoing.agency if outgoing is not None else None,
        payload=payload,
    )
