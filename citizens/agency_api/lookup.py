"""Finding the row of a lookup, and writing its access-log entry with it.

A lookup reads one row: the purpose's own columns of the person, and what its
field plans (``serialisation.FIELDS``) need of related records (units,
parents, spouse, household) as correlated scalar subqueries by primary key.
Subqueries rather than LEFT JOINs: the planner spends about 1 ms ordering
five outer joins, a fraction of that on five subqueries (measured: 1.25 ms
against 0.38 ms per query).

On PostgreSQL the row is one statement written here in SQL, once per purpose
and process (compiling the same query with the ORM on every call cost more
CPU than running it), with the household as one JSON document (JSONB_AGG),
and the access-log INSERT of the person found in the same statement
(``person_row_logged``): one round trip, atomic, and an unknown ID number
writes nothing. Elsewhere (the SQLite demo) the same row comes from the ORM
(``person_values``), the household from one more query, the log from
``access_log_write`` in the same transaction.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.aggregates import JSONBAgg
from django.db import DEFAULT_DB_ALIAS, connections, router, transaction
from django.db.models import Model, OuterRef, Subquery
from django.db.models.functions import JSONObject
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citizens.agency_api import statements
from citizens.agency_api.serialisation import FIELDS, Row, purpose_plans
from citizens.models import (
    AccessLog,
    AdministrativeUnit,
    Agency,
    Household,
    HouseholdMembership,
    Person,
)
from citizens.population import access_log_write
from egov.codes import ErrorCode
from egov.errors import ValidationFailed

_PERMANENT = HouseholdMembership.ResidenceType.PERMANENT
_MEMBER_ORDER = ("start_date", "person__birth_date", "person__id_number")


# --- Related values: the ORM expression and the PostgreSQL SQL of each -------------


def _q(name: str) -> str:
    return f'"{name}"'


def _table(model: type[Model]) -> str:
    return _q(model._meta.db_table)


def _column(model: type[Model], field: str) -> str:
    return _q(model._meta.get_field(field).column)


def _literal(value: str) -> str:
    assert value.isidentifier(), value  # a code of ours, never input
    return f"'{value}'"


@dataclass(frozen=True)
class _Related:
    orm: Callable[[], Any]  # an expression over the person (OuterRef)
    sql: Callable[[], str]  # the same over the person ``p`` (PostgreSQL)


def _unit(field: str) -> _Related:
    def orm():
        units = AdministrativeUnit.objects.filter(pk=OuterRef(f"{field}_id"))
        return Subquery(units.values(doc=JSONObject(era="era", code="code", name="name"))[:1])

    def sql():
        unit = AdministrativeUnit
        keys = ", ".join(
            f"{_literal(key)}, u.{_column(unit, key)}" for key in ("era", "code", "name")
        )
        return (
            f"(SELECT jsonb_build_object({keys}) FROM {_table(unit)} u "
            f"WHERE u.{_column(unit, 'id')} = p.{_column(Person, field)})"
        )

    return _Related(orm, sql)


def _relative(relative: str, column: str) -> _Related:
    def orm():
        return Subquery(Person.objects.filter(pk=OuterRef(f"{relative}_id")).values(column)[:1])

    def sql():
        return (
            f"(SELECT r.{_column(Person, column)} FROM {_table(Person)} r "
            f"WHERE r.{_column(Person, 'id')} = p.{_column(Person, relative)})"
        )

    return _Related(orm, sql)


RELATED: dict[str, _Related] = {
    **{f"{field}_doc": _unit(field) for field in ("permanent_unit", "current_unit")},
    **{
        f"{relative}_{column}": _relative(relative, column)
        for relative in ("father", "mother", "spouse")
        for column in ("id_number", "full_name")
    },
}


def _active_permanent_memberships():
    return HouseholdMembership.objects.filter(end_date__isnull=True, residence_type=_PERMANENT)


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


def _household_sql() -> str:
    """``_household_subquery`` over the person ``p``, in SQL."""
    m = HouseholdMembership
    household, person = _column(m, "household"), _column(m, "person")

    def active(alias: str) -> str:
        return (
            f"{alias}.{_column(m, 'end_date')} IS NULL "
            f"AND {alias}.{_column(m, 'residence_type')} = {_literal(_PERMANENT.value)}"
        )

    order = (
        f"m.{_column(m, 'start_date')}, mp.{_column(Person, 'birth_date')}, "
        f"mp.{_column(Person, 'id_number')}"
    )
    members = (
        f"(SELECT jsonb_agg(jsonb_build_object('id_number', mp.{_column(Person, 'id_number')}, "
        f"'relation', m.{_column(m, 'relation')}) ORDER BY {order}) "
        f"FROM {_table(m)} m JOIN {_table(Person)} mp ON mp.{_column(Person, 'id')} = m.{person} "
        f"WHERE m.{household} = hm.{household} AND {active('m')})"
    )
    return (
        f"(SELECT jsonb_build_object('number', h.{_column(Household, 'number')}, "
        f"'members', {members}) "
        f"FROM {_table(m)} hm JOIN {_table(Household)} h ON h.{_column(Household, 'id')} = "
        f"hm.{household} WHERE hm.{person} = p.{_column(Person, 'id')} AND {active('hm')} LIMIT 1)"
    )


assert all(name in RELATED for plan in FIELDS.values() for name in plan.related), (
    "a field plan names a related value the lookup does not know"
)


# --- The query of a purpose --------------------------------------------------------


def _household_in_query(alias: str) -> bool:
    """PostgreSQL reads the row (household included) with this module's SQL."""
    return connections[alias].vendor == "postgresql"


def _needs(purpose: str) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    """The person's columns, the related values and whether the household is needed."""
    plans = purpose_plans(purpose)
    columns = tuple(dict.fromkeys(column for plan in plans for column in plan.columns))
    related = tuple(dict.fromkeys(name for plan in plans for name in plan.related))
    return columns, related, any(plan.household for plan in plans)


def person_values(
    *, purpose: str, household_in_query: bool, id_number: str, alias: str = DEFAULT_DB_ALIAS
):
    """The ORM query of a lookup: one row with exactly what the purpose needs."""
    columns, related, household = _needs(purpose)
    annotations = {name: RELATED[name].orm() for name in related}
    if household_in_query and household:
        annotations["household"] = _household_subquery()
    persons = Person.objects.using(alias).filter(id_number=id_number).annotate(**annotations)
    return persons.values("id", *columns, *annotations)[:1]


@dataclass(frozen=True)
class _Statement:
    sql: str  # one parameter: the ID number
    keys: tuple[str, ...]  # of the row, in the order of the columns


@functools.cache
def _statement(purpose: str) -> _Statement:
    """The lookup of a purpose in PostgreSQL's SQL, written once per process."""
    columns, related, household = _needs(purpose)
    selected = [("id", f"p.{_column(Person, 'id')}")]
    selected += [(column, f"p.{_column(Person, column)}") for column in columns]
    selected += [(name, RELATED[name].sql()) for name in related]
    if household:
        selected.append(("household", _household_sql()))
    select = ", ".join(f"{sql} AS {_q(key)}" for key, sql in selected)
    sql = (
        f"SELECT {select} FROM {_table(Person)} p "
        f"WHERE p.{_column(Person, 'id_number')} = %s LIMIT 1"
    )
    return _Statement(sql, tuple(key for key, _sql in selected))


@functools.cache
def _logged_sql(purpose: str) -> str:
    """The lookup and its access-log INSERT in one statement: the INSERT takes
    the person found by the lookup, so an unknown ID number writes nothing."""
    log = AccessLog
    columns = ", ".join(
        _column(log, name)
        for name in ("at", "person", "channel", "agency", "purpose", "dossier_ref")
    )
    return (
        f"WITH found AS ({_statement(purpose).sql}), "
        f"logged AS (INSERT INTO {_table(log)} ({columns}) "
        "SELECT %s, found.id, %s, %s, %s, %s FROM found RETURNING 1) SELECT * FROM found"
    )


# --- Reads -------------------------------------------------------------------------


def _household_separately(alias: str, person_id) -> dict[str, Any] | None:
    members = list(
        _active_permanent_memberships()
        .using(alias)
        .filter(
            household__memberships__person_id=person_id,
            household__memberships__end_date__isnull=True,
            household__memberships__residence_type=_PERMANENT,
        )
        .order_by(*_MEMBER_ORDER)
        .values_list("household__number", "person__id_number", "relation")
    )
    if not members:
        return None
    return {
        "number": members[0][0],
        "members": [{"id_number": i, "relation": r} for _n, i, r in members],
    }


def person_row(*, id_number: str, purpose: str) -> Row | None:
    """The row of a lookup (``id`` and what the purpose needs), or None.

    One query on PostgreSQL; elsewhere (the SQLite demo) the household fields
    take one more.
    """
    alias = router.db_for_read(Person)
    if _household_in_query(alias):
        statement = _statement(purpose)
        with connections[alias].cursor() as cursor:
            cursor.execute(statement.sql, [id_number])
            found = cursor.fetchone()
        return None if found is None else dict(zip(statement.keys, found, strict=True))
    row = next(
        iter(
            person_values(
                purpose=purpose, household_in_query=False, id_number=id_number, alias=alias
            )
        ),
        None,
    )
    if row is not None and _needs(purpose)[2]:
        row["household"] = _household_separately(alias, row["id"])
    return row


def person_row_logged(
    *, id_number: str, purpose: str, agency: Agency, purpose_text: str, dossier_ref: str = ""
) -> Row | None:
    """``person_row``, and when the person exists, their access-log entry for
    this agency's lookup (channel AGENCY_API) in the same transaction: one
    query on PostgreSQL."""
    alias = router.db_for_read(Person)
    if not purpose_text.strip():
        raise ValidationFailed(
            _("State the purpose of looking at this record."), code=ErrorCode.PURPOSE_REQUIRED
        )
    if not _household_in_query(alias) or router.db_for_write(AccessLog) != alias:
        with transaction.atomic(using=router.db_for_write(AccessLog), savepoint=False):
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
    connection = connections[alias]
    params = [
        id_number,
        # As access_log_write writes them.
        timezone.now(),
        AccessLog.Channel.AGENCY_API.value,
        agency.pk,
        purpose_text.strip()[:500],
        dossier_ref.strip()[:40],
    ]
    with connection.cursor() as cursor:
        statements.execute(
            connection, cursor, f"egov_agency_lookup_{purpose}", _logged_sql(purpose), params
        )
        found = cursor.fetchone()
    return None if found is None else dict(zip(_statement(purpose).keys, found, strict=True))
