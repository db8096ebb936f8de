"""Object-level permission checks for staff.

Every back-office view and staff API asks here, with the agency the object
belongs to: a clerk of one ward sees nothing of another ward.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from citizens.models import Agency, Role, User


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


__all__ = ["agencies_of", "agency_for", "get_object_or_404", "has_role", "roles_in"]
