"""What the one-stop core announces, and what a listener may answer.

``transitions.perform`` announces, in the step's transaction (registry:
``egov.events``; listeners are registered in each app's ``ready()``):

- ``StepChecking`` before a step's effects: a listener may refuse the step by
  raising a ``DomainError`` (e.g. "the agencies have not all finished");
- ``Approved`` during an approval, after the handler's own effects (e.g. the
  interconnection creates the handoffs the handler describes);
- ``StepTaken`` after the dossier is saved: a listener may return
  ``FollowUp`` steps (one or a list), which the core then takes as the
  system, in the same transaction. A listener never takes a step on the
  dossier that announced it itself.

After commit, each step's event is worked off in the background
(``onecounter.tasks.after_event``: slips, results, wallet, notifications).
While it writes them, the core asks what only the parts above it know:

- ``SlipWriting``: where a dossier handed on by another agency came from (its
  slips name that agency and the dossier's time budget): ``HandedOn``;
- ``ResultSourcing``: for a result, the dossier whose decision made it, the
  dossier this one was handed on from, the issuer and what was handed on:
  ``ResultSource``.

When a dossier's data is destroyed under an approved destruction list
(``onecounter.retention``), the core announces ``DossierDataDestroyed`` in
that transaction: the parts above forget their own copies of its personal
data (e.g. the interconnection, what it handed on).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from citizens.models import Agency
    from onecounter.models import Dossier, DossierEvent


@dataclass(frozen=True)
class StepChecking:
    dossier: Dossier
    action: str
    actor: Any


@dataclass(frozen=True)
class Approved:
    dossier: Dossier
    actor: Any
    event: DossierEvent


@dataclass(frozen=True)
class StepTaken:
    dossier: Dossier
    action: str
    reason: str
    event: DossierEvent


@dataclass(frozen=True)
class FollowUp:
    """A step the system takes next on a dossier (``dossier_id``)."""

    dossier_id: Any
    action: str
    reason: str = ""
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NoticeWriting:
    """A notice about ``event`` is being written (in the applicant's
    language): a listener may return a paragraph to add (e.g. what to do
    after an agency's refusal)."""

    event: DossierEvent


@dataclass(frozen=True)
class DossierShown:
    """A dossier's page is shown to ``audience`` (``applicant`` or ``staff``): a
    listener may return a dict to add to the page's context (e.g. each
    agency's step of a dossier handed on to them)."""

    dossier: Dossier
    audience: str


@dataclass(frozen=True)
class SlipWriting:
    """A slip of ``dossier`` is being written: a listener may return a
    ``HandedOn`` when another agency handed the dossier on."""

    dossier: Dossier


@dataclass(frozen=True)
class HandedOn:
    """Where a dossier handed on by another agency comes from, as its slips name it."""

    agency_name: str  # the sending agency (Vietnamese, as the slips write it)
    agency_address: str
    code: str  # the sending agency's dossier
    budget_days: int  # the handoff's time budget now (working days)


@dataclass(frozen=True)
class ResultSourcing:
    """A result of ``dossier`` is being issued. ``decided_by``: the handoff
    target whose receiving agency decides it (``ResultSpec.decided_by``; empty
    for none). A listener may return a ``ResultSource``."""

    dossier: Dossier
    decided_by: str = ""


@dataclass(frozen=True)
class ResultSource:
    """What the interconnection knows of a result's sources: the dossier whose
    decision made it (the receiving agency's, for a result ``decided_by`` a
    handoff), the dossier this one was handed on from, the agency that issues
    it, and what was handed on (the payloads, the deciding handoff's over the
    incoming one's)."""

    deciding: Dossier | None = None
    origin: Dossier | None = None
    issuer: Agency | None = None
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DossierDataDestroyed:
    """The dossier's personal data was destroyed (retention): forget yours."""

    dossier: Dossier
    destruction_list_id: int
