"""What the applicant's notices say about handoffs between agencies (called
by ``onecounter.notifications.services`` while it writes a notice, in the portal's
language: the caller sets it).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from interconnect.models import Handoff
from interconnect.selectors import awaited
from onecounter.models import Dossier, DossierDocument

NEXT_STEPS = {
    Handoff.Target.RESIDENCE: gettext_noop(
        "The birth registration of %(child)s stays valid. To register the child's "
        "permanent residence, file a permanent residence registration at %(agency)s "
        "with the child's personal ID number %(id_number)s."
    ),
    Handoff.Target.INSURANCE: gettext_noop(
        "The birth registration of %(child)s stays valid. To get the child's "
        "health-insurance card, apply for it at %(agency)s with the child's personal "
        "ID number %(id_number)s."
    ),
}


def next_steps(handoff: Handoff) -> str:
    template = NEXT_STEPS.get(handoff.target)
    if template is None:
        return ""
    payload = handoff.payload or {}
    agency = handoff.agency.name if handoff.agency else ""
    return _(template) % {
        "child": payload.get("full_name") or "—",
        "agency": agency,
        "id_number": payload.get("person_id_number") or payload.get("child_id_number") or "—",
    }


def refusal_next_steps(agency_dossier: Dossier) -> str:
    """For a handed-on dossier that was rejected or withdrawn: the birth stays
    registered, and what the parent can do instead."""
    handoff = Handoff.objects.select_related("agency").filter(agency_dossier=agency_dossier).first()
    return next_steps(handoff) if handoff else ""


def _titles(dossier: Dossier) -> list[str]:
    return [
        d.title or str(d.get_kind_display())
        for d in dossier.documents.filter(kind=DossierDocument.Kind.RESULT)
        .exclude(file="")
        .order_by("created_at")
    ]


def results_together(dossier: Dossier) -> str:
    """For a dossier handed on to agencies here, when its results are ready:
    every result that came back, and what was refused (with the next steps)."""
    handoffs = list(
        awaited(Handoff.objects.filter(dossier=dossier))
        .select_related("agency", "agency_dossier")
        .order_by("target")
    )
    if not handoffs:
        return ""
    lines = [_("The results that came back together:")]
    lines += [f"- {title} ({dossier.agency.name})" for title in _titles(dossier)]
    refused = []
    for handoff in handoffs:
        agency = handoff.agency.name if handoff.agency else ""
        if handoff.status == Handoff.Status.COMPLETED and handoff.agency_dossier:
            lines += [f"- {title} ({agency})" for title in _titles(handoff.agency_dossier)]
        elif handoff.status == Handoff.Status.REFUSED:
            refused.append(
                _("Not done by %(agency)s: %(reason)s")
                % {"agency": agency, "reason": handoff.outcome_note or "—"}
            )
            refused.append(next_steps(handoff))
    lines.append(_("They are in My documents on the portal."))
    return "\n".join([*lines, *[line for line in refused if line]])
