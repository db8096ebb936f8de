"""One exception hierarchy for the domain, mapped once to API responses.

A service raises ``DomainError`` subclasses carrying a machine-readable
``code``, a translatable ``message`` and optional ``data``. The API returns
``{"code": ..., "message": ..., "data": ...}`` with the class's HTTP status;
forms show the message next to the field.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class DomainError(Exception):
    code = "error"
    http_status = status.HTTP_400_BAD_REQUEST
    default_message = _("The request could not be completed.")

    def __init__(self, message: Any = None, *, code: str | None = None, data: Any = None):
        self.message = message if message is not None else self.default_message
        if code:
            self.code = code
        self.data = data or {}
        super().__init__(str(self.message))


class ValidationFailed(DomainError):
    code = "invalid"
    default_message = _("Some of the information is not valid.")


class PermissionDeniedError(DomainError):
    code = "forbidden"
    http_status = status.HTTP_403_FORBIDDEN
    default_message = _("You do not have permission to do this.")


class NotFoundError(DomainError):
    code = "not_found"
    http_status = status.HTTP_404_NOT_FOUND
    default_message = _("Not found.")


class ConflictError(DomainError):
    """An impossible state change (e.g. a transition from the wrong state)."""

    code = "conflict"
    http_status = status.HTTP_409_CONFLICT
    default_message = _("This action is not possible in the current state.")


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
