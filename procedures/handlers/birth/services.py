"""What an approved birth registration writes to the population database."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _

from citizens.idnumbers import generate_id_number
from citizens.models import AdministrativeUnit, Person, Sex, User
from citizens.population import person_create
from egov.errors import ValidationFailed
from procedures.handlers.birth import rules


def lock_reference(key: str) -> None:
    """Serialise work on one dossier reference until the transaction ends
    (a PostgreSQL advisory lock; other databases run one writer anyway)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [key])


def child_of_dossier(reference: str, birth_date) -> Person | None:
    """The child a birth dossier created: its record's ``source`` is the
    dossier reference. Looked up with the date of birth, which is indexed."""
    return Person.objects.filter(birth_date=birth_date, source=birth_source(reference)).first()


def birth_source(reference: str) -> str:
    """``Person.source`` of a child registered by a birth dossier (unique)."""
    return f"birth:{reference}"


def birth_place_text(data: dict[str, Any]) -> str:
    address = data.get("birth_address") or {}
    parts = [data.get("birth_facility") or "", address.get("address") or ""]
    unit_code = address.get("unit_code")
    if unit_code:
        unit = (
            AdministrativeUnit.objects.filter(
                era=AdministrativeUnit.Era.CURRENT,
                level=AdministrativeUnit.Level.COMMUNE,
                code=unit_code,
            )
            .select_related("parent")
            .first()
        )
        parts.append(str(unit) if unit else unit_code)
    return ", ".join(p.strip() for p in parts if p and p.strip())[:255]


PARENT_NOT_FOUND = {
    "mother": _("The mother's ID number matches no woman's record in the population database."),
    "father": _("The father's ID number matches no man's record in the population database."),
}


def _parent(data: dict[str, Any], parent: str, sex: str) -> Person | None:
    number = (data.get(f"{parent}_id_number") or "").strip()
    if not number:
        return None
    person = Person.objects.filter(id_number=number, sex=sex).first()
    if person is None:
        raise ValidationFailed(PARENT_NOT_FOUND[parent], code="parent_not_found")
    return person


@transaction.atomic
def birth_register_child(*, reference: str, data: dict[str, Any], actor: User | None) -> Person:
    """Create the child's record with a new personal ID number, linked to the
    parents' records (or their names when they are not in the database).

    Idempotent: the record is keyed by the dossier reference (``Person.source``),
    so approving again returns the same child and issues no second number.
    """
    data = rules.with_declarer_as_parent(data)
    birth_date = rules.as_date(data.get("birth_date"))
    if birth_date is None:
        raise ValidationFailed(_("The dossier has no date of birth."), code="birth_date_missing")
    lock_reference(f"birth:{reference}")
    existing = child_of_dossier(reference, birth_date)
    if existing is not None:
        return existing
    mother = _parent(data, "mother", Sex.FEMALE)
    father = None if data.get("father_unknown") else _parent(data, "father", Sex.MALE)
    reason = f"birth {reference}"
    id_number = generate_id_number(
        province_code=settings.EGOV_PROVINCE_CODE,
        sex=data["sex"],
        birth_date=birth_date,
        reason=reason,
    )
    return person_create(
        actor=actor,
        reason=reason,
        dossier_ref=reference,
        source=birth_source(reference),
        id_number=id_number,
        full_name=data["full_name"].strip(),
        birth_date=birth_date,
        sex=data["sex"],
        ethnicity=data.get("ethnicity") or "01",
        nationality=(data.get("nationality") or "").strip() or "Việt Nam",
        birth_place=birth_place_text(data),
        native_place=(data.get("native_place") or "").strip(),
        mother=mother,
        mother_name="" if mother else (data.get("mother_name") or "").strip(),
        father=father,
        father_name=(
            "" if father or data.get("father_unknown") else (data.get("father_name") or "").strip()
        ),
    )
