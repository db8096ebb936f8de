"""Object-level permission checks for staff.

Every back-office view and staff API asks here, with the agency the object
belongs to: a clerk of one ward sees nothing of another ward.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from citizens.models import AdministrativeUnit, Agency, Person, Role, User


def roles_in(user: User, agency: Agency) -> set[str]:
    if not user.is_authenticated:
        return set()
    return {m.role for m in user.active_memberships if m.agency_id == agency.pk}


def has_role(user: User, agency: Agency, roles: Iterable[str] | None = None) -> bool:
    held = roles_in(user, agency)
    if roles is None:
        return bool(held)
    return bool(held & set(roles))


def agency_for(user: User, code: str, roles: Iterable[Role | str] | None = None) -> Agency:
    """The agency with this code, if the user holds one of ``roles`` there; else 403.

    An unknown code and a foreign agency answer the same (403), so the back
    office reveals nothing about agencies the user does not belong to.
    """
    agency = Agency.objects.filter(code=code, is_active=True).select_related("unit").first()
    if agency is None or not has_role(user, agency, roles):
        raise PermissionDenied
    return agency


def agencies_of(user: User) -> list[Agency]:
    seen: dict[object, Agency] = {}
    for membership in user.active_memberships:
        seen.setdefault(membership.agency_id, membership.agency)
    return list(seen.values())


def agencies_with_roles(user: User, roles: Iterable[str]) -> list[Agency]:
    """The user's active agencies where they hold one of ``roles`` (no query:
    ``active_memberships`` is loaded once per request)."""
    roles = set(roles)
    seen: dict[object, Agency] = {}
    for membership in user.active_memberships:
        if membership.role in roles:
            seen.setdefault(membership.agency_id, membership.agency)
    return list(seen.values())


def jurisdiction_units(agencies: list[Agency]) -> QuerySet:
    """The units the agencies serve, as a subquery: a ward agency its ward; an
    agency whose unit is a province (a city department) every unit below it."""
    unit_ids = [agency.unit_id for agency in agencies]
    return AdministrativeUnit.objects.filter(
        Q(pk__in=unit_ids) | Q(parent_id__in=unit_ids) | Q(parent__parent_id__in=unit_ids)
    ).values("pk")


def unit_and_ancestors(unit: AdministrativeUnit | None) -> set:
    if unit is None:
        return set()
    ids = {unit.pk, unit.parent_id}
    if unit.parent_id:
        ids.add(unit.parent.parent_id)
    ids.discard(None)
    return ids


def agency_covering(agencies: list[Agency], person: Person) -> Agency | None:
    """The first of ``agencies`` whose jurisdiction holds the person's permanent
    or current residence."""
    units = unit_and_ancestors(person.permanent_unit) | unit_and_ancestors(person.current_unit)
    return next((agency for agency in agencies if agency.unit_id in units), None)


__all__ = [
    "agencies_with_roles",
    "agency_covering",
    "jurisdiction_units",
    "unit_and_ancestors",
    "agencies_of",
    "agency_for",
    "get_object_or_404",
    "has_role",
    "roles_in",
]
