"""Reads of the citizens app."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from citizens.models import (
    AccessLog,
    AdministrativeUnit,
    Household,
    HouseholdMembership,
    Person,
    StaffMembership,
)
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


# --- Population database --------------------------------------------------------

PERSON_RELATED = ["permanent_unit__parent", "current_unit__parent", "father", "mother", "spouse"]


def person_search(
    *,
    query: str = "",
    id_number: str = "",
    birth_date=None,
    unit=None,
    units_allowed=None,
    limit: int = 50,
) -> QuerySet[Person]:
    """Staff search: exact ID, or a name (diacritics optional) with date of birth
    and/or unit. The name matches from the start of the full name or of any word
    in it. ``units_allowed`` limits the rows to the staff member's jurisdiction
    (None: no limit)."""
    persons = Person.objects.select_related("permanent_unit__parent")
    if id_number:
        persons = persons.filter(id_number=id_number.strip())
    else:
        folded = fold(query)
        if not folded or (birth_date is None and unit is None):
            return persons.none()
        persons = persons.filter(
            Q(search_name__startswith=folded) | Q(search_name__contains=" " + folded)
        )
        if birth_date is not None:
            persons = persons.filter(birth_date=birth_date)
        if unit is not None:
            persons = persons.filter(permanent_unit=unit)
    if units_allowed is not None:
        persons = persons.filter(
            Q(permanent_unit__in=units_allowed) | Q(current_unit__in=units_allowed)
        )
    return persons.order_by("search_name", "birth_date")[:limit]


def person_detail(person_id) -> Person:
    """A person with everything the person page shows, in a fixed number of queries."""
    active = HouseholdMembership.objects.filter(end_date__isnull=True).select_related(
        "household__unit__parent", "household__head"
    )
    return (
        Person.objects.select_related(*PERSON_RELATED)
        .prefetch_related(Prefetch("memberships", queryset=active, to_attr="active_memberships"))
        .get(pk=person_id)
    )


def household_members(household: Household) -> QuerySet[HouseholdMembership]:
    return (
        HouseholdMembership.objects.filter(household=household, end_date__isnull=True)
        .select_related("person")
        .order_by("start_date", "person__birth_date")
    )


def children_of(person: Person) -> QuerySet[Person]:
    return Person.objects.filter(Q(father=person) | Q(mother=person)).order_by("birth_date")


def minor_children_of(person: Person, today=None) -> QuerySet[Person]:
    today = today or timezone.localdate()
    try:
        adult_birthday = today.replace(year=today.year - 18)
    except ValueError:  # 29 February
        adult_birthday = today.replace(year=today.year - 18, day=28)
    return children_of(person).filter(birth_date__gt=adult_birthday, status=Person.Status.LIVING)


def access_log_of(person: Person) -> QuerySet[AccessLog]:
    return AccessLog.objects.filter(person=person).select_related("actor", "agency").order_by("-at")
