"""What a registered birth hands on to other agencies (Decree 63/2024).

When the ward approves a birth dossier, the child's record exists (see
``services.birth_register_child``) and the birth goes on, at the same time, to

- the ward police serving the child's household (``residence``): permanent
  residence in that household, shaped as the residence handler's data;
- the social-insurance office serving it (``insurance``): the child's
  health-insurance card, shaped as the card handler's data; only for a child
  under 6 at registration (``rules.gets_free_card``: a late registration of an
  older child gets no free card);
- the civil-status registry of the Ministry of Justice (``civil_registry``,
  through its own delivery channel), only where the connector is configured (``EGOV_CIVIL_REGISTRY_URL`` and
  ``EGOV_CIVIL_REGISTRY_SECRET``, see docs/civil-registry-connector.md).

The first two go through the internal channel, to be worked with the
receiving procedure's ``handler``. Each payload holds only what its receiver
needs. The interconnection (``interconnect.services``) stores one handoff per
spec and delivers it through its channel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import timezone

from citizens.models import Agency, Household, Person
from procedures.handlers.agencies import receiving_agency
from procedures.handlers.birth import rules
from procedures.handlers.birth.services import child_of_dossier, relation_to_head
from procedures.handlers.registry import HandoffSpec
from procedures.models import Procedure

if TYPE_CHECKING:
    from procedures.handlers.registry import DossierView

RESIDENCE, INSURANCE, CIVIL_REGISTRY = "residence", "insurance", "civil_registry"
BUDGET_DAYS = 2  # Decree 63/2024: each agency's time budget, in working days
YES, NO = "yes", "no"
# Residence: a newborn lives with a parent, in the parent's (or a relative's) home.
LEGAL_BASIS = "relatives_home"


def _relation(
    head: Person | None, mother: Person | None, father: Person | None, data: dict[str, Any]
) -> str:
    """The child's relation to the head of the household it joins: as worked
    out when the declaration was checked, else from the records now."""
    if data.get("relation_to_head"):
        return data["relation_to_head"]
    return relation_to_head(head, mother, father, data) if head is not None else "child"


def _consent(
    head: Person | None, mother: Person | None, father: Person | None, data: dict[str, Any]
) -> str:
    """The head consents: the head is a parent (their own home) or declared
    the birth, or the declaration says the head consents."""
    if head is None or head.pk in {p.pk for p in (mother, father) if p is not None}:
        return YES
    if (data.get("declarer_id_number") or "").strip() == head.id_number:
        return YES
    answer = data.get("head_consents")
    return YES if answer in (True, YES, "on", "true") else NO


def _child_fields(child: Person) -> dict[str, Any]:
    return {
        "full_name": child.full_name,
        "birth_date": child.birth_date.isoformat(),
        "sex": child.sex,
    }


def _parent(number: str, sex: str) -> Person | None:
    number = (number or "").strip()
    return Person.objects.filter(id_number=number, sex=sex).first() if number else None


def birth_handoffs(procedure: Procedure, dossier: DossierView) -> list[HandoffSpec]:
    data = rules.with_declarer_as_parent(dossier.data)
    birth_date = rules.as_date(data.get("birth_date"))
    child = child_of_dossier(dossier.reference, birth_date) if birth_date else None
    if child is None:  # nothing was registered: nothing to hand on
        return []
    today = timezone.localdate()
    mother = _parent(data.get("mother_id_number", ""), "F")
    father = None if data.get("father_unknown") else _parent(data.get("father_id_number", ""), "M")
    number = (data.get("household_number") or "").strip()
    household = (
        Household.objects.select_related("head", "unit__parent").filter(number=number).first()
        if number
        else None
    )
    place = household.unit if household else None
    ward = dossier.agency.unit if dossier.agency else None
    specs: list[HandoffSpec] = []
    if household is not None:
        relation = _relation(household.head, mother, father, data)
        specs.append(
            HandoffSpec(
                target=RESIDENCE,
                agency=receiving_agency(Agency.Kind.POLICE, "residence", place, ward),
                handler="residence",
                budget_days=BUDGET_DAYS,
                payload={
                    "person_id_number": child.id_number,
                    "household_number": household.number,
                    "relation": relation,
                    "legal_basis": LEGAL_BASIS,
                    "head_consents": _consent(household.head, mother, father, data),
                    "start_date": today.isoformat(),
                    **_child_fields(child),
                },
            )
        )
    if rules.gets_free_card(child.birth_date, today):
        specs.append(
            HandoffSpec(
                target=INSURANCE,
                agency=receiving_agency(
                    Agency.Kind.SOCIAL_INSURANCE, "health_insurance", place, ward
                ),
                handler="health_insurance",
                budget_days=BUDGET_DAYS,
                payload={
                    "child_id_number": child.id_number,
                    "health_facility": (data.get("health_facility") or "").strip(),
                    **_child_fields(child),
                },
            )
        )
    if settings.EGOV_CIVIL_REGISTRY_URL and settings.EGOV_CIVIL_REGISTRY_SECRET:
        specs.append(
            HandoffSpec(
                target=CIVIL_REGISTRY,
                channel=CIVIL_REGISTRY,
                budget_days=0,
                payload=_registry_payload(dossier, data, child, mother, father, today),
            )
        )
    return specs


def _registry_payload(
    dossier: DossierView,
    data: dict[str, Any],
    child: Person,
    mother: Person | None,
    father: Person | None,
    today,
) -> dict[str, Any]:
    """The registered birth as the civil-status registry records it."""

    def parent(person: Person | None, prefix: str) -> dict[str, Any] | None:
        if person is not None:
            return {
                "id_number": person.id_number,
                "full_name": person.full_name,
                "birth_year": person.birth_date.year,
                "nationality": person.nationality,
            }
        name = (data.get(f"{prefix}_name") or "").strip()
        if not name:
            return None
        return {
            "id_number": "",
            "full_name": name,
            "birth_year": data.get(f"{prefix}_birth_year"),
            "nationality": (data.get(f"{prefix}_nationality") or "").strip(),
        }

    agency = dossier.agency
    return {
        "dossier_code": dossier.reference,
        "registered_on": today.isoformat(),
        "registered_by": {"code": agency.code, "name": agency.name} if agency else None,
        "late_registration": bool(data.get("late")),
        "child": {
            "id_number": child.id_number,
            "full_name": child.full_name,
            "birth_date": child.birth_date.isoformat(),
            "birth_time": data.get("birth_time") or "",
            "sex": child.sex,
            "ethnicity": child.ethnicity,
            "nationality": child.nationality,
            "birth_place": child.birth_place,
            "native_place": child.native_place,
            "birth_order": data.get("birth_order"),
        },
        "mother": parent(mother, "mother"),
        "father": None if data.get("father_unknown") else parent(father, "father"),
        "declarer_relation": data.get("declarer_relation") or "",
    }
