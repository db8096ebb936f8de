"""Identity level 2 vouched for by a national identity provider (OpenID Connect).

django-allauth runs the OpenID Connect flow (``allauth.socialaccount`` with the
``openid_connect`` provider, configured by the ``EGOV_OIDC_*`` variables). When
an account connects to, signs up with or signs in with that provider, the
personal ID number in the provider's claims (``EGOV_OIDC_ID_CLAIM``) links the
account to the population record at level 2.
"""

from __future__ import annotations

import logging

from allauth.account.signals import user_signed_up
from allauth.socialaccount.signals import (
    pre_social_login,
    social_account_added,
    social_account_updated,
)
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from citizens.models import IdentityLink, Person, User

logger = logging.getLogger(__name__)


@transaction.atomic
def identity_link_from_provider(*, user: User, claims: dict) -> IdentityLink | None:
    """Link ``user`` at level 2 to the living person whose ID number the provider
    asserts. Returns None (and logs, without personal data) when nothing can be linked."""
    id_number = str(claims.get(settings.OIDC_ID_NUMBER_CLAIM) or "").strip()
    person = Person.objects.filter(id_number=id_number, status=Person.Status.LIVING).first()
    if person is None:
        logger.info("identity provider: no living record for the asserted number")
        return None
    taken = IdentityLink.objects.filter(person=person).exclude(user=user).exists()
    link = IdentityLink.objects.select_for_update().filter(user=user).first()
    if taken or (link and link.person_id != person.pk):
        logger.warning("identity provider: record or account already linked elsewhere")
        return None
    if link is None:
        link = IdentityLink(user=user, person=person)
    link.level = IdentityLink.Level.VERIFIED
    link.method = IdentityLink.Method.OIDC
    link.verified_at = timezone.now()
    link.save()
    return link


def _claims(sociallogin) -> dict:
    data = sociallogin.account.extra_data or {}
    claims = dict(data.get("id_token") or {})
    claims.update(data.get("userinfo") or {})
    return claims


def _is_identity_provider(sociallogin) -> bool:
    return sociallogin.account.provider == settings.OIDC_PROVIDER_ID


def on_account_added_or_updated(request, sociallogin, **kwargs) -> None:
    if _is_identity_provider(sociallogin) and sociallogin.user.pk:
        identity_link_from_provider(user=sociallogin.user, claims=_claims(sociallogin))


def on_user_signed_up(request, user, sociallogin=None, **kwargs) -> None:
    if sociallogin is not None and _is_identity_provider(sociallogin):
        identity_link_from_provider(user=user, claims=_claims(sociallogin))


def on_pre_social_login(request, sociallogin, **kwargs) -> None:
    # An existing connection signing in again: refresh the link.
    if _is_identity_provider(sociallogin) and sociallogin.is_existing:
        identity_link_from_provider(user=sociallogin.user, claims=_claims(sociallogin))


def connect() -> None:
    social_account_added.connect(on_account_added_or_updated, dispatch_uid="egov-oidc-added")
    social_account_updated.connect(on_account_added_or_updated, dispatch_uid="egov-oidc-updated")
    user_signed_up.connect(on_user_signed_up, dispatch_uid="egov-oidc-signup")
    pre_social_login.connect(on_pre_social_login, dispatch_uid="egov-oidc-login")
