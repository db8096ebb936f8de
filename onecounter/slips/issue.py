"""Which one-stop slips each step issues, and issuing them.

| step (action)                          | slip                                                  |
|----------------------------------------|-------------------------------------------------------|
| receive                                | Mẫu số 01 receipt and appointment + Mẫu số 05 tracking |
| hand_in (a dossier handed on by        | the same two, with the handoff's time budget and the  |
| another agency, taken by the system)   | sending agency and dossier instead of the counter's   |
| request_supplement_before_receipt,     | Mẫu số 02 request to supplement (the whole list, once) |
| request_supplement                     |                                                       |
| refuse                                 | Mẫu số 03 refusal                                     |
| apologise                              | Mẫu số 04 apology and new date                        |
| submit (online dossiers only)          | online submission receipt (not a Circular form)       |

``render_for_event(event)`` is called by ``tasks.after_event`` under the event's
row lock and is idempotent: each slip is a ``DossierDocument`` row keyed
``event-<event id>``, rendered once (``documents.issue``).
``render_tracking_slip(dossier)`` refreshes the tracking slip on demand (key
``tracking-<number of events>``). What each slip says is in ``contexts``; the
results of a decided dossier are ``onecounter.results``, the fee receipt
``onecounter.payments.receipts``.
"""

from __future__ import annotations

from django.utils import timezone

from onecounter.models import Dossier, DossierDocument, DossierEvent
from onecounter.slips import contexts
from onecounter.slips.documents import document_response, issue, load

__all__ = ["SLIPS_FOR_ACTION", "document_response", "render_for_event", "render_tracking_slip"]

Kind = DossierDocument.Kind

SLIPS_FOR_ACTION: dict[str, tuple[str, ...]] = {
    "submit": (Kind.SUBMISSION,),
    "receive": (Kind.RECEIPT, Kind.TRACKING),
    # A dossier handed on by another agency is received by the system (interconnect).
    "hand_in": (Kind.RECEIPT, Kind.TRACKING),
    "request_supplement_before_receipt": (Kind.SUPPLEMENT,),
    "request_supplement": (Kind.SUPPLEMENT,),
    "refuse": (Kind.REFUSAL,),
    "apologise": (Kind.APOLOGY,),
}


def render_for_event(event: DossierEvent) -> list[DossierDocument]:
    """The slips this step issues, each rendered once. Safe to call again."""
    kinds = SLIPS_FOR_ACTION.get(event.action, ())
    if not kinds:
        return []
    dossier = load(event.dossier_id)
    # The online submission receipt is for dossiers the citizen filed online.
    kinds = tuple(k for k in kinds if k != Kind.SUBMISSION or dossier.channel == "online")
    key = f"event-{event.pk}"
    return [
        issue(
            dossier,
            kind,
            key,
            lambda _document, kind=kind: contexts.BUILDERS[kind](dossier, event),
            form=contexts.circular_form(kind),
        )
        for kind in kinds
    ]


def render_tracking_slip(dossier: Dossier) -> DossierDocument:
    """The tracking slip with every step so far (rendered again only after a new step)."""
    dossier = load(dossier.pk)
    count = dossier.events.count()  # steps are numbered 1..count
    return issue(
        dossier,
        Kind.TRACKING,
        f"tracking-{count}",
        lambda _document: contexts.tracking(
            dossier, upto=count, due=dossier.due_date, day=timezone.localdate()
        ),
        form=contexts.circular_form(Kind.TRACKING),
    )
