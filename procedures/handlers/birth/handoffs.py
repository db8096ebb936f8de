"""What a registered birth hands on to other agencies (Decree 63/2024)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from procedures.handlers.registry import DossierView, HandoffSpec
    from procedures.models import Procedure


def birth_handoffs(procedure: Procedure, dossier: DossierView) -> list[HandoffSpec]:
    return []
