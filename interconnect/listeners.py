"""How the interconnection follows the one-stop's steps (``onecounter.events``),
registered in ``InterconnectConfig.ready()``:

- an approval creates the handoffs the procedure's handler describes, in the
  approval's transaction (``Approved``);
- an originating dossier's result is ready only when the agencies it was
  handed on to have all finished (``StepChecking``: 409 ``handoffs_pending``);
- a handed-on dossier's decision finishes its handoff and marks its result
  ready; handing back the originating dossier's results hands back those that
  came with them (``StepTaken`` → ``FollowUp`` steps);
- the police may ask once for verification of a dossier handed on to them
  (the action ``need_verification``, added to the one-stop's actions);
- the notices and the dossier pages say where a dossier was handed on to;
- the slips of a handed-on dossier name the agency it came from (``SlipWriting``),
  and a result's sources are those of the handoffs (``ResultSourcing``: the
  receiving agency's dossier decides a result ``decided_by`` its handoff).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from citizens.models import Role
from egov import events
from egov.codes import ErrorCode
from egov.errors import ConflictError
from interconnect import notices, selectors, services
from onecounter import transitions
from onecounter.events import (
    Approved,
    DossierDataDestroyed,
    DossierShown,
    FollowUp,
    HandedOn,
    NoticeWriting,
    ResultSource,
    ResultSourcing,
    SlipWriting,
    StepChecking,
    StepTaken,
)
from onecounter.handler_view import DossierRef
from onecounter.models import Dossier
from onecounter.models import DossierStatus as S


def on_approved(event: Approved) -> None:
    from procedures.handlers import registry

    dossier = event.dossier
    specs = registry.get(dossier.procedure.handler).handoffs(dossier.procedure, DossierRef(dossier))
    if specs:
        services.handoffs_create(dossier=dossier, specs=specs)


def on_step_checking(event: StepChecking) -> None:
    if event.action != "mark_result_ready":
        return
    waiting = list(selectors.open_internal(event.dossier.pk).values_list("target", "status"))
    if waiting:
        raise ConflictError(
            _(
                "The agencies this dossier was handed on to have not all finished: "
                "its results come back together."
            ),
            code=ErrorCode.HANDOFFS_PENDING,
            data={"handoffs": [{"target": t, "status": s} for t, s in waiting]},
        )


def on_step_taken(event: StepTaken) -> list[FollowUp]:
    dossier = event.dossier
    if dossier.channel == Dossier.Channel.LINKED:
        return services.agency_dossier_changed(dossier, event.action, reason=event.reason)
    if event.action == "hand_back":
        return services.source_dossier_handed_back(dossier)
    return []


def on_notice_writing(event: NoticeWriting) -> str:
    """On a refusal by the agency a birth was handed on to, what to do next; on
    the originating dossier's "result ready", every result that came back."""
    step = event.event
    if step.dossier.channel == Dossier.Channel.LINKED and step.action in ("reject", "withdraw"):
        return notices.refusal_next_steps(step.dossier)
    if step.action == "mark_result_ready":
        return notices.results_together(step.dossier)
    return ""


def on_dossier_shown(event: DossierShown) -> dict[str, Any]:
    """Each agency the dossier was handed on to, with its step (for the
    applicant: with what to do next after a refusal, agencies here only); for a
    dossier handed on by another agency, where it came from."""
    dossier = event.dossier
    context: dict[str, Any] = {}
    if event.audience == "applicant":
        context["agency_steps"] = [
            {
                "step": step,
                "next": notices.next_steps(step.handoff) if step.state == "refused" else "",
            }
            for step in selectors.agency_steps(dossier.pk, internal_only=True)
        ]
    else:
        context["agency_steps"] = selectors.agency_steps(dossier.pk)
    if dossier.channel == Dossier.Channel.LINKED:
        context["handed_on_from"] = selectors.handed_on_from(dossier.pk)
    elif event.audience == "applicant":
        context["handed_on_from"] = None
    return context


def on_slip_writing(event: SlipWriting) -> HandedOn | None:
    if event.dossier.channel != Dossier.Channel.LINKED:
        return None
    return selectors.handed_on(event.dossier)


def on_result_sourcing(event: ResultSourcing) -> ResultSource | None:
    return selectors.result_source(event.dossier, event.decided_by)


NEED_VERIFICATION = transitions.Action(
    name="need_verification",
    label=_("Verification needed (5 working days)"),
    sources=frozenset({S.RECEIVED, S.IN_PROCESSING}),
    target=None,
    actors=frozenset({Role.OFFICER, Role.HEAD}),
    when=services.verification_allowed,
)


def _need_verification(d: Dossier, *, now, **_kw) -> set[str]:
    return services.verification_extend(d, now)


def on_dossier_data_destroyed(event: DossierDataDestroyed) -> None:
    """Retention: what was handed on for the dossier (the payloads, the
    agencies' answers) goes with its data; the handoffs stay as a record
    (target, agency, dates, attempts, the payload's SHA-256)."""
    services.handoffs_forget_data(event.dossier.pk)


def register() -> None:
    events.listen(DossierDataDestroyed, on_dossier_data_destroyed)
    events.listen(Approved, on_approved)
    events.listen(StepChecking, on_step_checking)
    events.listen(StepTaken, on_step_taken)
    events.listen(NoticeWriting, on_notice_writing)
    events.listen(DossierShown, on_dossier_shown)
    events.listen(SlipWriting, on_slip_writing)
    events.listen(ResultSourcing, on_result_sourcing)
    transitions.extend(NEED_VERIFICATION, _need_verification)
