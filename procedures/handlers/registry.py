"""One registry for every procedure handler.

A handler answers for one procedure kind through one interface: the data form
(page by page), validation, prefill from the population database, what happens
on approval and which result documents it issues. Administrator-defined forms
are the ``form`` handler; deeply integrated procedures (birth, residence,
health insurance) are handlers in code registered under their own names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from django import forms

    from citizens.models import Agency, Person, User
    from procedures.models import Procedure


class DossierView(Protocol):
    """What a handler may see of a dossier (the one-stop engine passes it in)."""

    reference: str
    agency: Agency
    data: dict[str, Any]
    applicant: User | None
    subject: Person | None


@dataclass(frozen=True)
class HandoffSpec:
    """What an approval hands on to another agency (or an outside system).

    ``target`` is one of the interconnection's targets (``residence``,
    ``insurance``, ``civil_registry``); ``payload`` only the fields the receiver
    needs (JSON values); ``agency`` the receiving agency (None for a system
    outside this deployment, or when no agency serves the place: the handoff then
    fails visibly until one does); ``handler`` the procedure handler the
    receiving agency works it with; ``budget_days`` its time budget in working days.
    """

    target: str
    payload: dict[str, Any]
    agency: Agency | None = None
    handler: str = ""
    budget_days: int = 2


@dataclass(frozen=True)
class DuplicateMatch:
    """Another record or dossier that may be the same request as this one.

    ``certain``: the same beyond doubt (e.g. the child is registered already):
    the dossier is refused. Otherwise a likely duplicate: shown to the clerk and
    the head side by side, and approving needs an explicit decision with a
    reason. ``kind`` is ``record`` (the population database) or ``dossier``
    (another dossier of the one-stop desk); ``reference`` names it (the record's
    personal ID number, the dossier's code); ``rows`` are (label, this dossier's
    value, the other's value) to compare; ``message`` says to staff what matches.
    ``public_message`` is what the applicant may be told (no one else's data).
    ``later``: a dossier sent after this one. It is shown, but does not hold up
    this one's approval: the first of two same requests goes on, and the later
    one is the duplicate.
    """

    certain: bool
    kind: str
    reference: str
    message: str
    rows: tuple[tuple[str, str, str], ...] = ()
    public_message: str = ""
    person_id: Any = None
    dossier_id: Any = None
    later: bool = False

    def as_data(self) -> dict[str, Any]:
        """What an error response or an event records of it (JSON)."""
        return {
            "certain": self.certain,
            "kind": self.kind,
            "reference": self.reference,
            "message": str(self.message),
            "later": self.later,
        }


class ProcedureHandler:
    name = ""
    label = ""

    def pages(self, procedure: Procedure) -> list[int]:
        return [1]

    def form_class(self, procedure: Procedure, page: int) -> type[forms.Form]:
        raise NotImplementedError

    def validate(self, procedure: Procedure, data: dict[str, Any]) -> dict[str, list[str]]:
        """Cross-field checks on the whole data; returns {field: [messages]}."""
        return {}

    def prefill(self, procedure: Procedure, person: Person | None) -> dict[str, Any]:
        """Values known from the population database, shown read-only."""
        return {}

    # Answers the portal works out itself (``validate`` stores them, e.g. the
    # birth's ``late``): never asked, never taken from a browser or an API client.
    computed_answers: tuple[str, ...] = ()
    # A question of the first page the online start page asks instead of "for
    # whom is this dossier" (myself or one of my minor children), e.g. the
    # birth's "who declares": a newborn is neither. ``None``: "for whom".
    start_question: str | None = None

    def hidden_questions(self, procedure: Procedure, data: dict[str, Any]) -> set[str]:
        """The questions not asked given the answers so far (e.g. the late
        registration's questions for a birth registered in time). None by default."""
        return set()

    def required_files(self, procedure: Procedure, data: dict[str, Any]) -> set[str] | None:
        """The file questions that must be answered given the answers so far
        (the documents step shows them as mandatory and the dossier cannot be
        sent without them). None (the default): those whose form field is
        ``required``."""
        return None

    def fee(self, procedure: Procedure, data: dict[str, Any], *, online: bool) -> int:
        """The fee of a dossier with these answers (VND): the catalog's fee of
        the channel by default."""
        return procedure.fee_online if online else procedure.fee_counter

    def fee_before_receipt(self, procedure: Procedure, data: dict[str, Any]) -> bool:
        """Whether the fee must be paid before the one-stop desk receives the
        dossier (else it is paid when the result is collected). No by default."""
        return False

    def on_approved(self, procedure: Procedure, dossier: DossierView, actor: User) -> None:
        """Effects of an approval (records, handoffs). Must be idempotent."""

    def result_documents(self, procedure: Procedure) -> list[str]:
        return ["decision"]

    def handoffs(self, procedure: Procedure, dossier: DossierView) -> list[HandoffSpec]:
        """What an approval hands on to other agencies (created in the same
        transaction as the approval, delivered after commit). None by default."""
        return []

    def duplicate_key(self, procedure: Procedure, data: dict[str, Any]) -> str:
        """What two dossiers of the same request share (e.g. the birth's mother
        and date of birth): dossiers with the same key are compared by
        ``duplicates``. Empty: this procedure is not checked for duplicates."""
        return ""

    def duplicates(
        self, procedure: Procedure, dossier: DossierView, others: list[DossierView]
    ) -> list[DuplicateMatch]:
        """The records and the dossiers (``others``: the open or decided
        dossiers with the same ``duplicate_key``) that may be the same request
        as ``dossier``. None by default."""
        return []


def filed_before(
    dossier: DossierView, others: list[DossierView], *, decided: bool = False
) -> list[DossierView]:
    """The dossiers of ``others`` sent before ``dossier`` (all of them while
    ``dossier`` is being sent): the first of two same requests goes on, the
    second is the duplicate. Those decided already only with ``decided``
    (else their effects are in the records, which the handler checks)."""
    mine = getattr(dossier, "submitted_at", None)
    return [
        other
        for other in others
        if (decided or not getattr(other, "decided", False))
        and (
            mine is None
            or (getattr(other, "submitted_at", None) is not None and other.submitted_at < mine)
        )
    ]


def earlier_dossiers(
    dossier: DossierView, others: list[DossierView], *, message: Any, public_message: Any = ""
) -> list[DuplicateMatch]:
    """Each dossier of ``others`` sent before ``dossier`` and not decided, as a
    certain duplicate; the messages name it by ``%(code)s``."""
    return [
        DuplicateMatch(
            certain=True,
            kind="dossier",
            reference=other.reference,
            message=str(message % {"code": other.reference}),
            public_message=str(public_message % {"code": other.reference})
            if public_message
            else "",
            dossier_id=getattr(other, "pk", None),
        )
        for other in filed_before(dossier, others)
    ]


_registry: dict[str, ProcedureHandler] = {}


def register(handler_class: type[ProcedureHandler]) -> type[ProcedureHandler]:
    handler = handler_class()
    if not handler.name:
        raise ValueError(f"{handler_class.__name__} has no name")
    _registry[handler.name] = handler
    return handler_class


# The packages whose handlers register themselves when imported.
HANDLER_PACKAGES = (
    "procedures.handlers.form",
    "procedures.handlers.birth",
    "procedures.handlers.residence",
    "procedures.handlers.health_insurance",
)


def _load() -> None:
    for module in HANDLER_PACKAGES:
        import_module(module)


def get(name: str) -> ProcedureHandler:
    _load()
    try:
        return _registry[name]
    except KeyError as exc:
        raise LookupError(f"No procedure handler named {name!r}") from exc


def names() -> list[str]:
    _load()
    return sorted(_registry)


HandlerFactory = Callable[[], ProcedureHandler]
