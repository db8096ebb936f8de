"""What a registered death hands on (Decree 63/2024, the interconnected
procedures of a death): the removal of the deceased's permanent residence
registration (xóa đăng ký thường trú, Law on Residence 2020, art. 24), to the
ward police serving the deceased's residence (else the registering ward's).

The police work it with the generic ``form`` handler: their procedure in the
catalog asks the questions this payload answers (``person_id_number``,
``full_name``, ``birth_date``, ``date_of_death``, ``death_registration``). It
goes through the internal channel, so the death's result waits for their
decision and comes back with theirs.
"""

from __future__ import annotations

from citizens.models import Agency, Person
from procedures.handlers.agencies import receiving_agency
from procedures.handlers.registry import DossierView, HandoffSpec

RESIDENCE_REMOVAL = "residence_removal"  # the handoff's target
RECEIVING_HANDLER = "form"
BUDGET_DAYS = 2  # Decree 63/2024: each agency's time budget, in working days


def death_handoffs(dossier: DossierView) -> list[HandoffSpec]:
    number = (dossier.data.get("deceased_id_number") or "").strip()
    person = (
        Person.objects.select_related("permanent_unit").filter(id_number=number).first()
        if number
        else None
    )
    if person is None or person.permanent_unit_id is None:
        return []  # no permanent residence to remove
    ward = dossier.agency.unit if dossier.agency else None
    return [
        HandoffSpec(
            target=RESIDENCE_REMOVAL,
            channel="internal",
            handler=RECEIVING_HANDLER,
            agency=receiving_agency(
                Agency.Kind.POLICE, RECEIVING_HANDLER, person.permanent_unit, ward
            ),
            budget_days=BUDGET_DAYS,
            payload={
                "person_id_number": person.id_number,
                "full_name": person.full_name,
                "birth_date": person.birth_date.isoformat(),
                "date_of_death": dossier.data.get("date_of_death") or "",
                "death_registration": dossier.reference,
            },
        )
    ]
