"""Reads of the procedure catalog.

Every list here costs a fixed number of queries however many rows exist: the
related rows a page shows are joined (``select_related``) or fetched in one
extra query each (``prefetch_related``).

The working-day calendar belongs to the one-stop intake (``onecounter``), one
layer above this app. ``work_calendar()`` is the only place that reaches it,
through a lazy import inside the function, so importing ``procedures`` never
imports ``onecounter``; the date arithmetic itself takes the calendar as an
argument (anything with ``receipt_day`` and ``due_date``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from citizens.models import AdministrativeUnit, Agency
from egov.text import fold
from procedures.models import Field, FormField, Procedure, ProcedureRevision, RequiredDocument

if TYPE_CHECKING:
    from workdays.calendar import WorkCalendar


class Calendar(Protocol):
    def receipt_day(self, received_at: dt.datetime) -> dt.date: ...

    def due_date(self, received_at: dt.datetime, working_days: int) -> dt.date: ...


CHANNELS = ("online", "counter")


# --- Public catalog -------------------------------------------------------------------


def _active_on(day: dt.date) -> Q:
    return (Q(active_from__isnull=True) | Q(active_from__lte=day)) & (
        Q(active_to__isnull=True) | Q(active_to__gte=day)
    )


def _offering_agencies() -> Prefetch:
    return Prefetch(
        "offered_by",
        queryset=Agency.objects.filter(is_active=True).select_related("unit").order_by("name"),
    )


def _search(procedures: QuerySet[Procedure], query: str) -> QuerySet[Procedure]:
    """Every word of the query in the (folded) Vietnamese or English name, or the
    code: "dang ky khai sinh" finds "Đăng ký khai sinh"."""
    query = (query or "").strip()
    if not query:
        return procedures
    condition = Q(code__iexact=query) | Q(code__istartswith=query)
    words = Q()
    for word in fold(query).split():
        words &= Q(search_name__contains=word) | Q(name_en__icontains=word)
    return procedures.filter(condition | words)


def published_procedures(*, today: dt.date | None = None) -> QuerySet[Procedure]:
    """Procedures a citizen may see today: published and within their active dates."""
    today = today or timezone.localdate()
    return Procedure.objects.filter(_active_on(today), is_published=True)


def public_procedures(
    *,
    query: str = "",
    field: str = "",
    online_level: str = "",
    level: str = "",
    agency_kind: str = "",
    agency: str = "",
    ward: str = "",
    today: dt.date | None = None,
) -> QuerySet[Procedure]:
    """The public catalog, filtered. ``field`` is a field code, ``agency`` an
    agency code, ``ward`` the code of a ward/commune (2025 units): procedures
    offered by an agency of that ward."""
    procedures = published_procedures(today=today)
    procedures = _search(procedures, query)
    if field:
        procedures = procedures.filter(field__code=field)
    if online_level:
        procedures = procedures.filter(online_level=online_level)
    if level:
        procedures = procedures.filter(level=level)
    if agency_kind:
        procedures = procedures.filter(agency_kind=agency_kind)
    through = Procedure.offered_by.through
    if agency:
        procedures = procedures.filter(
            Exists(
                through.objects.filter(
                    procedure_id=OuterRef("pk"), agency__code=agency, agency__is_active=True
                )
            )
        )
    if ward:
        procedures = procedures.filter(
            Exists(
                through.objects.filter(
                    procedure_id=OuterRef("pk"),
                    agency__unit__code=ward,
                    agency__unit__era=AdministrativeUnit.Era.CURRENT,
                    agency__unit__level=AdministrativeUnit.Level.COMMUNE,
                    agency__is_active=True,
                )
            )
        )
    return (
        procedures.select_related("field")
        .prefetch_related(_offering_agencies())
        .order_by("search_name", "code")
    )


def public_procedure(code: str, *, today: dt.date | None = None) -> Procedure | None:
    """One public procedure with everything its page or API answer shows."""
    return (
        published_procedures(today=today)
        .select_related("field")
        .prefetch_related(
            _offering_agencies(),
            Prefetch("documents", queryset=RequiredDocument.objects.order_by("order", "id")),
            Prefetch("form_fields", queryset=FormField.objects.order_by("page", "order", "id")),
        )
        .filter(code=code)
        .first()
    )


def public_document(code: str, document_id: int) -> RequiredDocument | None:
    """A required document of a public procedure (for its template download)."""
    return (
        RequiredDocument.objects.filter(
            pk=document_id, procedure__in=published_procedures().filter(code=code)
        )
        .exclude(template="")
        .first()
    )


def catalog_fields() -> QuerySet[Field]:
    """Fields that have at least one public procedure, for the catalog's filter."""
    return Field.objects.filter(
        Exists(published_procedures().filter(field_id=OuterRef("pk")))
    ).order_by("name")


def offering_wards() -> QuerySet[AdministrativeUnit]:
    """Wards/communes with an active agency that offers a public procedure."""
    through = Procedure.offered_by.through
    offering = through.objects.filter(
        agency__unit_id=OuterRef("pk"),
        agency__is_active=True,
        procedure__in=published_procedures(),
    )
    return AdministrativeUnit.objects.filter(
        Exists(offering),
        era=AdministrativeUnit.Era.CURRENT,
        level=AdministrativeUnit.Level.COMMUNE,
    ).order_by("name")


# --- Expected result dates -------------------------------------------------------------


def work_calendar(*, start: dt.date | None = None) -> WorkCalendar:
    """The one-stop working-day calendar from ``start`` on (one query).

    Imported lazily: the calendar is the one-stop intake's, and this app must
    not import ``onecounter`` at module level (dependencies point
    onecounter → procedures)."""
    from workdays.calendar import WorkCalendar

    return WorkCalendar.load(start=start)


@dataclass(frozen=True)
class ExpectedResult:
    channel: str
    submitted_at: dt.datetime
    receipt_day: dt.date
    working_days: int
    expected_result_date: dt.date
    fee: int

    @property
    def same_day(self) -> bool:
        return self.expected_result_date == self.receipt_day


def channels(procedure: Procedure) -> list[str]:
    """The channels a dossier of this procedure can be filed through."""
    if procedure.online_level == Procedure.OnlineLevel.INFO:
        return ["counter"]
    return list(CHANNELS)


def expected_result(
    procedure: Procedure, *, channel: str, submitted_at: dt.datetime, calendar: Calendar
) -> ExpectedResult:
    """When the result is due for a dossier filed through ``channel`` at
    ``submitted_at`` (the 15:00 cut-off and the day of receipt not counted)."""
    online = channel == "online"
    days = procedure.days_online if online else procedure.days_counter
    return ExpectedResult(
        channel=channel,
        submitted_at=submitted_at,
        receipt_day=calendar.receipt_day(submitted_at),
        working_days=days,
        expected_result_date=calendar.due_date(submitted_at, days),
        fee=procedure.fee_online if online else procedure.fee_counter,
    )


def expected_results(
    procedure: Procedure, *, submitted_at: dt.datetime, calendar: Calendar
) -> list[ExpectedResult]:
    return [
        expected_result(procedure, channel=channel, submitted_at=submitted_at, calendar=calendar)
        for channel in channels(procedure)
    ]


# --- Back office -----------------------------------------------------------------------


def admin_procedures(*, query: str = "", published: str = "") -> QuerySet[Procedure]:
    """Every procedure, published or not, for the catalog administrators."""
    procedures = _search(Procedure.objects.all(), query)
    if published == "yes":
        procedures = procedures.filter(is_published=True)
    elif published == "no":
        procedures = procedures.filter(is_published=False)
    return (
        procedures.select_related("field")
        .annotate(
            # Two counts over two joins would multiply each other: count distinct ids.
            document_count=Count("documents", distinct=True),
            question_count=Count("form_fields", distinct=True),
        )
        .order_by("search_name", "code")
    )


def admin_procedure(pk: Any) -> Procedure | None:
    return (
        Procedure.objects.filter(pk=pk)
        .select_related("field")
        .prefetch_related(
            Prefetch("offered_by", queryset=Agency.objects.select_related("unit").order_by("name")),
            Prefetch("documents", queryset=RequiredDocument.objects.order_by("order", "id")),
            Prefetch("form_fields", queryset=FormField.objects.order_by("page", "order", "id")),
        )
        .first()
    )


def procedure_revisions(procedure: Procedure) -> QuerySet[ProcedureRevision]:
    return procedure.revisions.select_related("changed_by").order_by("-version")


# --- Snapshots and what changed between them ------------------------------------------------

PROCEDURE_FIELDS = [
    "code",
    "name",
    "name_en",
    "field",
    "online_level",
    "agency_kind",
    "level",
    "handler",
    "days_online",
    "days_counter",
    "fee_online",
    "fee_counter",
    "fee_late",
    "question_days",
    "retention_dossier_years",
    "retention_result_years",
    "identity_level",
    "summary",
    "summary_en",
    "conditions",
    "conditions_en",
    "legal_basis",
    "result_document",
    "result_document_en",
    "offered_by",
    "active_from",
    "active_to",
    "is_published",
]
DOCUMENT_FIELDS = [
    "name",
    "name_en",
    "originals",
    "copies",
    "mandatory",
    "template",
    "wallet_kind",
    "order",
]
QUESTION_FIELDS = [
    "key",
    "label",
    "label_en",
    "help_text",
    "help_text_en",
    "kind",
    "required",
    "choices",
    "min_value",
    "max_value",
    "max_length",
    "page",
    "order",
]


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "name") and hasattr(value, "storage"):  # a FieldFile
        return value.name or ""
    return value


def procedure_snapshot(procedure: Procedure) -> dict[str, Any]:
    """The procedure, its required documents and its questions as JSON-friendly
    data, as stored in a ProcedureRevision. Reads the rows afresh."""
    data: dict[str, Any] = {}
    for name in PROCEDURE_FIELDS:
        if name == "field":
            data[name] = (
                Field.objects.filter(pk=procedure.field_id).values_list("code", flat=True).first()
            )
        elif name == "offered_by":
            data[name] = sorted(procedure.offered_by.values_list("code", flat=True))
        else:
            data[name] = _plain(getattr(procedure, name))
    data["documents"] = [
        {"id": doc.pk, **{f: _plain(getattr(doc, f)) for f in DOCUMENT_FIELDS}}
        for doc in RequiredDocument.objects.filter(procedure=procedure).order_by("order", "id")
    ]
    data["questions"] = [
        {"id": q.pk, **{f: _plain(getattr(q, f)) for f in QUESTION_FIELDS}}
        for q in FormField.objects.filter(procedure=procedure).order_by("page", "order", "id")
    ]
    return data


@dataclass(frozen=True)
class Change:
    """One difference between two snapshots, for the history page."""

    part: str  # "procedure", "document" or "question"
    action: str  # "changed", "added" or "removed"
    label: str  # the field's name, or the document's / question's name
    attribute: str = ""  # for a changed document or question: which of its fields
    old: Any = None
    new: Any = None

    @property
    def old_display(self) -> str:
        return _display(self.old)

    @property
    def new_display(self) -> str:
        return _display(self.new)


def _display(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _verbose(model, name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name)
    except Exception:  # noqa: BLE001 - a field removed since the snapshot was taken
        return name


def snapshot_changes(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """What changed from ``before`` to ``after`` (two procedure snapshots). An
    empty ``before`` (the procedure's creation) lists nothing but "created"."""
    if not before:
        return []
    changes: list[Change] = []
    for name in PROCEDURE_FIELDS:
        if before.get(name) != after.get(name):
            changes.append(
                Change(
                    "procedure",
                    "changed",
                    _verbose(Procedure, name),
                    name,
                    before.get(name),
                    after.get(name),
                )
            )
    for part, key, model, fields, title in (
        ("document", "documents", RequiredDocument, DOCUMENT_FIELDS, "name"),
        ("question", "questions", FormField, QUESTION_FIELDS, "label"),
    ):
        old_rows = {row["id"]: row for row in before.get(key, [])}
        new_rows = {row["id"]: row for row in after.get(key, [])}
        for row_id, row in new_rows.items():
            old = old_rows.get(row_id)
            if old is None:
                changes.append(Change(part, "added", row[title]))
                continue
            for name in fields:
                if old.get(name) != row.get(name):
                    changes.append(
                        Change(
                            part,
                            "changed",
                            row[title],
                            _verbose(model, name),
                            old.get(name),
                            row.get(name),
                        )
                    )
        for row_id, row in old_rows.items():
            if row_id not in new_rows:
                changes.append(Change(part, "removed", row[title]))
    return changes


@dataclass(frozen=True)
class HistoryEntry:
    revision: ProcedureRevision
    changes: list[Change]

    @property
    def created(self) -> bool:
        return not self.revision.data


def procedure_history(
    procedure: Procedure, revisions: list[ProcedureRevision]
) -> list[HistoryEntry]:
    """Each revision (newest first) with what its change did. A revision holds
    the state *before* its change; the state after is the next revision's, or
    the procedure as it is now. ``revisions`` is one page of
    ``procedure_revisions`` (a list); one query fetches the revision that
    follows the page's newest one when it is not the latest."""
    if not revisions:
        return []
    newest = revisions[0].version
    following = (
        ProcedureRevision.objects.filter(procedure=procedure, version__gt=newest)
        .order_by("version")
        .values_list("data", flat=True)
        .first()
    )
    after = following if following is not None else procedure_snapshot(procedure)
    entries = []
    for revision in revisions:
        entries.append(HistoryEntry(revision, snapshot_changes(revision.data, after)))
        after = revision.data
    return entries
