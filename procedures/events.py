"""What the catalog announces to the parts above it (``egov.events``).

``ProcedurePageShown`` is published while a procedure's public page is
built: a listener (the questions and answers, ``engagement``) returns a
``PageSection`` to show on the page, or None. The catalog knows nothing of
what the sections hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ProcedurePageShown:
    procedure: Any  # procedures.models.Procedure


@dataclass(frozen=True)
class PageSection:
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 0
