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
from egov.text import address_with_unit, fold
from procedures.handlers.birth import duplicates, rules
from procedures.handlers.birth import forms as pages
from procedures.handlers.birth.results import BIRTH_CERTIFICATE
from procedures.handlers.birth.services import (
    birth_register_child,
    parents_read_log,
    registered_children,
    registering_province,
    relation_to_head,
    sibling_dossier,
)
from procedures.handlers.registry import (
    DossierView,
    DuplicateMatch,
    ProcedureHandler,
    ResultSpec,
    register,
)

if TYPE_CHECKING:
    from citizens.models import User
    from procedures.models import Procedure

# Asked on the start page instead of "for whom" (a newborn is neither the
# citizen nor a child of theirs in the population database): who declares.
START_QUESTION = "declarer_relation"
PURPOSE_PREFILL = gettext_noop("Prefill of a birth declaration filed by the spouse")

# Answers every birth dossier must have (the pages' required questions).
REQUIRED = (
    "declarer_relation",
    "declarer_id_number",
    "full_name",
    "sex",
    "ethnicity",
    "nationality",
    "native_place",
    "birth_order",
    "birth_date",
    "birth_address",
    "birth_evidence",
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
    return address_with_unit(
        person.permanent_address, str(person.permanent_unit) if person.permanent_unit_id else ""
    )


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
    # The start page asks who declares, not "for whom" (``start_question``).
    start_question = START_QUESTION
    # The household is a suggestion (the declarer's own); the rest is read-only.
    prefill_editable = ("household_number",)
    # Worked out by ``validate``, never taken from a browser or a client: the
    # late registration (from the date of birth) and the child's relation to
    # the head of household (from the population database's records).
    computed_answers = ("late", "relation_to_head")

    def pages(self, procedure: Procedure) -> list[int]:
        return sorted(pages.PAGES)

    def form_class(self, procedure: Procedure, page: int) -> type[forms.Form]:
        return pages.PAGES[page]

    def hidden_questions(self, procedure: Procedure, data: dict[str, Any]) -> set[str]:
        """A late registration's questions are asked only of a late birth."""
        if rules.registered_late(data, timezone.localdate()):
            return set()
        return set(rules.LATE_QUESTIONS)

    def required_files(self, procedure: Procedure, data: dict[str, Any]) -> set[str]:
        """Art. 16: born outside a hospital, the witness's statement or the
        written commitment; registered late as well, a document proving the
        facts of the birth."""
        evidence = data.get("birth_evidence")
        if not evidence or evidence == rules.HOSPITAL_CERTIFICATE:
            return set()
        required = {"evidence_document"}
        if rules.registered_late(data, timezone.localdate()):
            required.add("birth_facts_document")
        return required

    def _late(self, data: dict[str, Any]) -> bool:
        # ``late`` as ``validate`` stored it, else worked out the same way.
        if isinstance(data.get("late"), bool):
            return data["late"]
        return rules.registered_late(data, timezone.localdate())

    def fee(self, procedure: Procedure, data: dict[str, Any], *, online: bool) -> int:
        """Art. 11: only a registration in time is free; a late one costs the
        catalog's late-registration fee (``Procedure.fee_late``)."""
        if self._late(data):
            return procedure.fee_late
        return super().fee(procedure, data, online=online)

    def fee_before_receipt(self, procedure: Procedure, data: dict[str, Any]) -> bool:
        """The late-registration fee is paid before the ward receives the dossier."""
        return self._late(data) and procedure.fee_late > 0

    def prefill(self, procedure: Procedure, person: Person | None) -> dict[str, Any]:
        """The declarer, from their linked record, and their household as the
        child's. The parents follow once the declarer says how they are
        related to the child (``prefill_update``)."""
        if person is None:
            return {}
        values: dict[str, Any] = {"declarer_id_number": person.id_number}
        household = active_household(person)
        if household is not None:
            values["household_number"] = household.number
        return values

    def parent_prefill(
        self,
        person: Person,
        own: str,
        *,
        actor: User | None = None,
        reference: str = "",
    ) -> dict[str, Any]:
        """A declaring parent as that parent, and their spouse as the other
        parent, from the population database. Reading the spouse's record is
        written to the spouse's access log, once per dossier."""
        person = Person.objects.select_related(
            "permanent_unit__parent", "spouse__permanent_unit__parent"
        ).get(pk=person.pk)
        other = "father" if own == "mother" else "mother"
        values = parent_values(own, person)
        spouse = person.spouse
        if spouse is not None:
            values.update(parent_values(other, spouse))
            logged = AccessLog.objects.filter(
                person=spouse, dossier_ref=reference, purpose=PURPOSE_PREFILL
            )
            if not (reference and logged.exists()):
                access_log_write(
                    person=spouse,
                    channel=AccessLog.Channel.PREFILL,
                    actor=actor,
                    purpose=PURPOSE_PREFILL,
                    dossier_ref=reference,
                )
        elif person.spouse_name:
            values[f"{other}_name"] = person.spouse_name
        return {key: value for key, value in values.items() if rules.filled(value)}

    def prefill_update(
        self,
        procedure: Procedure,
        person: Person | None,
        data: dict[str, Any],
        *,
        read_only: set[str],
        actor: User | None = None,
        reference: str = "",
    ) -> tuple[dict[str, Any], set[str]]:
        """Called by the online filing after each page the declarer saves
        (``data``: every answer so far; ``read_only``: the answers taken from
        the population database). Returns the answers to change and the new
        read-only set.

        A declaring mother or father is that parent, with their spouse as the
        other parent, read-only: they only confirm. Anyone else (a grandparent,
        a relative, the carer) names the parents: by ID number, whose records
        are then read for this dossier and the read logged with its purpose
        (as is a parent a declaring parent types in), or by name when they are
        not in the database. The declarer's own ID
        number always comes from their linked record."""
        read_only = set(read_only)
        if person is None:
            return {}, read_only
        values: dict[str, Any] = {}
        if data.get("declarer_id_number") != person.id_number:
            values["declarer_id_number"] = person.id_number
        read_only.add("declarer_id_number")
        relation = data.get("declarer_relation")
        prefilled = read_only & set(rules.PARENT_FIELDS)
        applied_as = next(
            (
                parent
                for parent in rules.PARENTS
                if f"{parent}_id_number" in prefilled
                and data.get(f"{parent}_id_number") == person.id_number
            ),
            None,
        )
        if relation in rules.PARENTS and applied_as != relation:
            values.update(dict.fromkeys(prefilled))
            own = self.parent_prefill(person, relation, actor=actor, reference=reference)
            values.update(own)
            read_only = (read_only - prefilled) | set(own)
        elif relation not in rules.PARENTS and applied_as is not None:
            values.update(dict.fromkeys(prefilled))
            read_only -= prefilled
        if relation:
            # The parents typed in (a spouse filled in above is logged already).
            merged = {**data, **values}
            parents_read_log(
                data=merged,
                actor=actor,
                reference=reference,
                channel=AccessLog.Channel.PREFILL,
                skip={
                    merged.get(f"{parent}_id_number") or ""
                    for parent in rules.PARENTS
                    if f"{parent}_id_number" in read_only
                },
            )
        return values, read_only

    def validate(self, procedure: Procedure, data: dict[str, Any]) -> dict[str, list[str]]:
        """Checks the whole declaration and the records it names (with the
        parents: two people, each born before the child and at least
        ``rules.MIN_PARENT_AGE_YEARS`` old at the birth). Also stores what
        follows from the answers: ``late`` (more than 60 days after the birth;
        decided here only, whatever the answers say), the declaring parent's
        ID number as that parent's, the
        declarer's household when none was given, the household head's
        consent (``head_consents``) and the child's relation to the head
        (``relation_to_head``)."""
        today = timezone.localdate()
        data.update(rules.with_declarer_as_parent(data))
        problems: rules.Problems = [
            (key, pages.REQUIRED_MESSAGES[key])
            for key in REQUIRED
            if not rules.filled(data.get(key))
        ]
        birth_date = rules.as_date(data.get("birth_date"))
        if rules.filled(data.get("birth_date")):
            problems += rules.birth_date_problems(birth_date, today)
        # The only place ``late`` is decided: from the date of birth, whatever
        # the answers say (a client's ``late`` is overwritten).
        late = rules.registered_late(data, today)
        data["late"] = late
        if data.get("sex") and data["sex"] not in Sex.values:
            problems.append(("sex", _("Choose the child's sex.")))
        if data.get("ethnicity") and data["ethnicity"] not in ETHNICITY_NAMES:
            problems.append(("ethnicity", _("Choose one of the 54 ethnic groups.")))
        if data.get("declarer_relation") and data["declarer_relation"] not in dict(rules.RELATIONS):
            problems.append(("declarer_relation", _("Choose how you are related to the child.")))
        if rules.gets_free_card(birth_date, today) and not rules.filled(
            data.get("health_facility")
        ):
            problems.append(
                (
                    "health_facility",
                    pages.HEALTH_FACILITY_MISSING,
                )
            )
        problems += rules.declarer_problems(data)
        problems += rules.evidence_problems(data, check_document=False)
        problems += rules.late_problems(data, late=late, check_document=False)
        problems += rules.multiple_birth_problems(data)
        problems += rules.parent_problems(data)
        problems += rules.same_parent_problems(data)
        # Each parent born before the child and old enough at the birth, by
        # their record's date of birth (or the year typed for one not in it).
        numbers = {
            parent: (data.get(f"{parent}_id_number") or "").strip() for parent in rules.PARENTS
        }
        born = dict(
            Person.objects.filter(id_number__in=[n for n in numbers.values() if n]).values_list(
                "id_number", "birth_date"
            )
        )
        problems += rules.parent_age_problems(
            data, birth_date, {parent: born.get(number) for parent, number in numbers.items()}
        )
        problems += self._record_problems(data, birth_date, late)
        grouped: dict[str, list[str]] = defaultdict(list)
        for field, message in problems:
            if str(message) not in grouped[field]:
                grouped[field].append(str(message))
        return dict(grouped)

    def _record_problems(self, data: dict[str, Any], birth_date, late: bool) -> rules.Problems:
        """The people and the household named exist in the population database;
        the child is not registered already; a twin's dossier matches."""
        problems: rules.Problems = []
        numbers = {
            field: (data.get(field) or "").strip()
            for field in ("declarer_id_number", "mother_id_number", "father_id_number")
        }
        if data.get("father_unknown"):
            numbers["father_id_number"] = ""
        wanted = {n for n in numbers.values() if n}
        found = {p.id_number: p for p in Person.objects.filter(id_number__in=wanted)}
        for field, number in numbers.items():
            if number and number not in found:
                problems.append((field, NOT_FOUND))
        declarer = found.get(numbers["declarer_id_number"])
        mother = found.get(numbers["mother_id_number"])
        father = found.get(numbers["father_id_number"])
        if declarer is not None and declarer.status != Person.Status.LIVING:
            problems.append(("declarer_id_number", _("This record is not of a living person.")))
        if mother is not None and mother.sex != Sex.FEMALE:
            problems.append(("mother_id_number", _("This ID number is not a woman's.")))
            mother = None
        if father is not None and father.sex != Sex.MALE:
            problems.append(("father_id_number", _("This ID number is not a man's.")))
            father = None
        problems += self._household_problems(data, declarer, mother, father)
        if birth_date is not None and rules.filled(data.get("full_name")):
            problems += self._registered_problems(data, birth_date, mother, late)
        code = (data.get("sibling_dossier_code") or "").strip()
        if code and data.get("multiple_birth") and rules.DOSSIER_CODE.match(code):
            problems += rules.sibling_problems(data, sibling_dossier(code))
        return problems

    def _household_problems(
        self,
        data: dict[str, Any],
        declarer: Person | None,
        mother: Person | None,
        father: Person | None,
    ) -> rules.Problems:
        """The household the child joins (the declarer's when none is named)
        and, when its head is neither the declarer nor a parent, the head's
        consent. Stores ``household_number``, ``head_consents`` and
        ``relation_to_head`` for the residence registration that follows."""
        number = (data.get("household_number") or "").strip()
        household = None
        if number:
            household = Household.objects.select_related("head").filter(number=number).first()
            if household is None:
                return [("household_number", _("There is no household with this number."))]
        elif declarer is not None:
            household = active_household(declarer)
            if household is None:
                return [
                    (
                        "household_number",
                        _("You have no permanent household: enter the household the child joins."),
                    )
                ]
            data["household_number"] = household.number
        if household is None or household.head_id is None:
            return []
        head = household.head
        data["relation_to_head"] = relation_to_head(head, mother, father, data)
        insiders = {p.pk for p in (declarer, mother, father) if p is not None}
        if head.pk in insiders:
            # The head declares, or is a parent: the child joins their own home.
            data["head_consents"] = rules.YES
            return []
        if data.get("head_consents") == rules.YES:
            return []
        lives_there = HouseholdMembership.objects.filter(
            household=household, person_id__in=insiders, end_date__isnull=True
        ).exists()
        if lives_there:
            message = _(
                "The head of household %(number)s, %(name)s, is neither you nor a parent: "
                "the child joins the household only with %(name)s's consent."
            ) % {"number": household.number, "name": head.full_name}
        else:
            message = _(
                "The head of household %(number)s is neither you nor a parent: the child "
                "joins the household only with the head's consent."
            ) % {"number": household.number}
        return [("head_consents", message)]

    def _registered_problems(
        self, data: dict[str, Any], birth_date, mother: Person | None, late: bool
    ) -> rules.Problems:
        """The child is not in the population database already: no child of
        this mother born that day has this name; for a late registration (of
        a single birth), none has a similar name either."""
        children = registered_children(
            mother=mother, mother_name=data.get("mother_name") or "", birth_date=birth_date
        )
        sibling = (data.get("sibling_dossier_code") or "").strip()
        name = fold(data["full_name"])
        for child in children:
            if sibling and child.source == f"birth:{sibling}":
                continue  # the twin, registered by the dossier named
            if fold(child.full_name) == name:
                # The existing registration named (not the child's ID number).
                matches, _sources = duplicates.record_matches(data, reference="")
                named = next((m for m in matches if m.certain), None)
                return [
                    (
                        "full_name",
                        named.public_message
                        if named is not None
                        else _(
                            "A child of this mother with this name and date of birth is "
                            "registered already."
                        ),
                    )
                ]
            if (
                late
                and not data.get("multiple_birth")
                and rules.similar_names(child.full_name, data["full_name"])
            ):
                return [
                    (
                        "full_name",
                        _(
                            "The population database has a child of this mother born the same "
                            "day with a similar name: this birth seems to be registered already. "
                            "If it is a twin, say so and give the twin's dossier code."
                        ),
                    )
                ]
        return []

    def on_approved(self, procedure: Procedure, dossier: DossierView, actor: User) -> None:
        """Registers the birth: the child's record and personal ID number, with
        the code of the registering ward's province. Approving again changes
        nothing (keyed by the dossier reference)."""
        birth_register_child(
            reference=dossier.reference,
            data=dossier.data,
            actor=actor,
            province_code=registering_province(getattr(dossier, "agency", None)),
        )

    def results(self, procedure: Procedure) -> list[ResultSpec]:
        """The birth certificate extract (see ``results.py``)."""
        return [BIRTH_CERTIFICATE]

    def duplicate_key(self, procedure: Procedure, data: dict[str, Any]) -> str:
        """The mother and the date of birth (see ``duplicates.py``)."""
        return duplicates.duplicate_key(data)

    def duplicates(
        self, procedure: Procedure, dossier: DossierView, others: list[DossierView]
    ) -> list[DuplicateMatch]:
        """The same child registered already (certain), or another record or
        dossier of the mother's child born that day (likely); twins are not."""
        return duplicates.birth_duplicates(dossier, others)

    def handoffs(self, procedure: Procedure, dossier: DossierView) -> list:
        """The registered birth handed on to the ward police and social insurance
        (and the civil-status registry when configured): see ``handoffs.py``."""
        from procedures.handlers.birth.handoffs import birth_handoffs

        return birth_handoffs(procedure, dossier)
