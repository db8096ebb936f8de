"""Staff must enrol a TOTP second factor before reaching any back-office page."""

from __future__ import annotations

from urllib.parse import urlencode

from allauth.mfa.models import Authenticator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

PROTECTED_PREFIXES = (
    "/back-office/",
    "/admin/",
    "/api/v1/back-office/",
    "/statistics/",
)
# Open to everyone, staff without a second factor included. (The statistics
# API answers staff without one itself: 403 with a code.)
OPEN_PREFIXES = ("/statistics/public/",)


class StaffMfaRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path
        if (
            path.startswith(PROTECTED_PREFIXES)
            and not path.startswith(OPEN_PREFIXES)
            and self._needs_enrolment(request)
        ):
            target = reverse("mfa_activate_totp")
            return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    @staticmethod
    def _needs_enrolment(request: HttpRequest) -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return False
        if not (user.is_superuser or user.is_staff_member):
            return False
        return not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
