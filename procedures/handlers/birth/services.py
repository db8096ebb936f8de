"""What a birth registration reads from and writes to the population database."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from citizens.idnumbers import generate_id_number
from citizens.models import (
    AccessLog,
    AdministrativeUnit,
    HouseholdMembership,
    Person,
    Sex,
    User,
)
from citizens.population import access_log_write, person_create
from egov.codes import ErrorCode
from egov.errors import ValidationFailed
from egov.text import address_with_unit, fold
from procedures.handlers.birth import rules

if TYPE_CHECKING:
    import datetime as dt

    from citizens.models import Agency

# Stored untranslated in the access log (an audit record), translated when shown.
PURPOSE_PARENTS_NAMED = gettext_noop("Birth declaration: a parent named by ID number")
# A birth dossier that no longer stands (its child will not be registered).
CLOSED_STATUSES = ("refused", "rejected", "withdrawn")


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


def province_code_of(unit: AdministrativeUnit | None) -> str:
    """The 2-digit code of the province an administrative unit lies in (a
    ward's parent in today's two tiers, its district's parent before 2025)."""
    seen = 0
    while unit is not None and unit.level != AdministrativeUnit.Level.PROVINCE and seen < 4:
        unit = unit.parent
        seen += 1
    if unit is None or unit.level != AdministrativeUnit.Level.PROVINCE:
        raise ValidationFailed(
            _("The registering agency is not attached to a province."), code=ErrorCode.NO_PROVINCE
        )
    return unit.code


def registering_province(agency: Agency | None) -> str:
    """Decree 137/2015 art. 13: the ID number starts with the code of the
    province where the birth is registered, i.e. the registering ward's."""
    if agency is None:
        raise ValidationFailed(
            _("The dossier has no registering agency."), code=ErrorCode.NO_PROVINCE
        )
    return province_code_of(agency.unit)


def birth_place_text(data: dict[str, Any]) -> str:
    address = data.get("birth_address") or {}
    parts = [data.get("birth_facility") or ""]
    line = address.get("address") or ""
    unit_code = address.get("unit_code")
    unit_text = ""
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
        unit_text = str(unit) if unit else unit_code
    # The unit once, even when the address line names it already.
    parts.append(address_with_unit(line, unit_text))
    return ", ".join(p.strip() for p in parts if p and p.strip())[:255]


# --- Reads --------------------------------------------------------------------------------


def sibling_dossier(code: str) -> dict[str, Any] | None:
    """The birth dossier a twin's declaration names by its code: its answers
    and whether it still stands (``{"data", "closed"}``), or None.

    Dossiers belong to the one-stop engine, which this package must not
    import (dependencies point onecounter → procedures): the model is looked
    up by name, for this one read of another birth dossier's answers."""
    code = (code or "").strip().upper()
    if not code:
        return None
    dossier_model = apps.get_model("onecounter", "Dossier")
    row = (
        dossier_model.objects.filter(code=code, procedure__handler="birth")
        .values("status", "data")
        .first()
    )
    if row is None:
        return None
    return {"data": row["data"] or {}, "closed": row["status"] in CLOSED_STATUSES}


def registered_children(
    *, mother: Person | None, mother_name: str, birth_date: dt.date
) -> list[Person]:
    """Living records of children of this mother (her record, or her name when
    she is not in the database) born on this date."""
    children = Person.objects.filter(birth_date=birth_date, status=Person.Status.LIVING)
    if mother is not None:
        return list(children.filter(mother=mother).only("id", "full_name", "source"))
    if not fold(mother_name):
        return []
    # A mother outside the database is known by name only (a few a day).
    named = children.filter(mother__isnull=True).exclude(mother_name="")
    return [
        child
        for child in named.only("id", "full_name", "source", "mother_name")
        if fold(child.mother_name) == fold(mother_name)
    ]


def parents_read_log(
    *,
    data: dict[str, Any],
    actor: User | None,
    reference: str,
    channel: str,
    skip: Iterable[str] = (),
) -> list[Person]:
    """Read the records of the parents the declarer names by ID number (but
    the declarer's own and those in ``skip``), and write each read to that
    parent's access log with its purpose, once per dossier. Returns the
    records found."""
    numbers = {(data.get(f"{parent}_id_number") or "").strip() for parent in rules.PARENTS}
    numbers -= {"", (data.get("declarer_id_number") or "").strip(), *skip}
    if not numbers:
        return []
    found = list(Person.objects.filter(id_number__in=numbers))
    logged = set(
        AccessLog.objects.filter(
            person__in=found, dossier_ref=reference, purpose=PURPOSE_PARENTS_NAMED
        ).values_list("person_id", flat=True)
    )
    for person in found:
        if person.pk not in logged:
            access_log_write(
                person=person,
                channel=channel,
                actor=actor,
                purpose=PURPOSE_PARENTS_NAMED,
                dossier_ref=reference,
            )
    return found


# --- Writes -------------------------------------------------------------------------------

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
        raise ValidationFailed(PARENT_NOT_FOUND[parent], code=ErrorCode.PARENT_NOT_FOUND)
    return person


@transaction.atomic
def birth_register_child(
    *, reference: str, data: dict[str, Any], actor: User | None, province_code: str
) -> Person:
    """Create the child's record with a new personal ID number (starting with
    the code of ``province_code``, the registering ward's province), linked to
    the parents' records, or carrying their names when they are not in the
    database; an unknown father leaves the father empty.

    Idempotent: the record is keyed by the dossier reference (``Person.source``),
    so approving again returns the same child and issues no second number.
    """
    data = rules.with_declarer_as_parent(data)
    birth_date = rules.as_date(data.get("birth_date"))
    if birth_date is None:
        raise ValidationFailed(
            _("The dossier has no date of birth."), code=ErrorCode.BIRTH_DATE_MISSING
        )
    lock_reference(f"birth:{reference}")
    existing = child_of_dossier(reference, birth_date)
    if existing is not None:
        return existing
    mother = _parent(data, "mother", Sex.FEMALE)
    father = None if data.get("father_unknown") else _parent(data, "father", Sex.MALE)
    reason = f"birth {reference}"
    id_number = generate_id_number(
        province_code=province_code,
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
        full_name=" ".join(data["full_name"].split()),
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


def relation_to_head(
    head: Person, mother: Person | None, father: Person | None, data: dict[str, Any]
) -> str:
    """The child's relation to the head of the household it joins, from the
    records: a parent's child, a grandparent's grandchild (by the parents'
    links, or by the parents' own place in that household), else "other"."""
    parents = [p for p in (mother, father) if p is not None]
    if head.pk in {p.pk for p in parents}:
        return "child"
    if head.pk in {pk for p in parents for pk in (p.mother_id, p.father_id) if pk}:
        return "grandchild"
    declarer = (data.get("declarer_id_number") or "").strip()
    if data.get("declarer_relation") == "grandparent" and declarer == head.id_number:
        return "grandchild"
    places = set(
        HouseholdMembership.objects.filter(
            person__in=parents, household__head=head, end_date__isnull=True
        ).values_list("relation", flat=True)
    )
    if places & {"spouse"}:
        return "child"
    if places & {"child", "in_law"}:
        return "grandchild"
    return "other"
