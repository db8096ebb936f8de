"""The dossier logbook of an agency (Sổ theo dõi hồ sơ, form 06 of Circular
01/2018/TT-VPCP): every dossier that reached the agency's one-stop desk, with
its dates and whether it is late; filterable, paginated, exported as CSV and
Excel.

Who: staff of the agency in the URL, whatever their role; anyone else is
refused (403), an anonymous visitor is sent to sign in.

A dossier is late when an apology slip with a new date was issued for it, when
its result came after the promised date, or, while it is still open, when the
promised date has passed (while paused for a supplement: when it was paused
after the promised date). Refused and withdrawn dossiers without an apology are
not late.

The page costs the same number of queries however many rows the agency has;
the exports stream the rows from one server-side cursor.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.db.models import (
    Avg,
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
)
from django.db.models.functions import Coalesce, TruncDate
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from citizens import permissions
from citizens.models import Agency
from citizens.views import staff_required
from egov import tables
from onecounter import selectors
from onecounter.models import Dossier, DossierStatus, Rating
from procedures.models import Procedure

PAGE_SIZE = 50
EXPORT_CHUNK = 2000

# Column headers of the exports: the logbook is a Vietnamese form.
EXPORT_HEADERS = [
    "STT",
    "Mã hồ sơ",
    "Tên thủ tục hành chính",
    "Tên cá nhân, tổ chức",
    "Kênh nộp",
    "Ngày, giờ nhận hồ sơ",
    "Ngày hẹn trả kết quả",
    "Ngày có kết quả",
    "Trạng thái",
    "Trễ hạn",
]


# --- Filters -------------------------------------------------------------------------


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class ProcedureChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Procedure) -> str:
        return f"{obj.code} – {obj.display_name}"


class LogbookFilterForm(forms.Form):
    received_from = forms.DateField(label=_("Received from"), required=False, widget=DateInput)
    received_to = forms.DateField(label=_("Received until"), required=False, widget=DateInput)
    procedure = ProcedureChoiceField(
        label=_("Procedure"),
        queryset=Procedure.objects.none(),
        required=False,
        empty_label=_("All procedures"),
    )
    status = forms.ChoiceField(label=_("Status"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    late = forms.BooleanField(label=_("Late dossiers only"), required=False)

    def __init__(self, *args: Any, agency: Agency, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["procedure"].queryset = procedures_of(agency)
        self.fields["status"].choices = [("", _("All statuses"))] + [
            (value, label) for value, label in DossierStatus.choices if value != DossierStatus.DRAFT
        ]
        self.fields["channel"].choices = [("", _("Both channels")), *Dossier.Channel.choices]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("received_from"), data.get("received_to")
        if start and end and start > end:
            self.add_error("received_to", _("The end of the period must not be before its start."))
        return data


def procedures_of(agency: Agency) -> QuerySet[Procedure]:
    """The procedures the agency offers or has dossiers of (for the filter)."""
    return (
        Procedure.objects.filter(
            Exists(Dossier.objects.filter(agency=agency, procedure=OuterRef("pk")))
            | Exists(
                Procedure.offered_by.through.objects.filter(agency=agency, procedure=OuterRef("pk"))
            )
        )
        .only("pk", "code", "name", "name_en")
        .order_by("name")
    )


# --- Rows ----------------------------------------------------------------------------


def late_condition(today: dt.date) -> Q:
    """Late as the queues say (``selectors.late_q``: an apology was issued, or the
    promised date passed while the clock ran), and also, for the dossiers whose
    result is ready, when it came after the promised date. Needs ``result_day``."""
    return selectors.late_q(today) | Q(
        result_ready_at__isnull=False, due_date__isnull=False, result_day__gt=F("due_date")
    )


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def logbook_rows(agency: Agency, filters: dict[str, Any]) -> QuerySet[Dossier]:
    """The agency's dossiers past the draft stage, newest first, with ``is_late``."""
    late = late_condition(timezone.localdate())
    rows = (
        Dossier.objects.filter(agency=agency)
        .exclude(status=DossierStatus.DRAFT)
        .select_related("procedure")
        .only(
            "id",
            "code",
            "channel",
            "status",
            "applicant_name",
            "submitted_at",
            "received_at",
            "due_date",
            "result_ready_at",
            "apologised",
            "paused_on",
            "procedure__id",
            "procedure__code",
            "procedure__name",
            "procedure__name_en",
        )
        .annotate(result_day=TruncDate("result_ready_at"))
        .annotate(is_late=ExpressionWrapper(late, output_field=BooleanField()))
        .order_by(Coalesce("received_at", "submitted_at").desc(), "-code")
    )
    if filters.get("received_from"):
        rows = rows.filter(received_at__gte=_start_of(filters["received_from"]))
    if filters.get("received_to"):
        rows = rows.filter(received_at__lt=_start_of(filters["received_to"] + dt.timedelta(days=1)))
    if filters.get("procedure"):
        rows = rows.filter(procedure=filters["procedure"])
    if filters.get("status"):
        rows = rows.filter(status=filters["status"])
    if filters.get("channel"):
        rows = rows.filter(channel=filters["channel"])
    if filters.get("late"):
        rows = rows.filter(late)
    return rows


def _filters(request: HttpRequest, agency: Agency) -> LogbookFilterForm:
    form = LogbookFilterForm(request.GET or None, agency=agency)
    if request.GET:
        form.is_valid()
    return form


def _agency(request: HttpRequest, code: str) -> Agency:
    return permissions.agency_for(request.user, code)


# --- Views ---------------------------------------------------------------------------


@staff_required
def logbook(request: HttpRequest, code: str) -> HttpResponse:
    agency = _agency(request, code)
    form = _filters(request, agency)
    filters = form.cleaned_data if form.is_bound else {}
    rows = logbook_rows(agency, filters)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    # Satisfaction of the applicants of the dossiers shown (ratings after return).
    satisfaction = Rating.objects.filter(dossier__in=rows.values("pk")).aggregate(
        average=Avg("score"), count=Count("pk")
    )
    return render(
        request,
        "backoffice/logbook/index.html",
        {
            "agency": agency,
            "form": form,
            "page": page,
            "satisfaction": satisfaction,
            "filtered": bool(
                form.is_bound and any(v not in (None, "", False) for v in filters.values())
            ),
        },
    )


def _export_rows(agency: Agency, filters: dict[str, Any]) -> Iterator[list[Any]]:
    """The rows of the exports, in Vietnamese: (STT, code, procedure, ...)."""
    rows = logbook_rows(agency, filters)
    with translation.override("vi"):
        statuses = {value: str(label) for value, label in DossierStatus.choices}
        channels = {value: str(label) for value, label in Dossier.Channel.choices}
    for number, dossier in enumerate(rows.iterator(chunk_size=EXPORT_CHUNK), start=1):
        yield [
            number,
            dossier.code,
            dossier.procedure.name,
            dossier.applicant_name,
            channels.get(dossier.channel, dossier.channel),
            timezone.localtime(dossier.received_at).replace(tzinfo=None)
            if dossier.received_at
            else None,
            dossier.due_date,
            dossier.result_day,
            statuses.get(dossier.status, dossier.status),
            "Có" if dossier.is_late else "Không",
        ]


def _export_name(agency: Agency, extension: str) -> str:
    return f"so-theo-doi-ho-so-{agency.code}-{timezone.localdate():%Y%m%d}.{extension}"


def _export_filters(request: HttpRequest, agency: Agency) -> dict[str, Any] | None:
    """The cleaned filters of an export, or None when they are invalid."""
    form = _filters(request, agency)
    if form.is_bound and form.errors:
        return None
    return form.cleaned_data if form.is_bound else {}


def _back_to_page(request: HttpRequest, agency: Agency) -> HttpResponse:
    return redirect(f"{reverse('logbook:index', args=[agency.code])}?{request.GET.urlencode()}")


@staff_required
def logbook_csv(request: HttpRequest, code: str) -> HttpResponseBase:
    agency = _agency(request, code)
    filters = _export_filters(request, agency)
    if filters is None:
        return _back_to_page(request, agency)
    return tables.csv_response(
        EXPORT_HEADERS, _export_rows(agency, filters), _export_name(agency, "csv")
    )


@staff_required
def logbook_xlsx(request: HttpRequest, code: str) -> HttpResponse:
    agency = _agency(request, code)
    filters = _export_filters(request, agency)
    if filters is None:
        return _back_to_page(request, agency)
    content = tables.xlsx_bytes(
        sheet_title="Sổ theo dõi hồ sơ",
        titles=[
            tables.Title("SỔ THEO DÕI HỒ SƠ (Mẫu số 06)", bold=True, size=14),
            tables.Title(agency.name, bold=True),
            tables.Title(f"Xuất ngày {timezone.localdate():%d/%m/%Y}"),
        ],
        headers=EXPORT_HEADERS,
        rows=_export_rows(agency, filters),
        formats={5: tables.DATETIME, 6: tables.DATE, 7: tables.DATE},  # by column
        widths=(6, 22, 48, 28, 12, 18, 14, 14, 24, 9),
    )
    return tables.xlsx_response(content, _export_name(agency, "xlsx"))


# Included by onecounter/urls.py under back-office/agencies/<code>/logbook/.
app_name = "logbook"
urlpatterns = [
    path("", logbook, name="index"),
    path("export.csv", logbook_csv, name="csv"),
    path("export.xlsx", logbook_xlsx, name="xlsx"),
]
