"""Public tracking of a dossier by its code.

Anyone holding a receipt can see where a dossier is: its code plus the last 4
digits of the applicant's phone number or personal ID number. The answer holds
the procedure, the agency, the status in plain words, the dates, the next step
and a timeline of statuses and dates; never a name, an ID number, a document,
an answer of the form or a reason written by staff.

A wrong code and wrong digits answer exactly the same ("not found"), and every
such failure is counted in the cache (Redis) per client IP and per code: past
``EGOV_TRACKING_MAX_FAILURES`` (10) within ``EGOV_TRACKING_WINDOW_SECONDS``
(15 minutes) the page answers 429 even to correct data, so the 4 digits cannot
be guessed by trying them all. Unknown codes are counted like known ones, so
the throttle says nothing about whether a code exists either.

URLs (namespace ``tracking``):
    track/          track     the form (GET, ``?code=`` prefills it); the answer (POST)
    me/notices/     notices   the signed-in citizen's notices (onecounter.notifications.views)
and, in the API (egov/api.py), ``GET /api/v1/tracking/?code=&digits=``.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from egov.codes import ErrorCode
from egov.errors import ErrorSerializer, NotFoundError, ValidationFailed
from egov.http import client_ip
from onecounter.models import ApologySlip, Dossier, DossierEvent, SupplementRequest
from onecounter.models import DossierStatus as S
from onecounter.selectors import PUBLIC_STATUS, public_status

CODE_RE = re.compile(r"^[A-Z0-9]{2,12}-\d{6}-\d{4,6}$")
DIGITS_RE = re.compile(r"^\d{4}$")

# --- Public wording ------------------------------------------------------------------
# Each internal status has a public key and label. Internal review (a proposed
# decision awaiting signature) is simply "in processing" to the public.

PUBLIC_KEYS = sorted({key for key, _label in PUBLIC_STATUS.values()})

NEXT_STEP: dict[str, Any] = {
    "submitted": _(
        "Nothing to do for now. The one-stop desk of %(agency)s will check your dossier "
        "and give you a receipt with the promised date."
    ),
    "incomplete": _(
        "Bring the missing documents listed in your request to the one-stop desk of "
        "%(agency)s, or send them online."
    ),
    "refused": _("Nothing more to do here. The refusal slip explains why the dossier was not accepted; you may file a new one."),
    "received": _("Nothing to do for now: %(agency)s is processing your dossier."),
    "in_processing": _("Nothing to do for now: %(agency)s is processing your dossier."),
    "awaiting_documents": _(
        "Bring the missing documents listed in your request. The time limit is paused until "
        "they arrive."
    ),
    "approved": _("A decision has been made. You will be told when the result is ready."),
    "rejected": _("A decision has been made. You will be told when the result is ready."),
    "result_ready": _("Collect your result at the one-stop counter of %(agency)s."),
    "returned": _("Nothing more to do: the result has been handed over."),
    "withdrawn": _("Nothing more to do: the dossier was withdrawn."),
}  # fmt: skip

# The clock runs (the promised date can pass) from receipt until the result is ready
# (the same rule as the back office's "late" flag).
CLOCK_RUNNING = {S.RECEIVED, S.IN_PROCESSING, S.PROPOSED, S.APPROVED, S.REJECTED}
FINISHED = {S.REFUSED, S.RETURNED, S.WITHDRAWN}


@dataclass(frozen=True)
class TimelineStep:
    at: dt.datetime
    status: str
    label: Any
    new_due_date: dt.date | None = None


@dataclass(frozen=True)
class PublicDossier:
    """All that the public may see of a dossier."""

    code: str
    procedure_code: str
    procedure_name: str
    agency_code: str
    agency_name: str
    agency_address: str
    agency_phone: str
    status: str
    status_label: Any
    submitted_at: dt.datetime | None
    received_at: dt.datetime | None
    due_date: dt.date | None
    late: bool
    apologised: bool
    due_date_before_apology: dt.date | None
    paused: bool
    documents_due_by: dt.date | None
    result_ready_at: dt.datetime | None
    finished_at: dt.datetime | None
    next_step: str
    timeline: list[TimelineStep] = field(default_factory=list)


# --- Lookup --------------------------------------------------------------------------

PUBLIC_FIELDS = (
    "code",
    "status",
    "submitted_at",
    "received_at",
    "due_date",
    "paused_on",
    "result_ready_at",
    "finished_at",
    "apologised",
    "applicant_phone",
    "applicant_id_number",
    "procedure__code",
    "procedure__name",
    "procedure__name_en",
    "agency__code",
    "agency__name",
    "agency__name_en",
    "agency__address",
    "agency__phone",
)


def _last4(value: str) -> str:
    digits = "".join(ch for ch in value if ch.isdigit())
    return digits[-4:] if len(digits) >= 4 else ""


def normalise_code(value: str) -> str:
    return re.sub(r"\s+", "", value or "").upper()


def find_dossier(code: str, digits: str) -> Dossier | None:
    """The dossier with this code whose applicant's phone number or personal ID
    number ends with ``digits``; else None, whatever the reason. One query;
    the applicant's data is read only to compare, never returned."""
    dossier = (
        Dossier.objects.select_related("procedure", "agency")
        .only(*PUBLIC_FIELDS)
        .exclude(status=S.DRAFT)
        .filter(code=code)
        .first()
    )
    phone = _last4(dossier.applicant_phone) if dossier else ""
    id_number = _last4(dossier.applicant_id_number) if dossier else ""
    # Both comparisons always run, in constant time.
    by_phone = hmac.compare_digest(phone or "-", digits)
    by_id = hmac.compare_digest(id_number or "-", digits)
    return dossier if dossier is not None and (by_phone or by_id) else None


def _late(dossier: Dossier, today: dt.date) -> bool:
    if dossier.status in FINISHED or dossier.due_date is None:
        return False
    if dossier.apologised:
        return True
    if dossier.status in CLOCK_RUNNING:
        return dossier.due_date < today
    if dossier.status == S.AWAITING_SUPPLEMENT and dossier.paused_on:
        return dossier.due_date < dossier.paused_on
    return False


def _timeline(dossier: Dossier) -> list[TimelineStep]:
    """Each change of public status, and each new promised date, with its date."""
    steps: list[TimelineStep] = []
    events = (
        DossierEvent.objects.filter(dossier=dossier)
        .order_by("seq")
        .only("at", "action", "to_status", "data")
    )
    for event in events:
        if event.action == "apologise":
            new_date = event.data.get("new_due_date")
            steps.append(
                TimelineStep(
                    at=event.at,
                    status="new_due_date",
                    label=_("new promised date"),
                    new_due_date=dt.date.fromisoformat(new_date) if new_date else None,
                )
            )
            continue
        key, label = public_status(event.to_status)
        previous = next((s for s in reversed(steps) if s.status != "new_due_date"), None)
        if previous is not None and previous.status == key:
            continue  # e.g. a decision proposed or sent back: still "in processing"
        steps.append(TimelineStep(at=event.at, status=key, label=label))
    return steps


def public_view(dossier: Dossier) -> PublicDossier:
    """What the public sees of a found dossier: 1 to 3 more queries (the events;
    the last apology when there was one; the open request for documents while
    the clock is paused), whatever the size of the dossier."""
    key, label = public_status(dossier.status)
    before_apology = None
    if dossier.apologised:
        apology = (
            ApologySlip.objects.filter(dossier=dossier)
            .order_by("-issued_at")
            .only("old_due_date")
            .first()
        )
        before_apology = apology.old_due_date if apology else None
    documents_due_by = None
    if dossier.status in (S.AWAITING_SUPPLEMENT, S.SUPPLEMENT_REQUESTED):
        request = (
            SupplementRequest.objects.filter(dossier=dossier, answered_at__isnull=True)
            .order_by("-requested_at")
            .only("deadline")
            .first()
        )
        documents_due_by = request.deadline if request else None
    agency_name = dossier.agency.display_name
    return PublicDossier(
        code=dossier.code or "",
        procedure_code=dossier.procedure.code,
        procedure_name=dossier.procedure.display_name,
        agency_code=dossier.agency.code,
        agency_name=agency_name,
        agency_address=dossier.agency.address,
        agency_phone=dossier.agency.phone,
        status=key,
        status_label=label,
        submitted_at=dossier.submitted_at,
        received_at=dossier.received_at,
        due_date=dossier.due_date,
        late=_late(dossier, timezone.localdate()),
        apologised=dossier.apologised,
        due_date_before_apology=before_apology,
        paused=dossier.status == S.AWAITING_SUPPLEMENT,
        documents_due_by=documents_due_by,
        result_ready_at=dossier.result_ready_at,
        finished_at=dossier.finished_at,
        next_step=str(NEXT_STEP[key]) % {"agency": agency_name},
        timeline=_timeline(dossier),
    )


# --- Throttle ------------------------------------------------------------------------


def _limits() -> tuple[int, int]:
    return (
        int(getattr(settings, "EGOV_TRACKING_MAX_FAILURES", 10)),
        int(getattr(settings, "EGOV_TRACKING_WINDOW_SECONDS", 15 * 60)),
    )


def _keys(ip: str, code: str) -> list[str]:
    keys = [f"tracking:fail:ip:{ip}"]
    if code:
        keys.append(f"tracking:fail:code:{code[:40]}")
    return keys


def is_throttled(ip: str, code: str) -> bool:
    limit, _window = _limits()
    counts = cache.get_many(_keys(ip, code))
    return any(int(n) >= limit for n in counts.values())


def record_failure(ip: str, code: str) -> None:
    """Count a failed lookup for the client and for the code, in a window that
    starts with the first failure."""
    _limit, window = _limits()
    for key in _keys(ip, code):
        if cache.add(key, 1, timeout=window):
            continue
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=window)


# --- Form ----------------------------------------------------------------------------


class DigitsInput(forms.TextInput):
    """Never echoes the digits back into the page."""

    def format_value(self, value):
        return None


class TrackForm(forms.Form):
    code = forms.CharField(
        label=_("Dossier code"),
        max_length=30,
        help_text=_("As printed on your receipt, for example UBLB-260304-0001."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
        error_messages={"required": _("Enter the dossier code.")},
    )
    digits = forms.CharField(
        label=_("Last 4 digits of your phone number or of your personal ID number"),
        max_length=10,
        help_text=_(
            "The phone number or personal identification number given when the dossier was filed."
        ),
        widget=DigitsInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        error_messages={"required": _("Enter the last 4 digits.")},
    )

    def clean_code(self) -> str:
        code = normalise_code(self.cleaned_data["code"])
        if not CODE_RE.match(code):
            raise forms.ValidationError(
                _(
                    "Enter the dossier code as printed on your receipt, for example UBLB-260304-0001."
                ),
                code="invalid",
            )
        return code

    def clean_digits(self) -> str:
        digits = re.sub(r"\s+", "", self.cleaned_data["digits"])
        if not DIGITS_RE.match(digits):
            raise forms.ValidationError(_("Enter 4 digits, for example 5678."), code="invalid")
        return digits


NOT_FOUND = _(
    "No dossier matches this code and these digits. Check the code on your receipt and "
    "the last 4 digits of the phone number or personal ID number given when the dossier was filed."
)
THROTTLED = _("Too many attempts. For your security, try again later.")


# --- Pages ---------------------------------------------------------------------------


def _throttled_page(request: HttpRequest) -> HttpResponse:
    _limit, window = _limits()
    response = render(
        request,
        "tracking/throttled.html",
        {"minutes": max(1, window // 60)},
        status=429,
    )
    response["Retry-After"] = str(window)
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    """GET: the form (``?code=`` prefills the code). POST: the dossier, or the
    same "not found" for any wrong code or digits."""
    if request.method == "GET":
        code = normalise_code(request.GET.get("code", ""))[:30]
        form = TrackForm(initial={"code": code} if CODE_RE.match(code) else None)
        return render(request, "tracking/track.html", {"form": form})

    ip = client_ip(request)
    code = normalise_code(request.POST.get("code", ""))[:30]
    if is_throttled(ip, code if CODE_RE.match(code) else ""):
        return _throttled_page(request)
    form = TrackForm(request.POST)
    if not form.is_valid():
        return render(request, "tracking/track.html", {"form": form})
    dossier = find_dossier(form.cleaned_data["code"], form.cleaned_data["digits"])
    if dossier is None:
        record_failure(ip, form.cleaned_data["code"])
        form.add_error(None, forms.ValidationError(NOT_FOUND, code="not_found"))
        return render(request, "tracking/track.html", {"form": form, "not_found": True})
    return render(request, "tracking/result.html", {"dossier": public_view(dossier)})


urlpatterns = [
    path("track/", track, name="track"),
]


# --- API -----------------------------------------------------------------------------


class TimelineStepSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    status = serializers.CharField(
        help_text="Public status reached at this step (see the dossier's `status`), or "
        "`new_due_date` for an apology with a new promised date.",
    )
    label = serializers.CharField(help_text="The status in words, in the request's language.")
    new_due_date = serializers.DateField(allow_null=True)


class TrackingSerializer(serializers.Serializer):
    code = serializers.CharField()
    procedure_code = serializers.CharField()
    procedure_name = serializers.CharField()
    agency_code = serializers.CharField()
    agency_name = serializers.CharField()
    agency_address = serializers.CharField(allow_blank=True)
    agency_phone = serializers.CharField(allow_blank=True)
    status = serializers.CharField(
        help_text="Public status, one of "
        + ", ".join(f"`{key}`" for key in PUBLIC_KEYS)
        + ". A decision proposed and awaiting signature is `in_processing`; "
        "`awaiting_documents`: the clock is paused until the applicant brings what is missing.",
    )
    status_label = serializers.CharField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    received_at = serializers.DateTimeField(allow_null=True)
    due_date = serializers.DateField(allow_null=True, help_text="The promised date.")
    late = serializers.BooleanField(
        help_text="The promised date has passed, or an apology was issued."
    )
    apologised = serializers.BooleanField(
        help_text="An apology with a new promised date was issued; `due_date` is the new date."
    )
    due_date_before_apology = serializers.DateField(allow_null=True)
    paused = serializers.BooleanField(help_text="The clock is paused awaiting documents.")
    documents_due_by = serializers.DateField(
        allow_null=True, help_text="While documents are missing: bring them by this date."
    )
    result_ready_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    next_step = serializers.CharField(help_text="What happens next, in plain words.")
    timeline = TimelineStepSerializer(many=True)


class TrackingView(APIView):
    """Public: no authentication, no CSRF."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @extend_schema(
        operation_id="tracking_lookup",
        tags=["tracking"],
        summary="Track a dossier by its code (public)",
        description=(
            "The status of a dossier, its dates, its next step and a timeline of statuses, "
            "for the dossier code and the last 4 digits of the applicant's phone number or "
            "personal identification number. No personal data is returned. A wrong code and "
            "wrong digits both answer `not_found`. Failed lookups are counted per client "
            "address and per code; past the limit (10 in 15 minutes) every lookup answers "
            "`throttled` with `Retry-After`, even a correct one."
        ),
        parameters=[
            OpenApiParameter(
                "code",
                OpenApiTypes.STR,
                required=True,
                description="Dossier code as on the receipt, e.g. `UBLB-260304-0001`.",
            ),
            OpenApiParameter(
                "digits",
                OpenApiTypes.STR,
                required=True,
                description="Last 4 digits of the applicant's phone number or personal ID number.",
            ),
        ],
        responses={
            200: TrackingSerializer,
            400: OpenApiResponse(ErrorSerializer, description="`invalid`: a parameter is missing or malformed."),
            404: OpenApiResponse(ErrorSerializer, description="`not_found`: no dossier matches this code and these digits."),
            429: OpenApiResponse(ErrorSerializer, description="`throttled`: too many failed lookups; see `Retry-After`."),
        },
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        ip = client_ip(request)
        code = normalise_code(request.query_params.get("code", ""))[:30]
        if is_throttled(ip, code if CODE_RE.match(code) else ""):
            raise exceptions.Throttled(wait=_limits()[1], detail=str(THROTTLED), code="throttled")
        form = TrackForm(request.query_params)
        if not form.is_valid():
            raise ValidationFailed(
                code=ErrorCode.INVALID,
                data={name: [str(e) for e in errors] for name, errors in form.errors.items()},
            )
        dossier = find_dossier(form.cleaned_data["code"], form.cleaned_data["digits"])
        if dossier is None:
            record_failure(ip, form.cleaned_data["code"])
            raise NotFoundError(NOT_FOUND, code=ErrorCode.NOT_FOUND)
        response = Response(TrackingSerializer(public_view(dossier)).data)
        response["Cache-Control"] = "no-store"
        return response


api_urlpatterns = [
    path("tracking/", TrackingView.as_view(), name="tracking"),
]
