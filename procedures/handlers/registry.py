"""One registry for every procedure handler.

A handler owns everything about its procedure through one interface: the data
form (page by page), validation, prefill from the population database, what
happens on approval, the results it issues (``ResultSpec``: title, template,
context, wallet kind, number series) and what it hands on to other agencies
(``HandoffSpec``). The one-stop core renders and delivers what the handler
describes, and the handler sees the core's objects only through the neutral
views defined here (``DossierView``, ``ResultSources``).

Administrator-defined forms are the ``form`` handler; deeply integrated
procedures (birth, residence, health insurance, death) are handlers in code,
each in its own sub-package of ``procedures.handlers``, registered under its
own name when imported. The sub-packages are discovered: a new procedure is a
new folder. Two handlers under one name are an error at start-up
(``egov.registry.Registry``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from django.utils.translation import gettext_lazy as _

from egov.registry import Registry

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

    ``target`` names the work handed on, unique among the dossier's handoffs
    (e.g. the birth's ``residence``, ``insurance``, ``civil_registry``; at most
    40 characters); ``payload`` only the fields the receiver needs (JSON
    values); ``channel`` how it is delivered (a delivery channel of
    ``interconnect.channels``: ``internal`` for an agency of this deployment,
    ``civil_registry`` for the Ministry of Justice's registry); ``agency`` the
    receiving agency (None for a system outside this deployment, or when no
    agency serves the place: the handoff then fails visibly until one does);
    ``handler`` the procedure handler the receiving agency works it with (the
    internal channel files it under a procedure of that agency with this
    handler); ``budget_days`` its time budget in working days.
    """

    target: str
    payload: dict[str, Any]
    agency: Agency | None = None
    handler: str = ""
    budget_days: int = 2
    channel: str = "internal"


# --- Results ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceDossier:
    """A dossier as a result sees it: its reference (code, else id), the
    agency that holds it, the day it was decided."""

    reference: str
    agency: Agency
    decided_on: dt.date | None = None


@dataclass(frozen=True)
class ResultSources:
    """What a result is made from, as the one-stop core works it out.

    ``dossier``: the dossier the result belongs to; ``deciding``: the dossier
    whose decision made it (another agency's, for a result its ``decided_by``
    handoff decides); ``origin``: the dossier this one was handed on from, if
    any (e.g. the birth a residence registration came with); ``data``: the
    answers, the deciding dossier's over this one's over what was handed on
    over the origin's; ``holder``: whom the result is about; ``issuer``: the
    agency that issues it."""

    name: str
    dossier: SourceDossier
    deciding: SourceDossier
    origin: SourceDossier | None
    data: dict[str, Any]
    holder: Person | None
    issuer: Agency

    @property
    def references(self) -> list[str]:
        """The references of the deciding dossier, this one and the origin
        (what the handlers' effects were keyed by)."""
        dossiers = (self.deciding, self.dossier, self.origin)
        return list(dict.fromkeys(d.reference for d in dossiers if d is not None))


ResultContext = Callable[[ResultSources], dict[str, Any]]


@dataclass(frozen=True)
class ResultSpec:
    """A result document a procedure issues, as its handler describes it; the
    one-stop core renders it (``onecounter.results``) when the dossier's
    result is ready, numbers it, gives it a QR code to its public
    verification page and files it in the applicant's wallet.

    ``name``: the result's key among the dossier's documents (e.g.
    ``birth_certificate``); ``title``: its printed title (Vietnamese, like the
    whole document); ``template``: the Django template of its body, extending
    ``slips/_result_base.html`` (default: the generic result, which shows the
    title, the applicant and ``holder_lines``); ``context``: what the template
    needs besides the generic context (issuer, signer, decision, holder
    lines), from the ``ResultSources`` (called only when the result has a
    holder); ``wallet_kind``: the kind of wallet document it is (default: its
    name; the kind a required document may name to be given from the wallet);
    ``number_suffix``: its number series (``12/2026/TLKS``); ``label``: what
    it is, in the reader's language (the public verification page);
    ``decided_by``: the handoff target whose receiving agency decides it, when
    the dossier was handed on (its dossier is then the deciding one);
    ``holder_answer``: the answer that holds the personal ID number of whom the
    result is about (e.g. the deceased of a death registration), when it is
    neither the dossier's subject nor its applicant.
    """

    name: str
    title: str
    template: str = "slips/result.html"
    context: ResultContext | None = None
    wallet_kind: str = ""
    number_suffix: str = "KQ"  # kết quả giải quyết
    label: Any = field(default=_("Result of an administrative procedure"), compare=False)
    decided_by: str = ""
    holder_answer: str = ""

    def __post_init__(self) -> None:
        if not self.wallet_kind:
            object.__setattr__(self, "wallet_kind", self.name)


# The default result of a procedure: the decision on the dossier.
DECISION = ResultSpec(name="decision", title="Kết quả giải quyết thủ tục hành chính")


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

    def results(self, procedure: Procedure) -> list[ResultSpec]:
        """The result documents an approved dossier gets (the generic decision
        by default). A rejected dossier gets the one-stop's notice instead."""
        return [DECISION]

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


# Every sub-package of procedures.handlers registers its handlers when imported.
handlers: Registry[ProcedureHandler] = Registry("procedure handler", discover="procedures.handlers")


def register(handler_class: type[ProcedureHandler]) -> type[ProcedureHandler]:
    """Class decorator: register a handler under its ``name``."""
    return handlers.register_class(handler_class)


def unregister(name: str) -> None:
    """Remove a handler (for tests that register one of their own)."""
    handlers.unregister(name)


def get(name: str) -> ProcedureHandler:
    return handlers.get(name)


def names() -> list[str]:
    return handlers.names()


def load() -> None:
    """Import every handler package now (at start-up: a duplicate name is an error)."""
    handlers.load()
