"""Staff must enrol a TOTP second factor before reaching any back-office page.

Whether a user has one is asked on every staff request: a "yes" is kept in
this process's cache (settings CACHES["local"]) for
``EGOV_MFA_ENROLLED_SECONDS``, and forgotten here as soon as the user's
authenticator is removed (``forget_totp``, on its deletion); another process
sees the removal at most that much later. A "no" is never kept, so a factor
just enrolled counts at once everywhere."""

from __future__ import annotations

from urllib.parse import urlencode

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core.cache import caches
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
        return not has_totp(user)


def _totp_key(user_id: object) -> str:
    return f"mfa:totp:{user_id}"


def has_totp(user) -> bool:
    """Whether ``user`` has enrolled a TOTP second factor (a "yes" is kept a few seconds)."""
    key = _totp_key(user.pk)
    seconds = settings.EGOV_MFA_ENROLLED_SECONDS
    if seconds and caches["local"].get(key):
        return True
    found = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    if found and seconds:
        caches["local"].set(key, True, seconds)
    return found


def forget_totp(sender, instance: Authenticator, **kwargs) -> None:
    """``post_delete`` of an authenticator: ask again next time."""
    caches["local"].delete(_totp_key(instance.user_id))
