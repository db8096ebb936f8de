"""Health-insurance card for a child under 6 (Cấp thẻ BHYT cho trẻ em dưới 6
tuổi, HN.BHXH.01): the handler."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citizens.models import Person
from citizens.population import person_update
from citizens.selectors import children_of
from egov.codes import ErrorCode
from egov.errors import ConflictError, ValidationFailed
from procedures.handlers.health_insurance.forms import REQUIRED_MESSAGES, ChildCardForm
from procedures.handlers.health_insurance.results import HEALTH_INSURANCE_CARD
from procedures.handlers.registry import (
    DossierView,
    DuplicateMatch,
    ProcedureHandler,
    ResultSpec,
    earlier_dossiers,
    register,
)

if TYPE_CHECKING:
    from citizens.models import User
    from procedures.models import Procedure

MAX_AGE = 6  # the state budget pays the card of a child under 6
CHILD_CARD_PREFIX = "TE1"  # TE: a child under 6; 1: the benefit level


def card_numbers(id_number: str, province_code: str | None = None) -> list[str]:
    """The card numbers a child's ID number gives, in order of preference:
    "TE1" + the 2-digit province + the last 10 digits of the ID number, or
    (when another record holds that one) 10 digits hashed from the whole ID."""
    head = CHILD_CARD_PREFIX + (province_code or settings.EGOV_PROVINCE_CODE)[-2:]
    hashed = int.from_bytes(hashlib.sha256(id_number.encode()).digest()[:8], "big") % 10**10
    return [head + id_number[-10:], head + f"{hashed:010d}"]


@transaction.atomic
def child_card_issue(
    *, reference: str, data: dict[str, Any], actor: User | None, subject: Person | None = None
) -> Person:
    """Give the child a health-insurance number. A child who has one keeps it
    (so approving again changes nothing)."""
    number = (data.get("child_id_number") or "").strip()
    children = Person.objects.select_for_update()
    child = children.filter(id_number=number).first() if number else None
    if child is None and subject is not None:
        child = children.filter(pk=subject.pk).first()
    if child is None:
        raise ValidationFailed(
            _("The child's record is not in the population database."),
            code=ErrorCode.CHILD_NOT_FOUND,
        )
    if child.health_insurance_number:
        return child
    for candidate in card_numbers(child.id_number):
        if not Person.objects.filter(health_insurance_number=candidate).exists():
            try:
                with transaction.atomic():
                    return person_update(
                        person=child,
                        actor=actor,
                        changes={"health_insurance_number": candidate},
                        reason=f"health insurance {reference}",
                        dossier_ref=reference,
                    )
            except IntegrityError:
                continue  # taken meanwhile by another record
    raise ConflictError(
        _("No free health-insurance number could be derived for this child."),
        code=ErrorCode.CARD_NUMBER_TAKEN,
    )


@register
class HealthInsuranceHandler(ProcedureHandler):
    name = "health_insurance"
    label = _("Health-insurance card for a child under 6")

    def form_class(self, procedure: Procedure, page: int) -> type[forms.Form]:
        return ChildCardForm

    def prefill(self, procedure: Procedure, person: Person | None) -> dict[str, Any]:
        """The child the dossier is about; for a parent, their only child under
        6 without a card, if there is one."""
        if person is None:
            return {}
        today = timezone.localdate()
        if person.age_on(today) < MAX_AGE:
            return {"child_id_number": person.id_number}
        candidates = [
            child
            for child in children_of(person).filter(
                status=Person.Status.LIVING, health_insurance_number=""
            )[:20]
            if child.age_on(today) < MAX_AGE
        ]
        return {"child_id_number": candidates[0].id_number} if len(candidates) == 1 else {}

    def validate(self, procedure: Procedure, data: dict[str, Any]) -> dict[str, list[str]]:
        problems: dict[str, list[str]] = defaultdict(list)
        for key in ("child_id_number", "health_facility"):
            if not data.get(key):
                problems[key].append(str(REQUIRED_MESSAGES[key]))
        number = (data.get("child_id_number") or "").strip()
        child = Person.objects.filter(id_number=number).first() if number else None
        if number and child is None:
            problems["child_id_number"].append(
                str(_("No record in the population database has this personal ID number."))
            )
        elif child is not None:
            if child.status != Person.Status.LIVING:
                problems["child_id_number"].append(str(_("This record is not of a living person.")))
            elif child.age_on(timezone.localdate()) >= MAX_AGE:
                problems["child_id_number"].append(
                    str(_("The child is 6 or older: the free card is for children under 6."))
                )
            elif child.health_insurance_number:
                problems["child_id_number"].append(
                    str(_("This child has a health-insurance card already."))
                )
        return dict(problems)

    def on_approved(self, procedure: Procedure, dossier: DossierView, actor: User) -> None:
        """Issues the card number; a child who has one keeps it."""
        child_card_issue(
            reference=dossier.reference, data=dossier.data, actor=actor, subject=dossier.subject
        )

    def results(self, procedure: Procedure) -> list[ResultSpec]:
        """The child's card (see ``results.py``)."""
        return [HEALTH_INSURANCE_CARD]

    def duplicate_key(self, procedure: Procedure, data: dict[str, Any]) -> str:
        """The child the card is for."""
        number = (data.get("child_id_number") or "").strip()
        return f"insurance:{number}" if number else ""

    def duplicates(
        self, procedure: Procedure, dossier: DossierView, others: list[DossierView]
    ) -> list[DuplicateMatch]:
        """One card per child: a child who has a card already, or a card
        dossier for the same child sent before this one that still stands.
        Both are certain."""
        number = ((dossier.data or {}).get("child_id_number") or "").strip()
        child = Person.objects.filter(id_number=number).first() if number else dossier.subject
        matches = []
        if child is not None and child.health_insurance_number:
            matches.append(
                DuplicateMatch(
                    certain=True,
                    kind="record",
                    reference=child.id_number,
                    message=str(
                        _("%(name)s has health-insurance card %(card)s already.")
                        % {"name": child.full_name, "card": child.health_insurance_number}
                    ),
                    public_message=str(_("This child has a health-insurance card already.")),
                    person_id=child.pk,
                )
            )
        return matches + earlier_dossiers(
            dossier,
            others,
            message=_(
                "Dossier %(code)s, sent earlier and still standing, asks for the same child's "
                "card: a child has one open card request."
            ),
            public_message=_(
                "A health-insurance card for this child is already being issued (dossier %(code)s)."
            ),
        )
