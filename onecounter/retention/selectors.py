"""Reads of the retention: which closed dossiers are past their retention, the
destruction lists a head reviews and their items (fixed query counts).

A dossier is closed when it is returned, refused or withdrawn; its closing is
``finished_at`` (``decided_at`` for an older row without it). A dossier decided
but whose result was never handed back is not closed: the result still waits
for the citizen. Retention counts whole years from the local day of closing:
a dossier closed on 4 March 2021 with 5 years is due on 4 March 2026.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from citizens.models import Agency, Role, User
from citizens.permissions import agencies_with_roles, roles_in
from onecounter.models import (
    DestructionList,
    DestructionListItem,
    Dossier,
    DossierDocument,
    DossierStatus,
)
from procedures.models import Procedure

CLOSED = (DossierStatus.RETURNED, DossierStatus.REFUSED, DossierStatus.WITHDRAWN)
# A dossier kept on a list (excluded, or its list rejected) is proposed again
# after this many days: a legal hold is looked at again once a year.
REVIEW_AGAIN_DAYS = 365
REVIEW_ROLES = (Role.HEAD,)


def may_review(user: User, agency: Agency) -> bool:
    """Only a head of the agency reviews its destruction lists; a superuser is
    not one by being a superuser (no query: the memberships are loaded once)."""
    return bool(user.is_authenticated and Role.HEAD in roles_in(user, agency))


def review_agencies(user: User) -> list[Agency]:
    if not user.is_authenticated:
        return []
    return agencies_with_roles(user, REVIEW_ROLES)


def years_before(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` earlier (29 February: the 28th)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@dataclass(frozen=True)
class Due:
    dossier: Dossier
    closed_on: dt.date
    destroy_data: bool
    destroy_results: bool


def _due_q(field: str, marker: str, today: dt.date) -> Q:
    """Dossiers whose part (``field``: the procedure's years) is past retention
    and not destroyed yet (``marker``): one condition per retention period in
    the catalog (a few), so the database does the rest."""
    q = Q(pk__in=[])
    years_in_use = (
        Procedure.objects.filter(**{f"{field}__gte": 1})
        .values_list(field, flat=True)
        .distinct()
        .order_by()
    )
    for years in years_in_use:
        before = _start_of(years_before(today, years) + dt.timedelta(days=1))
        q |= Q(**{f"procedure__{field}": years, "closing__lt": before})
    return q & Q(**{f"{marker}__isnull": True})


def due_dossiers(
    agency: Agency, *, today: dt.date | None = None, limit: int | None = None
) -> list[Due]:
    """The agency's closed dossiers past the retention of their data or of their
    results, not yet destroyed, not on an open list and not kept (excluded or
    rejected) in the last ``REVIEW_AGAIN_DAYS``; oldest closing first."""
    today = today or timezone.localdate()
    since = timezone.now() - dt.timedelta(days=REVIEW_AGAIN_DAYS)
    has_results = DossierDocument.objects.filter(
        dossier=OuterRef("pk"), kind=DossierDocument.Kind.RESULT
    ).exclude(file="")
    on_open_list = DestructionListItem.objects.filter(dossier=OuterRef("pk"), is_open=True)
    kept_lately = DestructionListItem.objects.filter(dossier=OuterRef("pk")).filter(
        Q(excluded=True, excluded_at__gte=since)
        | Q(
            destruction_list__status=DestructionList.Status.REJECTED,
            destruction_list__decided_at__gte=since,
        )
    )
    data_due = _due_q("retention_dossier_years", "purged_at", today)
    results_due = _due_q("retention_result_years", "results_purged_at", today)
    rows = (
        Dossier.objects.filter(agency=agency, status__in=CLOSED)
        .annotate(closing=Coalesce("finished_at", "decided_at"))
        .filter(closing__isnull=False)
        .annotate(has_results=Exists(has_results))
        .filter(data_due | (results_due & Q(has_results=True)))
        .exclude(Exists(on_open_list))
        .exclude(Exists(kept_lately))
        .select_related("procedure")
        .only(
            "pk",
            "code",
            "finished_at",
            "decided_at",
            "purged_at",
            "results_purged_at",
            "procedure__id",
            "procedure__retention_dossier_years",
            "procedure__retention_result_years",
        )
        .order_by("closing", "code")
    )
    if limit is not None:
        rows = rows[:limit]
    due: list[Due] = []
    for dossier in rows:
        closed_on = timezone.localdate(dossier.closing)
        procedure = dossier.procedure
        data_years = procedure.retention_dossier_years or 0
        result_years = procedure.retention_result_years or 0
        destroy_data = bool(
            data_years
            and dossier.purged_at is None
            and closed_on <= years_before(today, data_years)
        )
        destroy_results = bool(
            result_years
            and dossier.results_purged_at is None
            and dossier.has_results
            and closed_on <= years_before(today, result_years)
        )
        if destroy_data or destroy_results:
            due.append(Due(dossier, closed_on, destroy_data, destroy_results))
    return due


def lists_for(user: User) -> QuerySet[DestructionList]:
    """The destruction lists of the agencies where the user is a head, newest first."""
    return (
        DestructionList.objects.filter(agency__in=[a.pk for a in review_agencies(user)])
        .select_related("agency", "proposed_by", "decided_by")
        .order_by("-proposed_at", "-pk")
    )


def list_for(user: User, pk: int) -> DestructionList | None:
    """One list, if the user is a head of its agency (else None: a 404)."""
    return lists_for(user).filter(pk=pk).first()


def items_of(destruction_list: DestructionList) -> QuerySet[DestructionListItem]:
    return (
        DestructionListItem.objects.filter(destruction_list=destruction_list)
        .select_related("dossier__procedure", "excluded_by")
        .only(
            "pk",
            "destruction_list_id",
            "closed_on",
            "destroy_data",
            "destroy_results",
            "excluded",
            "excluded_reason",
            "excluded_at",
            "excluded_by__id",
            "excluded_by__full_name",
            "excluded_by__email",
            "done_at",
            "note",
            "dossier__id",
            "dossier__code",
            "dossier__status",
            "dossier__procedure__id",
            "dossier__procedure__code",
            "dossier__procedure__name",
            "dossier__procedure__name_en",
        )
        .order_by("closed_on", "pk")
    )
