"""Which result documents a decided dossier gets, as its procedure's handler
describes them (``procedures.handlers.registry.ResultSpec``).

An approved dossier gets each result its handler's ``results`` names (the
generic decision by default, or when the handler is not known); a rejected one
gets the one-stop's own notice that it was not resolved (``REJECTION``), with
the reason. A result is found again by its name, the key of its document
(``result_name``, also for a superseded copy).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from onecounter.models import Dossier, DossierDocument
from procedures.handlers import registry
from procedures.handlers.registry import DECISION, ResultSpec
from procedures.models import Procedure

# A superseded document's key: "<name>~<n>" (see services.document_replace).
REPLACED_SEPARATOR = "~"

REJECTION = ResultSpec(
    name="rejection",
    title="Thông báo không giải quyết hồ sơ",
    number_suffix="TB",  # thông báo
    label=_("Notice that a dossier was not resolved"),
)


def handler_results(
    procedure: Procedure, *, missing: tuple[ResultSpec, ...] = (DECISION,)
) -> list[ResultSpec]:
    """The results its handler says an approved dossier of ``procedure`` gets
    (``missing`` for a handler that is not installed)."""
    try:
        return list(registry.get(procedure.handler).results(procedure))
    except LookupError:
        return list(missing)


def result_specs(dossier: Dossier) -> list[ResultSpec]:
    """The results of a decided dossier: the notice when its last decision was
    a rejection, else its handler's."""
    decision = dossier.events.filter(action__in=["approve", "reject"]).order_by("-seq").first()
    if decision is not None and decision.action == "reject":
        return [REJECTION]
    return handler_results(dossier.procedure)


def spec_of(procedure: Procedure, name: str) -> ResultSpec:
    """The result ``name`` of a dossier of ``procedure``; for a name its handler
    does not (or no longer) describe, a generic decision of that name."""
    if name == REJECTION.name:
        return REJECTION
    for spec in handler_results(procedure):
        if spec.name == name:
            return spec
    return ResultSpec(name=name, title=DECISION.title)


def result_name(document: DossierDocument) -> str:
    """The name of a result document (``birth_certificate``...), also for a superseded copy."""
    return document.key.split(REPLACED_SEPARATOR, 1)[0]


def spec_of_document(document: DossierDocument) -> ResultSpec:
    """The spec of an issued result (its dossier's procedure, its name)."""
    return spec_of(document.dossier.procedure, result_name(document))
