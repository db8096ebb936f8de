"""What the questions and feedback announce to the parts above them
(``egov.events``): the statistics count feedback outcomes and ratings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FeedbackChanged:
    """A feedback took a step or was rated (published in the transaction)."""

    feedback_id: Any
    agency_id: Any
    step: str
