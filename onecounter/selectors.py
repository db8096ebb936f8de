"""Reads of the one-stop app: the agencies' dossier queues and the dossier page.

Every list costs the same number of queries however many rows it has: the
related rows are joined (``select_related``), and the "due soon" and "late"
flags are computed by PostgreSQL from two dates worked out once per request
with the working-day calendar.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citizens.models import Agency, Role, StaffMembership, User
from egov.text import fold
from onecounter.duplicates import NOT_CANDIDATES
from onecounter.models import (
    ApologySlip,
    Dossier,
    DossierDocument,
    DossierEvent,
    SupplementRequest,
)
from onecounter.models import DossierStatus as S
from procedures.models import Procedure
from workdays.calendar import WorkCalendar

# The roles that work on dossiers (statisticians and catalog administrators do not).
DOSSIER_ROLES = (Role.CLERK, Role.OFFICER, Role.HEAD)
DUE_SOON_WORKING_DAYS = 2

# The clock runs (the promised date can pass) from receipt until the result is ready.
CLOCK_RUNNING = (S.RECEIVED, S.IN_PROCESSING, S.PROPOSED, S.APPROVED, S.REJECTED)
FINISHED = (S.REFUSED, S.RETURNED, S.WITHDRAWN)
IN_PROCESSING = (S.RECEIVED, S.IN_PROCESSING, S.AWAITING_SUPPLEMENT)


@dataclass(frozen=True)
class QueueView:
    """A tab of the queue: what one role works on."""

    key: str
    label: Any
    roles: frozenset[str]


QUEUE_VIEWS: list[QueueView] = [
    QueueView("to_receive", _("Awaiting receipt"), frozenset({Role.CLERK})),
    QueueView("to_hand_back", _("Results to hand back"), frozenset({Role.CLERK})),
    QueueView("my_work", _("Assigned to me"), frozenset({Role.OFFICER})),
    QueueView("to_sign", _("Awaiting signature"), frozenset({Role.HEAD})),
    QueueView("unassigned", _("Not assigned yet"), frozenset({Role.OFFICER, Role.HEAD})),
    QueueView("late", _("Late"), frozenset({Role.HEAD})),
    QueueView("all", _("All dossiers"), frozenset(DOSSIER_ROLES)),
]


def queue_views_for(roles: Iterable[str]) -> list[QueueView]:
    """The tabs a staff member holding ``roles`` in the agency sees, in order."""
    held = set(roles)
    return [view for view in QUEUE_VIEWS if view.roles & held]


@dataclass(frozen=True)
class QueueFilters:
    """What the queue is narrowed to (all optional)."""

    view: str = "all"
    status: str = ""
    procedure: Procedure | None = None
    due_soon: bool = False
    late: bool = False
    mine: bool = False
    q: str = ""

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> QueueFilters:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names and v is not None})


@dataclass(frozen=True)
class Deadlines:
    """The dates the flags are computed from, worked out once per request."""

    today: dt.date
    due_soon_until: dt.date

    @classmethod
    def today_in(cls, calendar: WorkCalendar | None = None) -> Deadlines:
        today = timezone.localdate()
        calendar = calendar or WorkCalendar.load(
            start=today - dt.timedelta(days=1), end=today + dt.timedelta(days=60)
        )
        return cls(
            today=today,
            due_soon_until=calendar.add_working_days(today, DUE_SOON_WORKING_DAYS),
        )


def late_q(today: dt.date) -> Q:
    """Late: the promised date has passed while the clock runs (for a paused
    dossier: it had passed when the clock stopped), or an apology slip was
    issued (an apologised dossier counts as late)."""
    return (
        Q(apologised=True)
        | Q(status__in=CLOCK_RUNNING, due_date__lt=today)
        | Q(status=S.AWAITING_SUPPLEMENT, due_date__lt=F("paused_on"))
    )


def due_soon_q(deadlines: Deadlines) -> Q:
    """Due soon: the clock runs and the promised date is within the next
    ``DUE_SOON_WORKING_DAYS`` working days (today included)."""
    return Q(
        status__in=CLOCK_RUNNING,
        due_date__gte=deadlines.today,
        due_date__lte=deadlines.due_soon_until,
    )


def _view_q(view: str, user: User, today: dt.date) -> Q:
    return {
        "to_receive": Q(status__in=[S.SUBMITTED, S.SUPPLEMENT_REQUESTED]),
        "to_hand_back": Q(status=S.RESULT_READY),
        "my_work": Q(assigned_to=user, status__in=[*IN_PROCESSING, S.APPROVED, S.REJECTED]),
        "unassigned": Q(assigned_to__isnull=True, status__in=IN_PROCESSING),
        "to_sign": Q(status=S.PROPOSED),
        "late": late_q(today) & ~Q(status__in=FINISHED),
    }.get(view, Q())


def with_flags(dossiers: QuerySet[Dossier], deadlines: Deadlines) -> QuerySet[Dossier]:
    """Each dossier with ``is_late``, ``is_due_soon`` and ``may_be_duplicate``
    (another dossier that still stands has its duplicate key: see
    ``onecounter.duplicates``; the dossier page shows them side by side)."""
    same_key = (
        Dossier.objects.filter(duplicate_key=OuterRef("duplicate_key"), duplicate_key__gt="")
        .exclude(pk=OuterRef("pk"))
        .exclude(status__in=NOT_CANDIDATES)
    )
    return dossiers.annotate(
        is_late=ExpressionWrapper(late_q(deadlines.today), output_field=BooleanField()),
        is_due_soon=ExpressionWrapper(
            due_soon_q(deadlines) & ~late_q(deadlines.today), output_field=BooleanField()
        ),
        may_be_duplicate=Exists(same_key),
    )


def dossier_queue(
    *,
    agency: Agency,
    user: User,
    filters: QueueFilters | Mapping[str, Any] | None = None,
    deadlines: Deadlines | None = None,
) -> QuerySet[Dossier]:
    """The agency's dossiers (never drafts, which are the applicant's own) for
    one tab of the queue and the filters, most urgent first, each with
    ``is_late`` and ``is_due_soon``. Permission checks are the caller's."""
    if filters is None:
        filters = QueueFilters()
    elif not isinstance(filters, QueueFilters):
        filters = QueueFilters.from_mapping(filters)
    deadlines = deadlines or Deadlines.today_in()
    dossiers = (
        Dossier.objects.filter(agency=agency)
        .exclude(status=S.DRAFT)
        .filter(_view_q(filters.view, user, deadlines.today))
        .select_related("procedure", "assigned_to")
    )
    if filters.status:
        dossiers = dossiers.filter(status=filters.status)
    if filters.procedure is not None:
        dossiers = dossiers.filter(procedure=filters.procedure)
    if filters.due_soon:
        dossiers = dossiers.filter(due_soon_q(deadlines)).exclude(late_q(deadlines.today))
    if filters.late:
        dossiers = dossiers.filter(late_q(deadlines.today))
    if filters.mine:
        dossiers = dossiers.filter(assigned_to=user)
    query = " ".join((filters.q or "").split())
    if query:
        match = Q(code__icontains=query) | Q(applicant_name__icontains=query)
        folded = fold(query)
        if folded:
            match |= Q(applicant_person__search_name__contains=folded)
        dossiers = dossiers.filter(match)
    return with_flags(dossiers, deadlines).order_by(
        F("due_date").asc(nulls_last=True), "submitted_at", "code"
    )


def dossier_for_agency(*, agency: Agency, pk: Any) -> Dossier | None:
    """One dossier of the agency with everything its page shows, in a fixed
    number of queries; None when it is not the agency's (or is a draft)."""
    deadlines = Deadlines.today_in()
    return (
        with_flags(Dossier.objects.filter(agency=agency, pk=pk).exclude(status=S.DRAFT), deadlines)
        .select_related(
            "procedure", "agency", "applicant", "applicant_person", "assigned_to", "created_by"
        )
        .prefetch_related(
            Prefetch("events", queryset=DossierEvent.objects.select_related("actor")),
            Prefetch(
                "supplements",
                queryset=SupplementRequest.objects.select_related("requested_by", "answered_by"),
            ),
            Prefetch("apologies", queryset=ApologySlip.objects.select_related("issued_by")),
            Prefetch("documents", queryset=DossierDocument.objects.order_by("created_at")),
        )
        .first()
    )


def agency_officers(agency: Agency) -> QuerySet[User]:
    """The agency's active processing officers (whom a dossier can be assigned to)."""
    officer_ids = StaffMembership.objects.filter(
        agency=agency, role=Role.OFFICER, is_active=True
    ).values("user_id")
    return User.objects.filter(pk__in=officer_ids, is_active=True).order_by("full_name", "email")


def agency_procedures(agency: Agency, *, on: dt.date | None = None) -> QuerySet[Procedure]:
    """The published procedures the agency offers today (for counter intake)."""
    on = on or timezone.localdate()
    return (
        Procedure.objects.filter(offered_by=agency, is_published=True)
        .filter(Q(active_from__isnull=True) | Q(active_from__lte=on))
        .filter(Q(active_to__isnull=True) | Q(active_to__gte=on))
        .select_related("field")
        .order_by("field__name", "name")
    )


def queue_procedures(agency: Agency) -> QuerySet[Procedure]:
    """The procedures a queue can be filtered by: those the agency offers or
    has dossiers of."""
    filed = Dossier.objects.filter(agency=agency).values("procedure_id")
    return (
        Procedure.objects.filter(Q(offered_by=agency) | Q(pk__in=filed)).distinct().order_by("name")
    )


# --- Statuses in plain words --------------------------------------------------------------

# What the applicant and the public read of a status (tracking, "My dossiers",
# the citizen's API): a stable key and a label.
PUBLIC_STATUS: dict[str, tuple[str, Any]] = {
    S.SUBMITTED: ("submitted", _("submitted, awaiting receipt")),
    S.SUPPLEMENT_REQUESTED: ("incomplete", _("incomplete: documents missing")),
    S.REFUSED: ("refused", _("not accepted")),
    S.RECEIVED: ("received", _("received")),
    S.IN_PROCESSING: ("in_processing", _("in processing")),
    S.PROPOSED: ("in_processing", _("in processing")),
    S.AWAITING_SUPPLEMENT: ("awaiting_documents", _("waiting for your documents")),
    S.APPROVED: ("approved", _("approved")),
    S.REJECTED: ("rejected", _("rejected")),
    S.RESULT_READY: ("result_ready", _("result ready")),
    S.RETURNED: ("returned", _("result returned")),
    S.WITHDRAWN: ("withdrawn", _("withdrawn")),
}


def public_status(status: str) -> tuple[str, Any]:
    return PUBLIC_STATUS.get(status, ("submitted", PUBLIC_STATUS[S.SUBMITTED][1]))
