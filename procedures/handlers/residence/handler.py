"""Permanent residence registration (Đăng ký thường trú, 1.004194): the handler."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from django import forms
from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _

from citizens.models import Household, HouseholdMembership, Person
from citizens.population import household_join
from citizens.reference import RELATIONS
from egov.codes import ErrorCode
from egov.errors import ValidationFailed
from procedures.handlers.registry import (
    DossierView,
    DuplicateMatch,
    ProcedureHandler,
    ResultSpec,
    earlier_dossiers,
    register,
)
from procedures.handlers.residence.forms import (
    CONSENT_NEEDED,
    LEGAL_BASES,
    REQUIRED_MESSAGES,
    YES,
    ResidenceForm,
)
from procedures.handlers.residence.results import RESIDENCE_CONFIRMATION

if TYPE_CHECKING:
    from citizens.models import User
    from procedures.models import Procedure

REQUIRED = ("person_id_number", "household_number", "relation", "legal_basis", "start_date")


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


def _active_membership(person: Person) -> HouseholdMembership | None:
    return (
        HouseholdMembership.objects.select_related("household")
        .filter(
            person=person,
            end_date__isnull=True,
            residence_type=HouseholdMembership.ResidenceType.PERMANENT,
        )
        .first()
    )


def _person(data: dict[str, Any]) -> Person | None:
    number = (data.get("person_id_number") or "").strip()
    return Person.objects.filter(id_number=number).first() if number else None


@transaction.atomic
def residence_register(
    *, reference: str, data: dict[str, Any], actor: User | None, subject: Person | None = None
) -> HouseholdMembership:
    """Join the household (``household_join``; the same household again is a
    no-op). Idempotent per dossier: a membership this dossier started is
    returned as it is, even if the person has moved on since."""
    number = (data.get("person_id_number") or "").strip()
    person = Person.objects.filter(id_number=number).first() if number else subject
    household = Household.objects.filter(
        number=(data.get("household_number") or "").strip()
    ).first()
    start_date = _date(data.get("start_date"))
    if person is None or household is None or start_date is None:
        raise ValidationFailed(
            _("The person, the household or the start date of this dossier is missing."),
            code=ErrorCode.RESIDENCE_DATA_MISSING,
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"residence:{reference}"])
    done = HouseholdMembership.objects.filter(person=person, dossier_ref=reference).first()
    if done is not None:
        return done
    return household_join(
        actor=actor,
        household=household,
        person=person,
        relation=data.get("relation") or "other",
        start_date=start_date,
        reason=f"residence {reference}",
        dossier_ref=reference,
    )


@register
class ResidenceHandler(ProcedureHandler):
    name = "residence"
    label = _("Permanent residence registration")

    def form_class(self, procedure: Procedure, page: int) -> type[forms.Form]:
        return ResidenceForm

    def prefill(self, procedure: Procedure, person: Person | None) -> dict[str, Any]:
        """The applicant registers themselves unless they give a child's number."""
        return {"person_id_number": person.id_number} if person is not None else {}

    def validate(self, procedure: Procedure, data: dict[str, Any]) -> dict[str, list[str]]:
        problems: list[tuple[str, Any]] = [
            (key, REQUIRED_MESSAGES[key]) for key in REQUIRED if not data.get(key)
        ]
        if data.get("relation") and data["relation"] not in dict(RELATIONS):
            problems.append(("relation", _("Choose the relation to the head of household.")))
        if data.get("legal_basis") and data["legal_basis"] not in dict(LEGAL_BASES):
            problems.append(("legal_basis", _("Choose what makes the home lawful.")))
        start_date = _date(data.get("start_date"))
        if data.get("start_date") and start_date is None:
            problems.append(("start_date", _("Enter a valid date.")))
        person = _person(data)
        if data.get("person_id_number") and person is None:
            problems.append(
                (
                    "person_id_number",
                    _("No record in the population database has this personal ID number."),
                )
            )
        elif person is not None and person.status != Person.Status.LIVING:
            problems.append(("person_id_number", _("This record is not of a living person.")))
        number = (data.get("household_number") or "").strip()
        household = Household.objects.filter(number=number).first() if number else None
        if number and household is None:
            problems.append(("household_number", _("There is no household with this number.")))
        if person is not None and household is not None:
            problems += self._joining_problems(data, person, household, start_date)
        grouped: dict[str, list[str]] = defaultdict(list)
        for field, message in problems:
            grouped[field].append(str(message))
        return dict(grouped)

    def _joining_problems(
        self, data: dict[str, Any], person: Person, household: Household, start_date
    ) -> list[tuple[str, Any]]:
        problems: list[tuple[str, Any]] = []
        someone_elses = household.head_id is not None and household.head_id != person.pk
        if someone_elses and data.get("head_consents") != YES:
            problems.append(("head_consents", CONSENT_NEEDED))
        if someone_elses and data.get("relation") == "head":
            problems.append(
                ("relation", _("This household has a head already: choose your relation to them."))
            )
        active = _active_membership(person)
        if active is not None and active.household_id == household.pk:
            problems.append(
                ("household_number", _("This person is already registered in this household."))
            )
        elif active is not None and start_date is not None and start_date <= active.start_date:
            problems.append(
                ("start_date", _("The new residence must start after the current one began."))
            )
        return problems

    def on_approved(self, procedure: Procedure, dossier: DossierView, actor: User) -> None:
        """Registers permanent residence: the person joins the household."""
        residence_register(
            reference=dossier.reference, data=dossier.data, actor=actor, subject=dossier.subject
        )

    def results(self, procedure: Procedure) -> list[ResultSpec]:
        """The confirmation of residence information (see ``results.py``)."""
        return [RESIDENCE_CONFIRMATION]

    def duplicate_key(self, procedure: Procedure, data: dict[str, Any]) -> str:
        """The person and the household they join."""
        person = (data.get("person_id_number") or "").strip()
        household = (data.get("household_number") or "").strip().upper()
        return f"residence:{person}:{household}" if person and household else ""

    def duplicates(
        self, procedure: Procedure, dossier: DossierView, others: list[DossierView]
    ) -> list[DuplicateMatch]:
        """The same person joining the same household twice: already a member
        (but by this dossier), or a residence dossier sent before this one for
        the same person and household that still stands. Both are certain."""
        data = dossier.data or {}
        person = _person(data)
        number = (data.get("household_number") or "").strip()
        if person is None or not number:
            return []
        matches = []
        active = _active_membership(person)
        if (
            active is not None
            and active.household.number.upper() == number.upper()
            and active.dossier_ref != dossier.reference
        ):
            message = _(
                "%(name)s is already registered for permanent residence in household "
                "%(number)s (since %(date)s)."
            ) % {
                "name": person.full_name,
                "number": active.household.number,
                "date": active.start_date.strftime("%d/%m/%Y"),
            }
            matches.append(
                DuplicateMatch(
                    certain=True,
                    kind="record",
                    reference=person.id_number,
                    message=str(message),
                    public_message=str(_("This person is already registered in this household.")),
                    person_id=person.pk,
                )
            )
        return matches + earlier_dossiers(
            dossier,
            others,
            message=_(
                "Dossier %(code)s, sent earlier and still standing, registers the same person "
                "in the same household."
            ),
        )
