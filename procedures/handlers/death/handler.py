"""Death registration (Đăng ký khai tử, 1.000656): the handler.

A relative declares the death of a person in the population database. The
ward checks the declaration (the record exists and is of a living person, the
date is possible); approving records the death in the population database
(status deceased, date of death; versioned, keyed by the dossier) and hands the
removal of the deceased's permanent residence on to the ward police
(``handoffs.py``). The result is the death registration extract (``results.py``).
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from django import forms
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citizens.models import Person
from citizens.population import person_update
from egov.codes import ErrorCode
from egov.errors import ValidationFailed
from procedures.handlers.death.forms import REQUIRED_MESSAGES, DeathForm, date_answer
from procedures.handlers.death.handoffs import death_handoffs
from procedures.handlers.death.results import DEATH_CERTIFICATE
from procedures.handlers.registry import (
    DossierView,
    DuplicateMatch,
    HandoffSpec,
    ProcedureHandler,
    ResultSpec,
    earlier_dossiers,
    register,
)

if TYPE_CHECKING:
    from citizens.models import User
    from procedures.models import Procedure


@transaction.atomic
def death_record(*, reference: str, data: dict[str, Any], actor: User | None) -> Person:
    """Record the death of the person the declaration names. A record that
    says so already is left as it is (approving again changes nothing)."""
    number = (data.get("deceased_id_number") or "").strip()
    person = Person.objects.select_for_update().filter(id_number=number).first()
    if person is None:
        raise ValidationFailed(
            _("The record of the deceased is not in the population database."),
            code=ErrorCode.PERSON_NOT_FOUND,
        )
    if person.status == Person.Status.DECEASED:
        return person
    return person_update(
        person=person,
        actor=actor,
        changes={
            "status": Person.Status.DECEASED,
            "death_date": date_answer(data["date_of_death"]),
        },
        reason=f"death registration {reference}",
        dossier_ref=reference,
    )


@register
class DeathHandler(ProcedureHandler):
    name = "death"
    label = _("Death registration")
    # The online start page asks who declares: the deceased is neither the
    # citizen nor one of their minor children.
    start_question = "declarer_relation"

    def form_class(self, procedure: Procedure, page: int) -> type[forms.Form]:
        return DeathForm

    def validate(self, procedure: Procedure, data: dict[str, Any]) -> dict[str, list[str]]:
        problems: dict[str, list[str]] = defaultdict(list)
        for key, message in REQUIRED_MESSAGES.items():
            if not data.get(key):
                problems[key].append(str(message))
        number = (data.get("deceased_id_number") or "").strip()
        person = Person.objects.filter(id_number=number).first() if number else None
        if number and person is None:
            problems["deceased_id_number"].append(
                str(_("No record in the population database has this personal ID number."))
            )
        elif person is not None and person.status != Person.Status.LIVING:
            problems["deceased_id_number"].append(str(_("This record is not of a living person.")))
        died = date_answer(data.get("date_of_death"))
        if died is not None and died > timezone.localdate():
            problems["date_of_death"].append(str(_("The date of death is in the future.")))
        elif died is not None and person is not None and died < person.birth_date:
            problems["date_of_death"].append(
                str(_("The date of death is before the person's date of birth."))
            )
        return dict(problems)

    def on_approved(self, procedure: Procedure, dossier: DossierView, actor: User) -> None:
        """Records the death in the population database."""
        death_record(reference=dossier.reference, data=dossier.data, actor=actor)

    def results(self, procedure: Procedure) -> list[ResultSpec]:
        """The death registration extract (see ``results.py``)."""
        return [DEATH_CERTIFICATE]

    def handoffs(self, procedure: Procedure, dossier: DossierView) -> list[HandoffSpec]:
        """The removal of the permanent residence, to the ward police (see ``handoffs.py``)."""
        return death_handoffs(dossier)

    def duplicate_key(self, procedure: Procedure, data: dict[str, Any]) -> str:
        """The deceased: one death registration per person."""
        number = (data.get("deceased_id_number") or "").strip()
        return f"death:{number}" if number else ""

    def duplicates(
        self, procedure: Procedure, dossier: DossierView, others: list[DossierView]
    ) -> list[DuplicateMatch]:
        """A death dossier for the same person sent before this one that still
        stands (certain); a death recorded already is refused by ``validate``."""
        return earlier_dossiers(
            dossier,
            others,
            message=_(
                "Dossier %(code)s, sent earlier and still standing, registers the death of "
                "the same person."
            ),
            public_message=_(
                "The death of this person is already being registered (dossier %(code)s)."
            ),
        )
