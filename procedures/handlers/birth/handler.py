"""Birth registration (Đăng ký khai sinh, 1.001193): the handler."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from citizens.models import AccessLog, Household, HouseholdMembership, Person, Sex
from citizens.population import access_log_write
from citizens.reference import ETHNICITY_NAMES
from egov.text import fold
from procedures.handlers.birth import forms as pages
from procedures.handlers.birth import rules
from procedures.handlers.birth.services import birth_register_child
from procedures.handlers.registry import DossierView, ProcedureHandler, register

if TYPE_CHECKING:
    from citizens.models import User
    from procedures.models import Procedure

PURPOSE_PREFILL = gettext_noop("Prefill of a birth declaration filed by the spouse")

# Answers every birth dossier must have (the pages' required questions).
REQUIRED = (
    "full_name",
    "sex",
    "birth_date",
    "birth_address",
    "ethnicity",
    "nationality",
    "native_place",
    "birth_evidence",
    "birth_order",
    "declarer_relation",
    "declarer_id_number",
    "health_facility",
)
NOT_FOUND = _("No record in the population database has this personal ID number.")


def active_household(person: Person) -> Household | None:
    membership = (
        HouseholdMembership.objects.filter(
            person=person,
            end_date__isnull=True,
            residence_type=HouseholdMembership.ResidenceType.PERMANENT,
        )
        .select_related("household")
        .first()
    )
    return membership.household if membership else None


def _residence(person: Person) -> str:
    parts = [person.permanent_address]
    if person.permanent_unit_id:
        parts.append(str(person.permanent_unit))
    return ", ".join(p for p in parts if p)


def parent_values(prefix: str, person: Person) -> dict[str, Any]:
    """What the birth certificate shows of a parent in the population database."""
    return {
        f"{prefix}_id_number": person.id_number,
        f"{prefix}_name": person.full_name,
        f"{prefix}_birth_year": person.birth_date.year,
        f"{prefix}_ethnicity": ETHNICITY_NAMES.get(person.ethnicity, person.ethnicity),
        f"{prefix}_nationality": person.nationality,
        f"{prefix}_residence": _residence(person),
    }


@register
class BirthHandler(ProcedureHandler):
    name = "birth"
    label = _("Birth registration")

    def pages(self, procedure: Procedure) -> list[int]:
        return sorted(pages.PAGES)

    def form_class(self, procedure: Procedure, page: int) -> type[forms.Form]:
        return pages.PAGES[page]

    def prefill(self, procedure: Procedure, person: Person | None) -> dict[str, Any]:
        """The declarer as a parent, and their spouse as the other parent, from
        the population database (reading the spouse's record is logged)."""
        if person is None:
            return {}
        person = Person.objects.select_related(
            "permanent_unit__parent", "spouse__permanent_unit__parent"
        ).get(pk=person.pk)
        own = "mother" if person.sex == Sex.FEMALE else "father"
        other = "father" if own == "mother" else "mother"
        values: dict[str, Any] = {
            "declarer_relation": own,
            "declarer_id_number": person.id_number,
            **parent_values(own, person),
        }
        spouse = person.spouse
        if spouse is not None:
            values.update(parent_values(other, spouse))
            access_log_write(
                person=spouse, channel=AccessLog.Channel.PREFILL, purpose=PURPOSE_PREFILL
            )
        elif person.spouse_name:
            values[f"{other}_name"] = person.spouse_name
        household = active_household(person)
        if household is not None:
            values["household_number"] = household.number
        return values

    def validate(self, procedure: Procedure, data: dict[str, Any]) -> dict[str, list[str]]:
        """Checks the whole declaration and the records it names. Also stores
        what follows from the answers: ``late`` (more than 60 days after the
        birth), the declaring parent's ID number as that parent's, and the
        declarer's household when none was given."""
        today = timezone.localdate()
        data.update(rules.with_declarer_as_parent(data))
        problems: rules.Problems = [
            (key, _("This field is required."))
            for key in REQUIRED
            if not rules.filled(data.get(key))
        ]
        birth_date = rules.as_date(data.get("birth_date"))
        if rules.filled(data.get("birth_date")):
            date_problems = rules.birth_date_problems(birth_date, today)
            problems += date_problems
            data["late"] = bool(
                birth_date and not date_problems and rules.is_late(birth_date, today)
            )
        if data.get("sex") and data["sex"] not in Sex.values:
            problems.append(("sex", _("Choose the child's sex.")))
        if data.get("ethnicity") and data["ethnicity"] not in ETHNICITY_NAMES:
            problems.append(("ethnicity", _("Choose one of the 54 ethnic groups.")))
        if data.get("declarer_relation") and data["declarer_relation"] not in dict(rules.RELATIONS):
            problems.append(("declarer_relation", _("Choose how you are related to the child.")))
        problems += rules.evidence_problems(data, check_document=False)
        problems += rules.multiple_birth_problems(data)
        problems += rules.declarer_problems(data)
        problems += rules.parent_problems(data)
        problems += self._record_problems(data, birth_date)
        grouped: dict[str, list[str]] = defaultdict(list)
        for field, message in problems:
            if str(message) not in grouped[field]:
                grouped[field].append(str(message))
        return dict(grouped)

    def _record_problems(self, data: dict[str, Any], birth_date) -> rules.Problems:
        """The people and the household named exist in the population database."""
        problems: rules.Problems = []
        numbers = {
            field: (data.get(field) or "").strip()
            for field in ("declarer_id_number", "mother_id_number", "father_id_number")
        }
        wanted = {n for n in numbers.values() if n}
        found = {p.id_number: p for p in Person.objects.filter(id_number__in=wanted)}
        for field, number in numbers.items():
            if number and number not in found:
                problems.append((field, NOT_FOUND))
        mother = found.get(numbers["mother_id_number"])
        father = found.get(numbers["father_id_number"])
        if mother is not None and mother.sex != Sex.FEMALE:
            problems.append(("mother_id_number", _("This ID number is not a woman's.")))
        if father is not None and father.sex != Sex.MALE:
            problems.append(("father_id_number", _("This ID number is not a man's.")))
        declarer = found.get(numbers["declarer_id_number"])
        household_number = (data.get("household_number") or "").strip()
        if household_number:
            if not Household.objects.filter(number=household_number).exists():
                problems.append(("household_number", _("There is no household with this number.")))
        elif declarer is not None:
            household = active_household(declarer)
            if household is None:
                problems.append(
                    (
                        "household_number",
                        _("You have no permanent household: enter the household the child joins."),
                    )
                )
            else:
                data["household_number"] = household.number
        if mother is not None and birth_date is not None and data.get("full_name"):
            twin_or_same = Person.objects.filter(
                mother=mother,
                birth_date=birth_date,
                search_name=fold(data["full_name"]),
                status=Person.Status.LIVING,
            )
            if twin_or_same.exists():
                problems.append(
                    (
                        "full_name",
                        _(
                            "A child of this mother with this name and date of birth is "
                            "registered already."
                        ),
                    )
                )
        return problems

    def on_approved(self, procedure: Procedure, dossier: DossierView, actor: User) -> None:
        """Registers the birth: the child's record and personal ID number.
        Approving again changes nothing (keyed by the dossier reference)."""
        birth_register_child(reference=dossier.reference, data=dossier.data, actor=actor)

    def result_documents(self, procedure: Procedure) -> list[str]:
        return ["birth_certificate"]

    def handoffs(self, procedure: Procedure, dossier: DossierView) -> list:
        """The registered birth handed on to the ward police and social insurance
        (and the civil-status registry when configured): see ``handoffs.py``."""
        from procedures.handlers.birth.handoffs import birth_handoffs

        return birth_handoffs(procedure, dossier)
