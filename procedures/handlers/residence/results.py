"""The result of a permanent residence registration: the confirmation of
residence information (Xác nhận thông tin về cư trú), after form CT07 of
Circular 66/2023/TT-BCA: the person, their permanent residence and household
(the membership the registration created, from the population database).

A residence registration handed on from a birth (interconnect) is decided by
the ward police in their own dossier: ``decided_by`` names that handoff.
The one-stop core renders it (``onecounter.results``) from this spec.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from citizens.models import HouseholdMembership
from egov.text import address_with_unit
from egov.vietnamese import format_date, sex_text
from procedures.handlers.registry import ResultSources, ResultSpec

# The relation to the head of household as residence documents write it (male, female).
RELATION_WORDS = {
    "head": ("Chủ hộ", "Chủ hộ"),
    "spouse": ("Chồng", "Vợ"),
    "child": ("Con", "Con"),
    "parent": ("Cha", "Mẹ"),
    "grandchild": ("Cháu", "Cháu"),
    "grandparent": ("Ông", "Bà"),
    "sibling": ("Anh/em", "Chị/em"),
    "in_law": ("Con rể", "Con dâu"),
    "other": ("Khác", "Khác"),
}


def relation_text(relation: str, sex: str) -> str:
    """The relation to the head of household, as residence documents write it."""
    male, female = RELATION_WORDS.get(relation, (relation, relation))
    return male if sex == "M" else female


def membership_of(sources: ResultSources) -> HouseholdMembership | None:
    """The household membership the registration created (keyed by the
    dossier's reference), else the person's current permanent one."""
    memberships = HouseholdMembership.objects.filter(person=sources.holder).select_related(
        "household__head", "household__unit__parent"
    )
    return (
        memberships.filter(dossier_ref__in=sources.references).order_by("-start_date").first()
        or memberships.filter(
            end_date__isnull=True, residence_type=HouseholdMembership.ResidenceType.PERMANENT
        ).first()
    )


def residence_confirmation_context(sources: ResultSources) -> dict[str, Any]:
    person = sources.holder
    membership = membership_of(sources)
    household = membership.household if membership else None
    address = ""
    if household is not None:
        address = ", ".join(p for p in (household.address, str(household.unit or "")) if p)
    return {
        "person": {
            "full_name": person.full_name,
            "birth_date_text": format_date(person.birth_date),
            "sex": sex_text(person.sex),
            "id_number": person.id_number,
        },
        "residence": {
            "household_number": household.number if household else "",
            "head": household.head.full_name if household and household.head_id else "",
            "address": address
            or address_with_unit(
                person.permanent_address,
                str(person.permanent_unit) if person.permanent_unit_id else "",
            ),
            "relation": relation_text(membership.relation, person.sex) if membership else "",
            "start_date_text": format_date(membership.start_date) if membership else "",
        },
    }


RESIDENCE_CONFIRMATION = ResultSpec(
    name="residence_confirmation",
    title="Xác nhận thông tin về cư trú",
    template="slips/residence_confirmation.html",
    context=residence_confirmation_context,
    number_suffix="XNCT",  # xác nhận thông tin về cư trú
    label=_("Confirmation of residence information"),
    decided_by="residence",
)
