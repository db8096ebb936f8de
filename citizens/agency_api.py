"""The population database's API for other agencies' systems (mounted under
/api/v1/agency/).

Another agency's system (the police residence software, social insurance, the
Ministry of Justice's civil-status software...) looks a person up by personal
ID number with an API key issued to it for one purpose::

    GET /api/v1/agency/persons/001090123456/
    Authorization: Api-Key <prefix>.<secret>
    X-Dossier-Ref: UBLB-260304-0001        (optional, at most 40 characters)

The key's purpose (``PURPOSES``) decides which fields the answer holds: never a
field outside it (purpose limitation, Law on Personal Data Protection 2025).
Every successful lookup writes one ``AccessLog`` row (channel AGENCY_API, the
key's agency, the purpose and the dossier), so the person can see who read the
record and why.

Failed lookups (malformed or unknown ID number) write no ``AccessLog``: there is
no person to attach it to, and the log is the person's view of who read their
record. They are logged on the ``citizens.agency_api`` Python logger instead,
with the agency code, the key prefix and the outcome only (no ID number: no
personal data in logs).

Cost of a lookup, authentication and access log included: 2 SQL statements on
PostgreSQL whatever the purpose and however big the household (the credential
with its agency; the person with only the purpose's columns and scalar
subqueries for related records, for ``residence`` the household as one JSON
document, and the access-log INSERT of the person found, in one statement),
plus one Redis command for the throttle. Elsewhere (the SQLite demo) the
access log is a third query. Both queries are written once per process
(``_plan``, ``_credential_plan``): compiling them with the ORM on each call
cost more CPU than running them. Nothing is updated per request (no "last
used at"). The agency paths skip the session middleware
(``AgencyApiLeanPathMiddleware``).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import itertools
import json
import logging
import re
import secrets
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.postgres.aggregates import JSONBAgg
from django.core.cache import cache as default_cache
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, router, transaction
from django.db.models import OuterRef, Subquery
from django.db.models.functions import JSONObject
from django.urls import path
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.authentication import BaseAuthentication
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from citizens.idnumbers import validation_errors
from citizens.models import (
    AccessLog,
    AdministrativeUnit,
    Agency,
    AgencyApiCredential,
    HouseholdMembership,
    Person,
    Sex,
)
from citizens.population import access_log_write
from egov.errors import NotFoundError, ValidationFailed

logger = logging.getLogger(__name__)

DOSSIER_REF_MAX = 40  # AccessLog.dossier_ref
REASON_MAX = 200  # leaves room for the purpose label in AccessLog.purpose (500)


# --- Purposes ---------------------------------------------------------------------


@dataclass(frozen=True)
class Purpose:
    label: Promise | str
    fields: tuple[str, ...]


_IDENTITY = ("id_number", "full_name", "birth_date", "sex", "status")

# What each kind of key may read. A credential names one of these codes; a
# lookup answers with exactly these fields.
PURPOSES: dict[str, Purpose] = {
    "identity_check": Purpose(_("Identity check"), _IDENTITY),
    "residence": Purpose(
        _("Residence registration (police)"),
        (
            *_IDENTITY,
            "permanent_address",
            "permanent_unit",
            "current_address",
            "current_unit",
            "household_number",
            "household_members",
            "father_id_number",
            "mother_id_number",
            "spouse_id_number",
        ),
    ),
    "health_insurance": Purpose(
        _("Health insurance (social insurance)"),
        (
            "id_number",
            "full_name",
            "birth_date",
            "sex",
            "permanent_address",
            "permanent_unit",
            "health_insurance_number",
            "status",
        ),
    ),
    "civil_status": Purpose(
        _("Civil status (justice)"),
        (
            "id_number",
            "full_name",
            "birth_date",
            "sex",
            "ethnicity",
            "nationality",
            "birth_place",
            "native_place",
            "father_name",
            "father_id_number",
            "mother_name",
            "mother_id_number",
            "spouse_name",
            "spouse_id_number",
            "status",
            "death_date",
        ),
    ),
}


# --- Where each field comes from ---------------------------------------------------
#
# A lookup reads one row: the purpose's own columns of the person, and what it
# needs of related records (units, parents, spouse, household) as correlated
# scalar subqueries by primary key. Subqueries rather than LEFT JOINs: the
# planner spends about 1 ms ordering five outer joins, a fraction of that on
# five subqueries (measured: 1.25 ms against 0.38 ms per query).
# ``read`` turns the row into the field's value in the answer.

Row = dict[str, Any]


@dataclass(frozen=True)
class _Source:
    read: Callable[[Row], Any]
    columns: tuple[str, ...] = ()  # of the person, for .values()
    # annotation name -> expression factory (called when the query is built)
    subqueries: tuple[tuple[str, Callable[[], Any]], ...] = ()
    household: bool = False  # needs the household subquery


def _date(value) -> str | None:
    # A date from PostgreSQL, an ISO string from SQLite (raw cursor, no converters).
    if value is None or isinstance(value, str):
        return value
    return value.isoformat()


def _json(value) -> Any:
    # Text from the raw cursor, already decoded through the ORM.
    return json.loads(value) if isinstance(value, str) else value


def _plain(field: str) -> _Source:
    return _Source(read=lambda row: row[field], columns=(field,))


def _date_source(field: str) -> _Source:
    return _Source(read=lambda row: _date(row[field]), columns=(field,))


def _unit_source(field: str) -> _Source:
    name = f"{field}_doc"

    def subquery():
        units = AdministrativeUnit.objects.filter(pk=OuterRef(f"{field}_id"))
        return Subquery(units.values(doc=JSONObject(era="era", code="code", name="name"))[:1])

    return _Source(read=lambda row: _json(row[name]), subqueries=((name, subquery),))


def _relative(relative: str, column: str):
    def subquery():
        return Subquery(Person.objects.filter(pk=OuterRef(f"{relative}_id")).values(column)[:1])

    return subquery


def _relative_id(relative: str) -> _Source:
    name = f"{relative}_id_number"
    return _Source(
        read=lambda row: row[name], subqueries=((name, _relative(relative, "id_number")),)
    )


def _relative_name(relative: str) -> _Source:
    """The linked record's name, else the free text kept when the relative is
    not in the database."""
    linked, text = f"{relative}_full_name", f"{relative}_name"
    return _Source(
        read=lambda row: row[linked] if row[linked] is not None else row[text],
        columns=(text,),
        subqueries=((linked, _relative(relative, "full_name")),),
    )


def _household(row: Row) -> dict[str, Any]:
    return _json(row["household"]) or {"number": None, "members": None}


_SOURCES: dict[str, _Source] = {
    **{
        field: _plain(field)
        for field in (
            "id_number",
            "full_name",
            "sex",
            "status",
            "ethnicity",
            "nationality",
            "birth_place",
            "native_place",
            "permanent_address",
            "current_address",
            "health_insurance_number",
        )
    },
    "birth_date": _date_source("birth_date"),
    "death_date": _date_source("death_date"),
    "permanent_unit": _unit_source("permanent_unit"),
    "current_unit": _unit_source("current_unit"),
    **{f"{rel}_id_number": _relative_id(rel) for rel in ("father", "mother", "spouse")},
    **{f"{rel}_name": _relative_name(rel) for rel in ("father", "mother", "spouse")},
    "household_number": _Source(read=lambda row: _household(row)["number"], household=True),
    "household_members": _Source(read=lambda row: _household(row)["members"] or [], household=True),
}

assert all(set(p.fields) <= set(_SOURCES) for p in PURPOSES.values()), "unknown field in PURPOSES"


# --- Reads -------------------------------------------------------------------------


def _active_permanent_memberships():
    return HouseholdMembership.objects.filter(
        end_date__isnull=True, residence_type=HouseholdMembership.ResidenceType.PERMANENT
    )


_MEMBER_ORDER = ("start_date", "person__birth_date", "person__id_number")
_ID_PLACEHOLDER = "<id_number>"  # in the compiled SQL's parameters


def _household_in_query(alias: str) -> bool:
    """PostgreSQL aggregates the household into the person query (JSONB_AGG)."""
    return connections[alias].vendor == "postgresql"


def _household_subquery() -> Subquery:
    """``{"number": ..., "members": [{"id_number", "relation"}...]}`` of the
    household the person has permanent residence in (NULL if none)."""
    members = (
        _active_permanent_memberships()
        .filter(household=OuterRef("household"))
        .values("household")
        .annotate(
            members=JSONBAgg(
                JSONObject(id_number="person__id_number", relation="relation"),
                order_by=_MEMBER_ORDER,
            )
        )
        .values("members")
    )
    mine = _active_permanent_memberships().filter(person=OuterRef("pk"))
    return Subquery(
        mine.values(doc=JSONObject(number="household__number", members=Subquery(members)))[:1]
    )


def person_values(
    *,
    purpose: str,
    household_in_query: bool,
    id_number: str = _ID_PLACEHOLDER,
    alias: str = DEFAULT_DB_ALIAS,
):
    """The ORM query of a lookup: one row with exactly what the purpose needs."""
    sources = [_SOURCES[field] for field in PURPOSES[purpose].fields]
    columns = dict.fromkeys(column for source in sources for column in source.columns)
    subqueries = {name: factory() for source in sources for name, factory in source.subqueries}
    if household_in_query and any(source.household for source in sources):
        subqueries["household"] = _household_subquery()
    persons = Person.objects.using(alias).filter(id_number=id_number).annotate(**subqueries)
    return persons.values("id", *columns, *subqueries)[:1]


@dataclass(frozen=True)
class _Plan:
    sql: str
    params: tuple[Any, ...]
    columns: tuple[str, ...]
    household_separately: bool


@functools.cache
def _plan(purpose: str, alias: str, household_in_query: bool) -> _Plan:
    """The SQL of a purpose's lookup, compiled by the ORM once per process.

    Compiling a query with subqueries costs the ORM more CPU than PostgreSQL
    needs to run it (several ms against well under one for ``residence``), on
    the hottest path of the API; the compiled SQL only varies by the ID number.
    """
    values = person_values(purpose=purpose, alias=alias, household_in_query=household_in_query)
    query = values.query
    sql, params = query.get_compiler(using=alias).as_sql()
    # The order in which ValuesIterable names the columns of a row.
    columns = (*query.extra_select, *query.values_select, *query.annotation_select)
    wants_household = any(_SOURCES[field].household for field in PURPOSES[purpose].fields)
    return _Plan(sql, tuple(params), columns, wants_household and not household_in_query)


def person_row(*, id_number: str, purpose: str) -> Row | None:
    """The row of a lookup (``id`` and what the purpose needs), or None.

    One query on PostgreSQL; elsewhere (the SQLite demo) the household fields
    take one more.
    """
    alias = router.db_for_read(Person)
    plan = _plan(purpose, alias, _household_in_query(alias))
    params = [id_number if param == _ID_PLACEHOLDER else param for param in plan.params]
    with connections[alias].cursor() as cursor:
        cursor.execute(plan.sql, params)
        found = cursor.fetchone()
    if found is None:
        return None
    row = dict(zip(plan.columns, found, strict=True))
    if plan.household_separately:
        members = list(
            _active_permanent_memberships()
            .using(alias)
            .filter(
                household__memberships__person_id=row["id"],
                household__memberships__end_date__isnull=True,
                household__memberships__residence_type=HouseholdMembership.ResidenceType.PERMANENT,
            )
            .order_by(*_MEMBER_ORDER)
            .values_list("household__number", "person__id_number", "relation")
        )
        row["household"] = (
            {
                "number": members[0][0],
                "members": [{"id_number": i, "relation": r} for _n, i, r in members],
            }
            if members
            else None
        )
    return row


def _access_log_values(connection, *, agency: Agency, purpose: str, dossier_ref: str) -> list:
    """The access-log row ``access_log_write`` writes for an agency lookup (minus
    the person), as parameters of the statement below."""
    return [
        connection.ops.adapt_datetimefield_value(timezone.now()),
        AccessLog.Channel.AGENCY_API.value,
        agency.pk,
        purpose.strip()[:500],
        dossier_ref.strip()[:40],
    ]


@functools.cache
def _logged_sql(purpose: str, alias: str) -> str:
    """The lookup and its access-log INSERT in one statement (PostgreSQL): the
    INSERT takes the person found by the lookup, so an unknown ID number writes
    nothing, and the row and its log entry cost one round trip, not two."""
    plan = _plan(purpose, alias, True)
    qn = connections[alias].ops.quote_name
    log = AccessLog._meta
    columns = ", ".join(
        qn(log.get_field(name).column)
        for name in ("at", "person", "channel", "agency", "purpose", "dossier_ref")
    )
    return (
        f"WITH found AS ({plan.sql}), logged AS (INSERT INTO {qn(log.db_table)} ({columns}) "
        "SELECT %s, found.id, %s, %s, %s, %s FROM found RETURNING 1) SELECT * FROM found"
    )


def person_row_logged(
    *, id_number: str, purpose: str, agency: Agency, purpose_text: str, dossier_ref: str = ""
) -> Row | None:
    """``person_row``, and when the person exists, their access-log entry for
    this agency's lookup (channel AGENCY_API): one query on PostgreSQL."""
    alias = router.db_for_read(Person)
    if not purpose_text.strip():
        raise ValidationFailed(
            _("State the purpose of looking at this record."), code="purpose_required"
        )
    if not _household_in_query(alias) or router.db_for_write(AccessLog) != alias:
        row = person_row(id_number=id_number, purpose=purpose)
        if row is not None:
            access_log_write(
                person=Person(pk=row["id"]),  # the log needs the key only
                channel=AccessLog.Channel.AGENCY_API,
                purpose=purpose_text,
                agency=agency,
                dossier_ref=dossier_ref,
            )
        return row
    plan = _plan(purpose, alias, True)
    connection = connections[alias]
    params = [id_number if param == _ID_PLACEHOLDER else param for param in plan.params]
    params += _access_log_values(
        connection, agency=agency, purpose=purpose_text, dossier_ref=dossier_ref
    )
    with connection.cursor() as cursor:
        _execute(
            connection, cursor, f"egov_agency_lookup_{purpose}", _logged_sql(purpose, alias), params
        )
        found = cursor.fetchone()
    return None if found is None else dict(zip(plan.columns, found, strict=True))


def person_payload(row: Row, purpose: str) -> dict[str, Any]:
    """Exactly the purpose's fields of a row from ``person_row``."""
    return {field: _SOURCES[field].read(row) for field in PURPOSES[purpose].fields}


# --- Credentials -------------------------------------------------------------------

_HASH_SCHEME = "sha256$"


def _secret_hash(secret: str) -> str:
    # A plain SHA-256 is enough here, unlike for passwords: the secret is 32
    # random bytes (256 bits) from ``secrets``, so a leaked hash cannot be
    # brute-forced or looked up in a dictionary however fast the hash is. A slow
    # hasher (PBKDF2, Argon2) only protects low-entropy secrets, and would cost
    # ~100 ms of CPU on every API call.
    return _HASH_SCHEME + hashlib.sha256(secret.encode()).hexdigest()


_NO_SUCH_HASH = _secret_hash("-")


# A key for an agency's own one-stop software: it works the agency's dossiers
# through the staff dossier API (/api/v1/back-office/...) in one staff role,
# acting as a system account of its own so every step names who took it.
ONE_STOP_PURPOSE = "one_stop"
ONE_STOP_ROLES = ("clerk", "officer", "head")


def system_user_email(prefix: str) -> str:
    return f"api-{prefix}@agency-systems.invalid"


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
                _("A one-stop key needs a role: clerk, officer or head."), code="role_required"
            )
    elif purpose not in PURPOSES:
        raise ValidationFailed(
            _("Unknown purpose “%(purpose)s”. Choose one of: %(choices)s.")
            % {"purpose": purpose, "choices": ", ".join(PURPOSES)},
            code="unknown_purpose",
        )
    if not name.strip():
        raise ValidationFailed(_("Give the key a name."), code="name_required")
    if not agency.is_active:
        raise ValidationFailed(_("This agency is not active."), code="agency_inactive")
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


@dataclass(frozen=True)
class _CredentialPlan:
    sql: str
    fields: tuple[tuple[str, ...], tuple[str, ...]]  # attnames: credential, agency
    converters: tuple[tuple[int, tuple[Callable, ...], Any], ...]


@functools.cache
def _credential_plan(alias: str) -> _CredentialPlan:
    """``AgencyApiCredential.objects.select_related("agency").filter(prefix=...)[:1]``
    as SQL written once per process: the ORM spends more CPU compiling that query
    (about 0.5 ms) than PostgreSQL spends running it, on every API call."""
    connection = connections[alias]
    qn = connection.ops.quote_name
    credential_fields = AgencyApiCredential._meta.concrete_fields
    agency_fields = Agency._meta.concrete_fields
    columns = [f"c.{qn(f.column)}" for f in credential_fields]
    columns += [f"a.{qn(f.column)}" for f in agency_fields]
    sql = (
        f"SELECT {', '.join(columns)} FROM {qn(AgencyApiCredential._meta.db_table)} c "
        f"INNER JOIN {qn(Agency._meta.db_table)} a "
        f"ON a.{qn(Agency._meta.pk.column)} = c.{qn(AgencyApiCredential.agency.field.column)} "
        f"WHERE c.{qn(AgencyApiCredential._meta.get_field('prefix').column)} = %s LIMIT 1"
    )
    converters = []
    for index, field in enumerate([*credential_fields, *agency_fields]):
        col = field.get_col(field.model._meta.db_table)
        found = connection.ops.get_db_converters(col) + field.get_db_converters(connection)
        if found:
            converters.append((index, tuple(found), col))
    return _CredentialPlan(
        sql,
        (
            tuple(f.attname for f in credential_fields),
            tuple(f.attname for f in agency_fields),
        ),
        tuple(converters),
    )


def _execute(connection, cursor, name: str, sql: str, params: list) -> None:
    """``cursor.execute(sql, params)``; on PostgreSQL as a prepared statement of
    the session (``settings.EGOV_DB_PREPARED_STATEMENTS``): PREPARE with the
    first EXECUTE (one round trip, one query), EXECUTE alone after that. The
    server then neither parses nor plans the statement again: 0.15 ms of its
    CPU per lookup, 40 % of its share. Off behind a pooler that hands a
    session's statements to other sessions (PgBouncer in transaction mode)."""
    if connection.vendor != "postgresql" or not getattr(
        settings, "EGOV_DB_PREPARED_STATEMENTS", True
    ):
        cursor.execute(sql, params)
        return
    raw = connection.connection
    state = getattr(connection, "_egov_prepared", None)  # (session, names) per thread
    if state is None or state[0]() is not raw:
        state = (weakref.ref(raw), set())
        connection._egov_prepared = state
    execute = f"EXECUTE {name}({', '.join(['%s'] * len(params))})"
    if name in state[1]:
        cursor.execute(execute, params)
        return
    # Prepared statements outlive a failed transaction: count it as prepared first.
    state[1].add(name)
    cursor.execute(f"PREPARE {name} AS {_numbered(sql)}; {execute}", params)


def _numbered(sql: str) -> str:
    """``%s`` placeholders as PostgreSQL's ``$1, $2...`` (``%%`` stays: the
    driver turns it into ``%`` with the EXECUTE's parameters)."""
    count = itertools.count(1)
    return re.sub(r"%%|%s", lambda m: m.group() if m.group() == "%%" else f"${next(count)}", sql)


def _credential_by_prefix(prefix: str) -> AgencyApiCredential | None:
    alias = router.db_for_read(AgencyApiCredential)
    plan = _credential_plan(alias)
    connection = connections[alias]
    with connection.cursor() as cursor:
        _execute(connection, cursor, "egov_agency_credential", plan.sql, [prefix])
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for index, converters, col in plan.converters:
        for converter in converters:
            values[index] = converter(values[index], col, connection)
    own, agency_own = plan.fields
    credential = AgencyApiCredential.from_db(alias, own, values[: len(own)])
    agency = Agency.from_db(alias, agency_own, values[len(own) :])
    AgencyApiCredential.agency.field.set_cached_value(credential, agency)
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
    if credential.purpose not in PURPOSES and credential.purpose != ONE_STOP_PURPOSE:
        logger.error("agency API key %s has an unknown purpose", credential.prefix)
        return None
    return credential


# --- DRF plumbing ------------------------------------------------------------------


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


class AgencyApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = AgencyApiKeyAuthentication
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <prefix>.<secret>`, issued to an agency's system "
            "for one purpose (`manage.py issue_agency_key`).",
        }


class HasAgencyCredential(BasePermission):
    """A person-lookup key (a one-stop key reads no population records here)."""

    def has_permission(self, request: Request, view) -> bool:
        return isinstance(request.auth, AgencyApiCredential) and request.auth.purpose in PURPOSES


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


class AgencyCredentialThrottle(SimpleRateThrottle):
    """Requests per credential in a fixed window, counted in the cache (Redis).

    An atomic INCR instead of DRF's default history list (read, filter and
    rewrite up to ``num_requests`` timestamps on every request, racy across
    processes). A fixed window may let up to twice the rate through around a
    window boundary, which is fine for a fair-use limit. For the same reason a
    process may count a few requests of a high rate itself before adding them
    to the shared counter in one command (``_window_count``): exact up to
    199 requests per window, at most 1 % over above.

    The rate is ``settings.EGOV_AGENCY_API_RATE``, else
    ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["agency_api"]``, else 600/min.
    """

    scope = "agency_api"
    cache = default_cache
    default_rate = "600/min"

    def get_rate(self) -> str:
        return getattr(settings, "EGOV_AGENCY_API_RATE", None) or (
            api_settings.DEFAULT_THROTTLE_RATES or {}
        ).get(self.scope, self.default_rate)

    def get_cache_key(self, request: Request, view) -> str | None:
        credential = request.auth
        if not isinstance(credential, AgencyApiCredential):
            return None
        return self.cache_format % {"scope": self.scope, "ident": credential.pk}

    def allow_request(self, request: Request, view) -> bool:
        if self.rate is None:
            return True
        base = self.get_cache_key(request, view)
        if base is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_end = (window + 1) * self.duration
        key = f"{base}_{window}"
        # Expires after the window has ended: never reset while in use.
        count = _window_count(self.cache, key, self.duration + 1, self.num_requests, window)
        return count <= self.num_requests

    def wait(self) -> float:
        return max(self.window_end - self.timer(), 0)


# Requests counted by this process and not yet added to the shared counter:
# key -> [the shared count when last added, requests since], for one window.
_PENDING: dict[str, list[int]] = {}
_PENDING_WINDOW = [0]
_PENDING_LOCK = threading.Lock()


def _batch(limit: int) -> int:
    """How many requests a process may count before adding them to the shared
    counter: 1 (every request) up to 199 per window, then 1 % of the rate, at
    most 20 (so at most 1 % over the rate per process, within a window)."""
    return 1 if limit < 200 else min(20, limit // 100)


def _window_count(cache, key: str, timeout: int, limit: int = 0, window: int = 0) -> int:
    """Count one request in the window counter ``key`` (created with
    ``timeout``) and return the count as far as this process knows it.

    On Redis: one command (a script: INCRBY, and EXPIRE when it created the
    key), atomic, on a client kept with the cache backend, rather than Django's
    ``incr`` (EXISTS then INCR, and a new client object per call) and ``add``;
    elsewhere ``incr``/``add``. For a high rate (``_batch``) only every few
    requests reach the shared counter, with the ones this process counted since.
    """
    batch = _batch(limit)
    add = 1
    if batch > 1:
        with _PENDING_LOCK:
            if window != _PENDING_WINDOW[0]:
                _PENDING.clear()  # a new window: the old counters are done with
                _PENDING_WINDOW[0] = window
            entry = _PENDING.setdefault(key, [0, 0])
            if entry[1] + 1 < batch and entry[0] + entry[1] + 1 <= limit:
                entry[1] += 1
                return entry[0] + entry[1]
            add, entry[1] = entry[1] + 1, 0
    client = _redis_client(cache)
    if client is None:
        try:
            count = cache.incr(key, add)
        except ValueError:  # first request of the window
            count = add if cache.add(key, add, timeout) else cache.incr(key, add)
    else:
        # make_key, not make_and_validate_key: the key is ours (no spaces, short),
        # and the validation walks it character by character in Python.
        count = client.eval(_INCR_WITH_EXPIRY, 1, cache.make_key(key), timeout, add)
    if batch > 1:
        with _PENDING_LOCK:
            entry = _PENDING.get(key)
            if entry is not None:
                entry[0] = max(entry[0], count)
    return count


_INCR_WITH_EXPIRY = (
    "local n = redis.call('INCRBY', KEYS[1], ARGV[2]) "
    "if n == tonumber(ARGV[2]) then redis.call('EXPIRE', KEYS[1], ARGV[1]) end return n"
)


def _redis_client(cache):
    """The redis-py client of a Django RedisCache backend (None for other backends).
    Backends are per thread, so is the client kept on one."""
    from django.core.cache.backends.redis import RedisCache
    from django.utils.connection import ConnectionProxy

    backend = cache._connections[cache._alias] if isinstance(cache, ConnectionProxy) else cache
    if not isinstance(backend, RedisCache):
        return None
    client = getattr(backend, "_egov_write_client", None)
    if client is None:
        client = backend._cache.get_client(write=True)
        backend._egov_write_client = client
    return client


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


# --- Schema ------------------------------------------------------------------------


def _purposes_with(field: str) -> str:
    codes = [code for code, purpose in PURPOSES.items() if field in purpose.fields]
    return "Included for purposes: " + ", ".join(f"`{code}`" for code in codes) + "."


def _doc(field: str, text: str) -> str:
    return f"{text} {_purposes_with(field)}"


class AgencyUnitSerializer(serializers.Serializer):
    era = serializers.ChoiceField(AdministrativeUnit.Era.choices)
    code = serializers.CharField(help_text="Code of the ward/commune (or province).")
    name = serializers.CharField()


class AgencyHouseholdMemberSerializer(serializers.Serializer):
    id_number = serializers.CharField()
    relation = serializers.CharField(help_text="Relation to the head of household, e.g. `child`.")


def _text(field: str, text: str, **kwargs) -> serializers.CharField:
    return serializers.CharField(required=False, help_text=_doc(field, text), **kwargs)


class AgencyPersonSerializer(serializers.Serializer):
    """Documentation only: an answer holds exactly the fields of the key's purpose."""

    id_number = _text("id_number", "Personal ID number (12 digits).")
    full_name = _text("full_name", "Full name.")
    birth_date = serializers.DateField(required=False, help_text=_doc("birth_date", "Born on."))
    sex = serializers.ChoiceField(Sex.choices, required=False, help_text=_doc("sex", "Sex."))
    status = serializers.ChoiceField(
        Person.Status.choices, required=False, help_text=_doc("status", "Record status.")
    )
    death_date = serializers.DateField(
        required=False, allow_null=True, help_text=_doc("death_date", "Died on (null if living).")
    )
    ethnicity = _text("ethnicity", "Ethnic group code (01-54, General Statistics Office).")
    nationality = _text("nationality", "Nationality.")
    birth_place = _text("birth_place", "Place of birth.")
    native_place = _text("native_place", "Native place (quê quán).")
    permanent_address = _text("permanent_address", "Permanent residence address.")
    permanent_unit = AgencyUnitSerializer(
        required=False,
        allow_null=True,
        help_text=_doc("permanent_unit", "Administrative unit of the permanent residence."),
    )
    current_address = _text("current_address", "Current residence address.")
    current_unit = AgencyUnitSerializer(
        required=False,
        allow_null=True,
        help_text=_doc("current_unit", "Administrative unit of the current residence."),
    )
    household_number = _text(
        "household_number",
        "Number of the household the person has permanent residence in (null if none).",
        allow_null=True,
    )
    household_members = AgencyHouseholdMemberSerializer(
        many=True,
        required=False,
        help_text=_doc("household_members", "The household's current permanent members."),
    )
    health_insurance_number = _text("health_insurance_number", "Health-insurance number.")
    father_id_number = _text(
        "father_id_number", "Father's ID number (null if not in the database).", allow_null=True
    )
    father_name = _text("father_name", "Father's full name.")
    mother_id_number = _text(
        "mother_id_number", "Mother's ID number (null if not in the database).", allow_null=True
    )
    mother_name = _text("mother_name", "Mother's full name.")
    spouse_id_number = _text(
        "spouse_id_number", "Spouse's ID number (null if not in the database).", allow_null=True
    )
    spouse_name = _text("spouse_name", "Spouse's full name.")


assert set(AgencyPersonSerializer().fields) == set(_SOURCES), "document every field"


class AgencyWhoAmISerializer(serializers.Serializer):
    agency_code = serializers.CharField()
    agency_name = serializers.CharField()
    credential_name = serializers.CharField()
    purpose = serializers.ChoiceField(list(PURPOSES))
    purpose_label = serializers.CharField()
    fields = serializers.ListField(
        child=serializers.CharField(), help_text="The fields a person lookup answers with."
    )


class AgencyApiErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable error code.")
    message = serializers.CharField(help_text="Human-readable explanation.")
    data = serializers.DictField(help_text="Details, e.g. each problem of an ID number.")


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(AgencyApiErrorSerializer, description=description)


_AUTH_ERRORS = {
    401: _error("`invalid_credentials`: the Api-Key is absent, wrong or revoked."),
    429: _error("`throttled`: too many requests for this key; see `Retry-After`."),
}


# --- Views -------------------------------------------------------------------------


def _purpose_text(credential: AgencyApiCredential, reason: str) -> str:
    """The access-log purpose: the label in the site's language, the code, the reason."""
    text = _purpose_label(credential.purpose, settings.LANGUAGE_CODE)
    return f"{text}: {reason}" if reason else text


@functools.cache
def _purpose_label(purpose: str, language: str) -> str:
    with translation.override(language):
        return f"{PURPOSES[purpose].label} [{purpose}]"


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
            400: _error(
                "`invalid_id_number` (the message names the wrong part), "
                "`invalid_dossier_ref` or `invalid_reason`."
            ),
            404: _error("`person_not_found`: no record has this ID number."),
            **_AUTH_ERRORS,
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
                code="invalid_id_number",
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
                code="invalid_dossier_ref",
            )
        reason = " ".join(request.query_params.get("reason", "").split())
        if len(reason) > REASON_MAX:
            _refused(credential, "invalid_reason")
            raise ValidationFailed(
                _("The reason has at most %(max)d characters.") % {"max": REASON_MAX},
                code="invalid_reason",
            )
        row = person_row_logged(
            id_number=id_number,
            purpose=credential.purpose,
            agency=credential.agency,
            purpose_text=_purpose_text(credential, reason),
            dossier_ref=dossier_ref,
        )
        if row is None:
            _refused(credential, "person_not_found")
            raise NotFoundError(
                _("No record has this personal ID number."), code="person_not_found"
            )
        return Response(person_payload(row, credential.purpose))


class AgencyWhoAmIView(AgencyApiView):
    @extend_schema(
        operation_id="agency_whoami",
        tags=["agency systems"],
        summary="The agency, purpose and fields of the API key in use",
        responses={200: AgencyWhoAmISerializer, **_AUTH_ERRORS},
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


class AgencyApiLeanPathMiddleware:
    """The agency endpoints without the middleware an API key request has no
    use for (sessions, CSRF, session authentication, messages, allauth, the
    staff MFA check): put right after SecurityMiddleware, it answers
    ``/api/v1/agency/...`` itself with only the language (LocaleMiddleware:
    messages in the client's Accept-Language) and X-Frame-Options around the
    view. The views authenticate with the key (DRF) and are CSRF-exempt, as
    on the full path; any other path, or one that does not resolve (e.g. a
    missing slash, which CommonMiddleware redirects), takes the full path.
    """

    PREFIX = "/api/v1/agency/"

    def __init__(self, get_response):
        from django.middleware.clickjacking import XFrameOptionsMiddleware
        from django.middleware.locale import LocaleMiddleware
        from django.urls import URLResolver, include
        from django.urls.resolvers import RegexPattern

        self.get_response = get_response
        self.lean = XFrameOptionsMiddleware(LocaleMiddleware(self._view))
        # This module's routes alone, as mounted (egov.api: "api" namespace under
        # /api/v1/): resolving them costs a fraction of walking the portal's URLs.
        self.resolver = URLResolver(
            RegexPattern(r"^/"), [path("api/v1/", include((urlpatterns, "api")))]
        )

    def __call__(self, request):
        if request.path_info.startswith(self.PREFIX):
            from django.urls import Resolver404, get_resolver

            for resolver in (self.resolver, get_resolver()):
                try:
                    request.resolver_match = resolver.resolve(request.path_info)
                except Resolver404:
                    continue
                return self.lean(request)
        return self.get_response(request)

    @staticmethod
    def _view(request):
        match = request.resolver_match
        response = match.func(request, *match.args, **match.kwargs)
        if hasattr(response, "render"):
            response = response.render()
        if not response.streaming and not response.has_header("Content-Length"):
            response.headers["Content-Length"] = str(len(response.content))  # as CommonMiddleware
        return response


urlpatterns = [
    path("agency/whoami/", AgencyWhoAmIView.as_view(), name="agency-whoami"),
    path("agency/persons/<str:id_number>/", AgencyPersonView.as_view(), name="agency-person"),
]


class AgencySystemScheme(OpenApiAuthenticationExtension):
    target_class = AgencySystemAuthentication
    name = "AgencySystemKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <prefix>.<secret>` of a one-stop key (`manage.py "
            "issue_agency_key --purpose one_stop --role clerk|officer|head`): an agency's "
            "own software working its dossiers in that role.",
        }
