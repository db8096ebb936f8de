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

    def on_approved(self, procedure: Procedure, dossier: DossierView, actor: User) -> None:
        """Effects of an approval (records, handoffs). Must be idempotent."""

    def result_documents(self, procedure: Procedure) -> list[str]:
        return ["decision"]

    def handoffs(self, procedure: Procedure, dossier: DossierView) -> list[HandoffSpec]:
        """What an approval hands on to other agencies (created in the same
        transaction as the approval, delivered after commit). None by default."""
        return []


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
