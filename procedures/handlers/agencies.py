"""Finding the agency a handler hands a dossier on to (``HandoffSpec.agency``):
the active agency of a kind that serves a place, for any handler's handoffs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from citizens.models import Agency
from citizens.permissions import unit_and_ancestors
from procedures.models import Procedure

if TYPE_CHECKING:
    from citizens.models import AdministrativeUnit


def receiving_agency(
    kind: str, handler: str, unit: AdministrativeUnit | None, fallback: AdministrativeUnit | None
) -> Agency | None:
    """The active agency of ``kind`` serving ``unit`` (the ward itself before a
    city-level office), else the one serving ``fallback`` (e.g. the sending
    ward). One offering a published procedure with ``handler`` comes first."""
    for place in (unit, fallback):
        if place is None:
            continue
        units = unit_and_ancestors(place)
        candidates = list(
            Agency.objects.filter(kind=kind, is_active=True, unit_id__in=units).order_by("code")
        )
        if not candidates:
            continue
        offering = set(
            Procedure.objects.filter(
                handler=handler, offered_by__in=candidates, is_published=True
            ).values_list("offered_by", flat=True)
        )
        candidates.sort(key=lambda a: (a.pk not in offering, a.unit_id != place.pk))
        return candidates[0]
    return None
