"""One exception hierarchy for the domain, mapped once to API responses.

A service raises ``DomainError`` subclasses carrying a machine-readable
``code``, a translatable ``message`` and optional ``data``. The API returns
``{"code": ..., "message": ..., "data": ...}`` with the class's HTTP status;
forms show the message next to the field. Every code is a member of
``egov.codes.ErrorCode``: a code that is not there is refused when raised.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from egov.codes import ErrorCode, describe


class DomainError(Exception):
    code: str = ErrorCode.ERROR
    http_status: int = status.HTTP_400_BAD_REQUEST
    default_message = _("The request could not be completed.")

    def __init__(
        self, message: Any = None, *, code: ErrorCode | str | None = None, data: Any = None
    ):
        self.message = message if message is not None else self.default_message
        # ValueError for a code that is not in the enum: add it there, with its meaning.
        self.code = ErrorCode(code or self.code)
        self.data = data or {}
        super().__init__(str(self.message))


class ValidationFailed(DomainError):
    code = ErrorCode.INVALID
    default_message = _("Some of the information is not valid.")


class PermissionDeniedError(DomainError):
    code = ErrorCode.FORBIDDEN
    http_status = status.HTTP_403_FORBIDDEN
    default_message = _("You do not have permission to do this.")


class NotFoundError(DomainError):
    code = ErrorCode.NOT_FOUND
    http_status = status.HTTP_404_NOT_FOUND
    default_message = _("Not found.")


class ConflictError(DomainError):
    """An impossible state change (e.g. a transition from the wrong state)."""

    code = ErrorCode.CONFLICT
    http_status = status.HTTP_409_CONFLICT
    default_message = _("This action is not possible in the current state.")


def raise_for_page(exc: DomainError) -> None:
    """On a page (not the API): a refusal or an unknown object becomes Django's
    403 or 404 page; any other domain error returns, for the form to show."""
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    if exc.http_status == status.HTTP_403_FORBIDDEN:
        raise PermissionDenied from exc
    if exc.http_status == status.HTTP_404_NOT_FOUND:
        raise Http404 from exc


class ErrorSerializer(serializers.Serializer):
    """The body of every API error."""

    code = serializers.ChoiceField(
        choices=[(c.value, c.value) for c in ErrorCode],
        help_text="One of the error codes:\n" + describe(),
    )
    message = serializers.CharField(help_text="For people, in the request's language.")
    data = serializers.JSONField(  # type: ignore[assignment]  # a field named "data"
        help_text="Details, e.g. each invalid field and its problems."
    )


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DomainError):
        return Response(
            {"code": exc.code, "message": str(exc.message), "data": exc.data},
            status=exc.http_status,
        )
    response = exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict):
        detail = response.data.get("detail")
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        if detail is not None and len(response.data) == 1:
            response.data = {"code": code, "message": str(detail), "data": {}}
        else:
            response.data = {
                "code": "invalid",
                "message": str(_("Some of the information is not valid.")),
                "data": response.data,
            }
    return response
