"""Agency API keys: issue and revoke, the secret's hash, the system accounts of
one-stop keys, and authentication by key (DRF).

A key is ``<prefix>.<secret>``: the prefix finds the credential, only a hash of
the secret is stored. Reading the credential with its agency is one query, on
every API call (``agency_credential_for_key``).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, connections, router, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from citizens.agency_api import statements
from citizens.agency_api.purposes import (
    ONE_STOP_PURPOSE,
    ONE_STOP_ROLES,
    PURPOSES,
    is_known_purpose,
)
from citizens.models import Agency, AgencyApiCredential
from egov.codes import ErrorCode
from egov.errors import ValidationFailed

logger = logging.getLogger("citizens.agency_api")

_HASH_SCHEME = "sha256$"


def _secret_hash(secret: str) -> str:
    # A plain SHA-256 is enough here, unlike for passwords: the secret is 32
    # random bytes (256 bits) from ``secrets``, so a leaked hash cannot be
    # brute-forced or looked up in a dictionary however fast the hash is. A slow
    # hasher (PBKDF2, Argon2) only protects low-entropy secrets, and would cost
    # ~100 ms of CPU on every API call.
    return _HASH_SCHEME + hashlib.sha256(secret.encode()).hexdigest()


_NO_SUCH_HASH = _secret_hash("-")


def system_user_email(prefix: str) -> str:
    return f"api-{prefix}@agency-systems.invalid"


# --- Issue and revoke -------------------------------------------------------------


@transaction.atomic
def agency_credential_issue(
    *, agency: Agency, name: str, purpose: str, role: str = ""
) -> tuple[AgencyApiCredential, str]:
    """Issue an API key for an agency's system. Returns the credential and the
    raw key ``<prefix>.<secret>``, which is shown once and never stored.

    With ``purpose="one_stop"`` the key acts on the agency's dossiers in
    ``role`` (clerk, officer or head) as a system account created for it."""
    if purpose == ONE_STOP_PURPOSE:
        if role not in ONE_STOP_ROLES:
            raise ValidationFailed(
                _("A one-stop key needs a role: clerk, officer or head."),
                code=ErrorCode.ROLE_REQUIRED,
            )
    elif purpose not in PURPOSES:
        raise ValidationFailed(
            _("Unknown purpose “%(purpose)s”. Choose one of: %(choices)s.")
            % {"purpose": purpose, "choices": ", ".join(PURPOSES)},
            code=ErrorCode.UNKNOWN_PURPOSE,
        )
    if not name.strip():
        raise ValidationFailed(_("Give the key a name."), code=ErrorCode.NAME_REQUIRED)
    if not agency.is_active:
        raise ValidationFailed(_("This agency is not active."), code=ErrorCode.AGENCY_INACTIVE)
    for _attempt in range(5):
        prefix = secrets.token_hex(5)  # 10 characters, never a "."
        secret = secrets.token_urlsafe(32)
        try:
            with transaction.atomic():
                credential = AgencyApiCredential.objects.create(
                    agency=agency,
                    name=name.strip()[:120],
                    purpose=purpose,
                    prefix=prefix,
                    secret_hash=_secret_hash(secret),
                )
        except IntegrityError:  # prefix taken: draw again
            continue
        if purpose == ONE_STOP_PURPOSE:
            _system_user_create(credential, role)
        return credential, f"{prefix}.{secret}"
    raise RuntimeError("Could not find a free API key prefix.")


def _system_user_create(credential: AgencyApiCredential, role: str) -> None:
    from citizens.models import StaffMembership, User

    user = User(
        email=system_user_email(credential.prefix),
        full_name=f"{credential.name} ({credential.agency.code})"[:150],
    )
    user.set_unusable_password()
    user.save()
    StaffMembership.objects.create(user=user, agency=credential.agency, role=role)


def system_user_for(credential: AgencyApiCredential):
    from citizens.models import User

    return User.objects.filter(email=system_user_email(credential.prefix), is_active=True).first()


@transaction.atomic
def agency_credential_revoke(*, credential: AgencyApiCredential) -> AgencyApiCredential:
    """Revoke a key for good (idempotent). The next request with it gets 401."""
    locked = AgencyApiCredential.objects.select_for_update().get(pk=credential.pk)
    if locked.revoked_at is None or locked.is_active:
        locked.is_active = False
        locked.revoked_at = locked.revoked_at or timezone.now()
        locked.save(update_fields=["is_active", "revoked_at"])
    if locked.purpose == ONE_STOP_PURPOSE:
        from citizens.models import User

        User.objects.filter(email=system_user_email(locked.prefix)).update(is_active=False)
    credential.is_active, credential.revoked_at = locked.is_active, locked.revoked_at
    return locked


# --- Reading a credential by its key ------------------------------------------------


@dataclass(frozen=True)
class _CredentialQuery:
    sql: str  # one parameter: the prefix
    credential_fields: tuple[str, ...]  # attnames, in the order of the columns
    agency_fields: tuple[str, ...]


@functools.cache
def _credential_query() -> _CredentialQuery | None:
    """``AgencyApiCredential.objects.select_related("agency").filter(prefix=...)[:1]``
    in SQL, written once per process: the ORM spent more CPU compiling that
    query (about 0.5 ms) than PostgreSQL spends running it, on every API call.
    None when a field needs the ORM's conversion of what the driver returns
    (``from_db_value``): then the ORM reads it."""
    credential_fields = AgencyApiCredential._meta.concrete_fields
    agency_fields = Agency._meta.concrete_fields
    if any(hasattr(f, "from_db_value") for f in (*credential_fields, *agency_fields)):
        return None
    columns = [f'c."{f.column}"' for f in credential_fields]
    columns += [f'a."{f.column}"' for f in agency_fields]
    agency_fk = AgencyApiCredential._meta.get_field("agency").column
    prefix = AgencyApiCredential._meta.get_field("prefix").column
    sql = (
        f'SELECT {", ".join(columns)} FROM "{AgencyApiCredential._meta.db_table}" c '
        f'INNER JOIN "{Agency._meta.db_table}" a ON a."{Agency._meta.pk.column}" = c."{agency_fk}" '
        f'WHERE c."{prefix}" = %s LIMIT 1'
    )
    return _CredentialQuery(
        sql,
        tuple(f.attname for f in credential_fields),
        tuple(f.attname for f in agency_fields),
    )


def _credential_by_prefix(prefix: str) -> AgencyApiCredential | None:
    """The credential with its agency; one query."""
    alias = router.db_for_read(AgencyApiCredential)
    connection = connections[alias]
    query = _credential_query() if connection.vendor == "postgresql" else None
    if query is None:
        found = AgencyApiCredential.objects.using(alias).select_related("agency")
        return next(iter(found.filter(prefix=prefix)[:1]), None)
    with connection.cursor() as cursor:
        statements.execute(connection, cursor, "egov_agency_credential", query.sql, [prefix])
        row = cursor.fetchone()
    if row is None:
        return None
    own = len(query.credential_fields)
    credential = AgencyApiCredential.from_db(alias, query.credential_fields, row[:own])
    credential.agency = Agency.from_db(alias, query.agency_fields, row[own:])
    return credential


def agency_credential_for_key(key: str) -> AgencyApiCredential | None:
    """The active credential (with its agency) a raw key belongs to; one query."""
    prefix, dot, secret = key.partition(".")
    if not (dot and prefix and secret) or len(prefix) > 12 or len(secret) > 128:
        return None
    credential = _credential_by_prefix(prefix)
    expected = credential.secret_hash if credential is not None else _NO_SUCH_HASH
    # Constant-time comparison: the time taken says nothing about the hash.
    if not hmac.compare_digest(expected, _secret_hash(secret)) or credential is None:
        return None
    if not credential.is_active or credential.revoked_at is not None:
        return None
    if not credential.agency.is_active:
        return None
    if not is_known_purpose(credential.purpose):
        logger.error("agency API key %s has an unknown purpose", credential.prefix)
        return None
    return credential


# --- DRF authentication ---------------------------------------------------------------


class InvalidCredentials(exceptions.AuthenticationFailed):
    default_detail = _("A valid agency API key is required: Authorization: Api-Key <key>.")
    default_code = "invalid_credentials"


class AgencyApiKeyAuthentication(BaseAuthentication):
    """``Authorization: Api-Key <prefix>.<secret>``. The only authentication of
    the agency endpoints: a user's session or password never reaches them.

    ``request.user`` stays anonymous; ``request.auth`` is the credential.
    """

    keyword = "Api-Key"

    def authenticate(self, request: Request):
        keyword, _space, key = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if keyword.lower() != self.keyword.lower() or not key.strip():
            raise InvalidCredentials()
        credential = agency_credential_for_key(key.strip())
        if credential is None:
            # The prefix only: the part after the "." is secret.
            logger.info("agency API: refused a key (prefix %r)", key.partition(".")[0][:12])
            raise InvalidCredentials()
        return AnonymousUser(), credential

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="agency-api"'


class AgencySystemAuthentication(BaseAuthentication):
    """``Authorization: Api-Key <key>`` of a one-stop key, on the staff dossier
    API: ``request.user`` is the key's system account, whose staff role in its
    agency the usual permission checks see. Without that header it steps aside
    (the session authenticates staff)."""

    keyword = "Api-Key"

    def authenticate(self, request: Request):
        keyword, _space, key = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if keyword.lower() != self.keyword.lower():
            return None
        credential = agency_credential_for_key(key.strip())
        if credential is None or credential.purpose != ONE_STOP_PURPOSE:
            raise InvalidCredentials()
        user = system_user_for(credential)
        if user is None:
            raise InvalidCredentials()
        return user, credential

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="agency-api"'
