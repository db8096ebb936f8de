"""Reads of the citizens app."""

from __future__ import annotations

from django.db.models import QuerySet

from citizens.models import AdministrativeUnit, StaffMembership
from egov.text import fold


def administrative_units(
    *,
    era: str = AdministrativeUnit.Era.CURRENT,
    level: str | None = None,
    parent_code: str | None = None,
    query: str = "",
) -> QuerySet[AdministrativeUnit]:
    units = AdministrativeUnit.objects.filter(era=era).select_related("parent")
    if level:
        units = units.filter(level=level)
    if parent_code:
        units = units.filter(parent__code=parent_code, parent__era=era)
    if query:
        units = units.filter(search_name__contains=fold(query))
    return units.order_by("level", "code")


def agency_staff(agency) -> QuerySet[StaffMembership]:
    return (
        StaffMembership.objects.filter(agency=agency, is_active=True)
        .select_related("user")
        .order_by("role", "user__full_name")
    )
