"""The internal channel: hands a dossier on to an agency of this deployment.

Delivering creates the receiving agency's own dossier (channel "linked", a
copy of the applicant's details and the handoff's payload as its answers)
under a procedure that agency offers with the handler the sending handler
named (``HandoffSpec.handler``, kept on the handoff), and takes the step
``hand_in`` as the system: code, receipt, promised date = the handoff's time
budget. The receiving agency then works it in its queue like any dossier; its
decision finishes the handoff (``interconnect.services.agency_dossier_changed``).
A new procedure handing on to an agency here needs nothing in this package: a
spec with ``channel="internal"``, the receiving ``handler``, and a procedure of
the receiving agency in the catalog with that handler.
"""

from __future__ import annotations

import datetime as dt

from citizens.models import Agency, Person
from interconnect.channels import Channel, canonical_json, register
from interconnect.errors import DeliveryFailed
from interconnect.models import Handoff, HandoffMessage
from onecounter import transitions
from onecounter.handler_view import DossierRef
from onecounter.models import Dossier
from procedures.models import Procedure


@register
class InternalChannel(Channel):
    name = "internal"
    awaited = True

    def deliver(self, handoff: Handoff, message: HandoffMessage, now: dt.datetime) -> None:
        agency = handoff.agency or resolve_agency(handoff)
        if agency is None:
            raise DeliveryFailed(f"No active agency receives “{handoff.target}” for this place.")
        handler = handoff.handler
        if not handler:
            raise DeliveryFailed(f"The handoff “{handoff.key}” names no receiving handler.")
        procedure = (
            Procedure.objects.filter(offered_by=agency, handler=handler)
            .order_by("-is_published", "code")
            .first()
        )
        if procedure is None:
            raise DeliveryFailed(f"{agency.code} offers no procedure handled by “{handler}”.")
        source = handoff.dossier
        payload = handoff.payload
        number = payload.get("person_id_number") or payload.get("child_id_number") or ""
        subject = Person.objects.filter(id_number=number).first() if number else None
        dossier = Dossier.objects.create(
            procedure=procedure,
            agency=agency,
            channel=Dossier.Channel.LINKED,
            applicant=source.applicant,
            applicant_person=source.applicant_person,
            applicant_name=source.applicant_name,
            applicant_id_number=source.applicant_id_number,
            applicant_phone=source.applicant_phone,
            applicant_email=source.applicant_email,
            applicant_address=source.applicant_address,
            subject_person=subject,
            data=dict(payload),
            created_at=now,
            updated_at=now,
        )
        dossier = transitions.perform(
            dossier,
            "hand_in",
            actor=transitions.SYSTEM_ACTOR,
            budget_days=handoff.budget_days,
            source=source.code,
        )
        handoff.agency = agency
        handoff.agency_dossier = dossier
        handoff.due_date = dossier.due_date
        message.response_status = 201
        message.response = canonical_json(
            {
                "dossier": dossier.code,
                "agency": agency.code,
                "received_at": dossier.received_at.isoformat() if dossier.received_at else None,
                "due_date": dossier.due_date.isoformat() if dossier.due_date else None,
            }
        ).decode()


def resolve_agency(handoff: Handoff) -> Agency | None:
    """The receiving agency, worked out again from the originating dossier (for a
    handoff stored when no agency served the place)."""
    from procedures.handlers import registry

    source = handoff.dossier
    try:
        handler = registry.get(source.procedure.handler)
    except LookupError:
        return None
    for spec in handler.handoffs(source.procedure, DossierRef(source)):
        if spec.target == handoff.target:
            return spec.agency
    return None
