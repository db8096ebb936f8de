"""The agency API's views: look a person up, and tell a key what it may read.

Thin: the key authenticates (``auth``), the purpose check lets person-lookup
keys through (``purposes``), the throttle counts (``throttling``); the view
checks the input, reads the row with its access log (``lookup``) and answers
exactly the purpose's fields (``serialisation``). JSON only, whatever Accept
says.

Failed lookups (malformed or unknown ID number) write no ``AccessLog``: there is
no person to attach it to, and the log is the person's view of who read their
record. They are logged on the ``citizens.agency_api`` Python logger instead,
with the agency code, the key prefix and the outcome only (no ID number: no
personal data in logs).
"""

from __future__ import annotations

import logging

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from citizens.agency_api.auth import AgencyApiKeyAuthentication
from citizens.agency_api.lookup import person_row_logged
from citizens.agency_api.purposes import PURPOSES, HasAgencyCredential, purpose_text
from citizens.agency_api.schema import (
    AUTH_ERRORS,
    AgencyPersonSerializer,
    AgencyWhoAmISerializer,
    error_response,
)
from citizens.agency_api.serialisation import person_payload
from citizens.agency_api.throttling import AgencyCredentialThrottle
from citizens.idnumbers import validation_errors
from citizens.models import AgencyApiCredential
from egov.codes import ErrorCode
from egov.errors import NotFoundError, ValidationFailed

logger = logging.getLogger("citizens.agency_api")

DOSSIER_REF_MAX = 40  # AccessLog.dossier_ref
REASON_MAX = 200  # leaves room for the purpose label in AccessLog.purpose (500)


class JsonOnlyNegotiation(BaseContentNegotiation):
    """The agency API answers JSON, whatever the Accept header says: no parsing
    of Accept on every call (DRF's default negotiation, for one renderer)."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class AgencyApiView(APIView):
    authentication_classes = [AgencyApiKeyAuthentication]
    permission_classes = [HasAgencyCredential]
    throttle_classes = [AgencyCredentialThrottle]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JsonOnlyNegotiation

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code >= 400:
            # Django's "django.request" logger would write the path of a 4xx,
            # and the path holds a personal ID number. This module logs its own
            # line without personal data instead (see ``_refused``).
            response._has_been_logged = True
        return response


def _refused(credential: AgencyApiCredential, outcome: str) -> None:
    # No ID number here: no personal data in logs.
    logger.info(
        "agency lookup refused: agency=%s key=%s outcome=%s",
        credential.agency.code,
        credential.prefix,
        outcome,
    )


class AgencyPersonView(AgencyApiView):
    @extend_schema(
        operation_id="agency_person_lookup",
        tags=["agency systems"],
        summary="Look a person up by personal ID number (another agency's system)",
        description=(
            "Answers with exactly the fields of the API key's purpose "
            "(see `/api/v1/agency/whoami/`); every field below says which purposes "
            "include it. Each successful lookup is written to the person's access log "
            "with the agency, the purpose, the reason and the dossier reference."
        ),
        parameters=[
            OpenApiParameter(
                "id_number",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                description="Personal ID number, 12 digits.",
            ),
            OpenApiParameter(
                "X-Dossier-Ref",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description=f"The dossier this lookup serves (at most {DOSSIER_REF_MAX} "
                "characters); written to the access log.",
            ),
            OpenApiParameter(
                "reason",
                OpenApiTypes.STR,
                OpenApiParameter.QUERY,
                description=f"Why the record is read (at most {REASON_MAX} characters); "
                "written to the access log.",
            ),
        ],
        responses={
            200: AgencyPersonSerializer,
            400: error_response(
                "`invalid_id_number` (the message names the wrong part), "
                "`invalid_dossier_ref` or `invalid_reason`."
            ),
            404: error_response("`person_not_found`: no record has this ID number."),
            **AUTH_ERRORS,
        },
    )
    def get(self, request: Request, id_number: str) -> Response:
        credential: AgencyApiCredential = request.auth
        id_number = id_number.strip()
        problems = validation_errors(id_number)
        if problems:
            _refused(credential, "invalid_id_number")
            raise ValidationFailed(
                " ".join(str(e.message) % (e.params or {}) for e in problems),
                code=ErrorCode.INVALID_ID_NUMBER,
                data={
                    "errors": [
                        {"code": e.code, "message": str(e.message) % (e.params or {})}
                        for e in problems
                    ]
                },
            )
        dossier_ref = request.headers.get("X-Dossier-Ref", "").strip()
        if len(dossier_ref) > DOSSIER_REF_MAX:
            _refused(credential, "invalid_dossier_ref")
            raise ValidationFailed(
                _("X-Dossier-Ref has at most %(max)d characters.") % {"max": DOSSIER_REF_MAX},
                code=ErrorCode.INVALID_DOSSIER_REF,
            )
        reason = " ".join(request.query_params.get("reason", "").split())
        if len(reason) > REASON_MAX:
            _refused(credential, "invalid_reason")
            raise ValidationFailed(
                _("The reason has at most %(max)d characters.") % {"max": REASON_MAX},
                code=ErrorCode.INVALID_REASON,
            )
        row = person_row_logged(
            id_number=id_number,
            purpose=credential.purpose,
            agency=credential.agency,
            purpose_text=purpose_text(credential, reason),
            dossier_ref=dossier_ref,
        )
        if row is None:
            _refused(credential, "person_not_found")
            raise NotFoundError(
                _("No record has this personal ID number."), code=ErrorCode.PERSON_NOT_FOUND
            )
        return Response(person_payload(row, credential.purpose))


class AgencyWhoAmIView(AgencyApiView):
    @extend_schema(
        operation_id="agency_whoami",
        tags=["agency systems"],
        summary="The agency, purpose and fields of the API key in use",
        responses={200: AgencyWhoAmISerializer, **AUTH_ERRORS},
    )
    def get(self, request: Request) -> Response:
        credential: AgencyApiCredential = request.auth
        purpose = PURPOSES[credential.purpose]
        return Response(
            {
                "agency_code": credential.agency.code,
                "agency_name": credential.agency.display_name,
                "credential_name": credential.name,
                "purpose": credential.purpose,
                "purpose_label": str(purpose.label),
                "fields": list(purpose.fields),
            }
        )
