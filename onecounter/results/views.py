"""Public verification of issued results (the QR codes), and their management.

Anyone holding a result (or its QR code) can check it at ``/verify/<token>``:
the page confirms the kind of document, its number, its date of issue, the
issuing agency, the holder's initials and year of birth, and says when it was
revoked (date, reason) or replaced (by which number, issued when). Nothing
else: no name, no ID number, no file. The page is not indexed, not cached by
shared caches, and sends no referrer (the address holds the token).

An unknown and a malformed token answer the same 404 page ("No document with
this code") after the same single query, and are logged nowhere; each found
document's check is logged (``DocumentVerification``). Checks are throttled
per client address like public tracking (see ``onecounter.results.verification``).

URLs (namespace ``verify``, mounted at the root):
    verify/<token>                              page              the public page
    back-office/documents/<uuid>/               document          a result, for its agencies' staff
    back-office/documents/<uuid>/pdf/           document-pdf      its PDF
    back-office/documents/<uuid>/revoke/        document-revoke   POST: revoke (head of the issuing agency)
    back-office/documents/<uuid>/replace/       document-replace  POST: replace (head of the issuing agency)
and, in the API (``api_urlpatterns``, mounted in egov/api.py):
    GET /api/v1/verify/<token>/                 the same facts as JSON
"""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from citizens.views import staff_required
from egov.codes import ErrorCode
from egov.errors import (
    ConflictError,
    DomainError,
    ErrorSerializer,
    NotFoundError,
    PermissionDeniedError,
)
from egov.http import client_ip
from onecounter import selectors
from onecounter.models import DossierDocument
from onecounter.results import services, verification
from onecounter.slips.documents import document_response

NOT_FOUND = _("No document with this code")
THROTTLED = _("Too many checks. For your security, try again later.")


def _private(response: HttpResponse) -> HttpResponse:
    """Never indexed, never sent on as a referrer, never kept by a shared cache
    (``never_cache`` on the views adds ``Cache-Control: private, no-store``),
    and never written to the log: Django's request logger writes the path of
    every 4xx answer, and the path holds the code."""
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response._has_been_logged = True  # read by django.utils.log.log_response
    return response


# --- The public page -------------------------------------------------------------------


def _throttled_page(request: HttpRequest) -> HttpResponse:
    _failures, _lookups, window = verification.limits()
    response = render(
        request, "verify/throttled.html", {"minutes": max(1, window // 60)}, status=429
    )
    response["Retry-After"] = str(window)
    return _private(response)


@never_cache
@require_GET
def page(request: HttpRequest, token: str) -> HttpResponse:
    address = client_ip(request)
    if verification.is_throttled(address):
        return _throttled_page(request)
    document = verification.find_document(token)
    verification.record_lookup(address, found=document is not None)
    if document is None:
        return _private(render(request, "verify/not_found.html", status=404))
    verification.verification_log(
        document, address=address, user_agent=request.headers.get("User-Agent", "")
    )
    view = verification.public_view(document)
    return _private(render(request, "verify/document.html", {"document": view}))


# --- The back-office page of a result ------------------------------------------------------


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Give the reason.")},
    )


class RevokeForm(ReasonForm):
    prefix = "revoke"
    reason = forms.CharField(
        label=_("Reason for revoking it"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown to anyone who checks the document."),
        error_messages={"required": _("Give the reason.")},
    )


class ReplaceForm(ReasonForm):
    prefix = "replace"
    reason = forms.CharField(
        label=_("Reason for replacing it"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "A new document is issued from the current records, with a new number and QR code. "
            "The reason is kept for the record and not shown to the public."
        ),
        error_messages={"required": _("Give the reason.")},
    )


def _staff_document(request: HttpRequest, pk: uuid.UUID) -> DossierDocument:
    """An issued result, for staff of the agency that issued it or of the
    dossier's agency (any dossier role); else 404, as for no such document."""
    document = (
        DossierDocument.objects.filter(pk=pk, kind=DossierDocument.Kind.RESULT)
        .exclude(verify_token=None)
        .select_related(
            "dossier__procedure", "dossier__agency", "issued_by", "holder", "replaced_by"
        )
        .first()
    )
    if document is None:
        raise Http404
    agencies = {document.issued_by_id, document.dossier.agency_id}
    member = any(
        m.agency_id in agencies and m.role in selectors.DOSSIER_ROLES
        for m in request.user.active_memberships
    )
    if not (member or request.user.is_superuser):
        raise Http404
    return document


def _detail(
    request: HttpRequest,
    document: DossierDocument,
    *,
    revoke_form: RevokeForm | None = None,
    replace_form: ReplaceForm | None = None,
    status: int = 200,
) -> HttpResponse:
    dossier = document.dossier
    status_key = verification.status_of(document)
    can_manage = verification.may_manage(request.user, document)
    dossier_agency_member = any(
        m.agency_id == dossier.agency_id and m.role in selectors.DOSSIER_ROLES
        for m in request.user.active_memberships
    )
    response = render(
        request,
        "verify/backoffice_document.html",
        {
            "document": document,
            "dossier": dossier,
            "dossier_link": dossier_agency_member,
            "public": verification.public_view(document),
            "status": status_key,
            "can_manage": can_manage and status_key == verification.Outcome.VALID,
            "revoke_form": revoke_form or RevokeForm(),
            "replace_form": replace_form or ReplaceForm(),
            "replaces": list(document.replaces.all()),
            "verify_url": verification.verify_url(document.verify_token),
            "verifications": list(document.verifications.all()[:20]),
            "verification_count": document.verifications.count(),
        },
        status=status,
    )
    response["Referrer-Policy"] = "no-referrer"
    return response


@staff_required
@never_cache
@require_GET
def document_detail(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    return _detail(request, _staff_document(request, pk))


@staff_required
@require_GET
def document_pdf(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    document = _staff_document(request, pk)
    try:
        return document_response(document)
    except FileNotFoundError as exc:
        raise Http404 from exc


ERROR_STATUS = {PermissionDeniedError: 403, ConflictError: 409}


def _manage(request: HttpRequest, pk: uuid.UUID, form_class, service, done_message):
    document = _staff_document(request, pk)
    form = form_class(request.POST)
    forms_kw = {"revoke_form" if form_class is RevokeForm else "replace_form": form}
    if not verification.may_manage(request.user, document):
        form.add_error(
            None, _("Only the head of the issuing agency can revoke or replace this document.")
        )
        return _detail(request, document, status=403, **forms_kw)
    if not form.is_valid():
        return _detail(request, document, status=400, **forms_kw)
    try:
        result = service(document, request.user, form.cleaned_data["reason"])
    except DomainError as exc:
        form.add_error(None, exc.message)
        status = next((s for cls, s in ERROR_STATUS.items() if isinstance(exc, cls)), 400)
        return _detail(request, _staff_document(request, pk), status=status, **forms_kw)
    messages.success(request, done_message % {"number": result.number})
    return redirect("verify:document", pk=result.pk)


@staff_required
@require_POST
def document_revoke(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    return _manage(
        request,
        pk,
        RevokeForm,
        services.document_revoke,
        gettext_now("Document %(number)s is revoked."),
    )


@staff_required
@require_POST
def document_replace(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    return _manage(
        request,
        pk,
        ReplaceForm,
        services.document_replace,
        gettext_now("The replacement, document %(number)s, is issued."),
    )


urlpatterns = [
    path("verify/<str:token>", page, name="page"),
    path("verify/<str:token>/", page),
    path("back-office/documents/<uuid:pk>/", document_detail, name="document"),
    path("back-office/documents/<uuid:pk>/pdf/", document_pdf, name="document-pdf"),
    path("back-office/documents/<uuid:pk>/revoke/", document_revoke, name="document-revoke"),
    path("back-office/documents/<uuid:pk>/replace/", document_replace, name="document-replace"),
]


# --- API -----------------------------------------------------------------------------------


class VerifiedDocumentSerializer(serializers.Serializer):
    kind = serializers.CharField(
        help_text="Kind of result: `birth_certificate`, `residence_confirmation`, "
        "`health_insurance_card`, `decision` or `rejection`."
    )
    title = serializers.CharField(help_text="The title printed on the document (Vietnamese).")
    kind_label = serializers.CharField(help_text="The kind in the request's language.")
    number = serializers.CharField(help_text="The document number printed on it.")
    issued_on = serializers.DateField()
    issuing_agency = serializers.CharField()
    holder_initials = serializers.CharField(
        help_text="Initials of the person it is about, e.g. `N. V. A.`; empty if none."
    )
    holder_birth_year = serializers.IntegerField(allow_null=True)
    status = serializers.ChoiceField(
        choices=["valid", "revoked", "replaced"],
        help_text="`revoked`: no longer valid (see `revoked_on`, `revoked_reason`); "
        "`replaced`: superseded by the document `replaced_by_number`.",
    )
    revoked_on = serializers.DateField(allow_null=True)
    revoked_reason = serializers.CharField(allow_blank=True)
    replaced_by_number = serializers.CharField(allow_blank=True)
    replaced_by_issued_on = serializers.DateField(allow_null=True)


class VerifyDocumentApi(APIView):
    """Public: no authentication, no CSRF."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    def finalize_response(self, request, response, *args, **kwargs):
        return _private(super().finalize_response(request, response, *args, **kwargs))

    @extend_schema(
        operation_id="verify_document",
        tags=["verification"],
        summary="Verify an issued document by the code of its QR link (public)",
        description=(
            "What the QR code of a result document leads to, as JSON: the kind, number, date "
            "of issue and issuing agency of the document, the initials and year of birth of "
            "the person it is about, and whether it is valid, revoked or replaced. Each "
            "check is logged. An unknown or malformed code answers `document_not_found`. "
            "Unknown codes are counted per client address; past the limit every check "
            "answers `throttled` with `Retry-After`."
        ),
        responses={
            200: VerifiedDocumentSerializer,
            404: OpenApiResponse(ErrorSerializer, description="`document_not_found`: no document has this code."),
            429: OpenApiResponse(ErrorSerializer, description="`throttled`: too many checks; see `Retry-After`."),
        },
    )  # fmt: skip
    def get(self, request: Request, token: str) -> Response:
        address = client_ip(request)
        if verification.is_throttled(address):
            raise exceptions.Throttled(
                wait=verification.limits()[2], detail=str(THROTTLED), code="throttled"
            )
        document = verification.find_document(token)
        verification.record_lookup(address, found=document is not None)
        if document is None:
            raise NotFoundError(NOT_FOUND, code=ErrorCode.DOCUMENT_NOT_FOUND)
        verification.verification_log(
            document, address=address, user_agent=request.headers.get("User-Agent", "")
        )
        response = Response(VerifiedDocumentSerializer(verification.public_view(document)).data)
        response["Cache-Control"] = "private, no-store"
        return response


api_urlpatterns = [
    path("verify/<str:token>/", VerifyDocumentApi.as_view(), name="verify-document"),
]
