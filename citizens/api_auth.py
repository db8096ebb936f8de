"""API tokens for citizens' own programs (the citizen API under /api/v1/me/).

Staff accounts cannot use tokens: their access goes through a session with
the second factor, which a bearer token would bypass.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from citizens.models import User
from egov.codes import ErrorCode


class CitizenTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>``, for accounts that are not staff."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if _is_staff(user):
            raise exceptions.AuthenticationFailed(
                _("Staff accounts sign in with two-step verification; API tokens are for citizens.")
            )
        return user, token


def _is_staff(user: User) -> bool:
    return bool(user.is_superuser or user.is_staff_member)


@transaction.atomic
def api_token_issue(*, user: User) -> str:
    """A new token for the user (any previous one stops working). Shown once."""
    from egov.errors import PermissionDeniedError  # not at import: DRF loads this module early

    if _is_staff(user):
        raise PermissionDeniedError(
            _("Staff accounts cannot have API tokens."), code=ErrorCode.STAFF_TOKEN
        )
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user).key


def api_token_revoke(*, user: User) -> None:
    Token.objects.filter(user=user).delete()
