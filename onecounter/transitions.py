"""The dossier state machine: the only code that changes ``Dossier.status``.

Each action names the states it may start from, the state it leads to and who
may take it (the applicant, or a staff role in the dossier's agency). Taking an
action locks the dossier row, checks all of that, applies the action's effects,
saves only the changed fields and writes a ``DossierEvent`` in the same
transaction. An impossible action raises ``ConflictError`` (HTTP 409,
code ``invalid_transition``); a wrong actor raises ``PermissionDeniedError``.

Some steps are the portal's own (actor ``SYSTEM_ACTOR``, never a person):
receiving a dossier handed on by another agency (``hand_in``), marking a
result ready when the agencies a dossier was handed on to have all finished,
rejecting a dossier whose supplement deadline passed.

The core knows nothing of the parts above it. It announces its steps
(``onecounter.events``: ``StepChecking``, ``Approved``, ``StepTaken``) to the
listeners the apps register in ``ready()``; the interconnection, for instance,
creates handoffs on ``Approved`` and answers a handed-on dossier's decision with
``FollowUp`` steps, which ``perform`` takes in the same transaction. An app may
also add an action of its own with ``extend`` (e.g. the police's
"verification needed").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citizens.models import Agency, Role, User
from citizens.permissions import roles_in
from egov import events
from egov.codes import ErrorCode
from egov.errors import ConflictError, PermissionDeniedError, ValidationFailed
from egov.queue import enqueue
from onecounter import duplicates
from onecounter.events import Approved, FollowUp, StepChecking, StepTaken
from onecounter.handler_view import DossierRef
from onecounter.models import (
    ApologySlip,
    Dossier,
    DossierCodeCounter,
    DossierEvent,
    SupplementRequest,
)
from onecounter.models import DossierStatus as S
from workdays.calendar import WorkCalendar

APPLICANT = "applicant"
SYSTEM = "system"


class SystemActor(AnonymousUser):
    """The portal itself, taking a step no person takes. Its events have no actor."""

    is_system = True

    def __str__(self) -> str:
        return "system"


SYSTEM_ACTOR = SystemActor()
OPEN_BEFORE_DECISION = frozenset(
    {
        S.SUBMITTED,
        S.SUPPLEMENT_REQUESTED,
        S.RECEIVED,
        S.IN_PROCESSING,
        S.AWAITING_SUPPLEMENT,
        S.PROPOSED,
    }
)
FINISHED = frozenset({S.REFUSED, S.RETURNED, S.WITHDRAWN})


@dataclass(frozen=True)
class Action:
    name: str
    label: Any
    sources: frozenset[str]
    target: str | None  # None: the status stays (e.g. an apology slip)
    actors: frozenset[str]
    needs_reason: bool = False
    # States only the system may take it from (e.g. rejecting a dossier whose
    # supplement deadline passed).
    system_sources: frozenset[str] = frozenset()
    # An extra condition on the dossier (e.g. "verification needed" only on a
    # dossier handed on to the police, once).
    when: Callable[[Dossier], bool] | None = None


def _a(
    name, label, sources, target, actors, needs_reason=False, system_sources=(), when=None
) -> Action:
    return Action(
        name,
        label,
        frozenset(sources),
        target,
        frozenset(actors),
        needs_reason,
        frozenset(system_sources),
        when,
    )


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in [
        _a("submit", _("Submit"), {S.DRAFT}, S.SUBMITTED, {APPLICANT, Role.CLERK}),
        _a("receive", _("Receive and issue a receipt"), {S.SUBMITTED}, S.RECEIVED, {Role.CLERK}),
        _a(
            "request_supplement_before_receipt",
            _("Ask for missing documents"),
            {S.SUBMITTED},
            S.SUPPLEMENT_REQUESTED,
            {Role.CLERK},
            needs_reason=False,
        ),
        _a("resubmit", _("Send the completed dossier"), {S.SUPPLEMENT_REQUESTED}, S.SUBMITTED, {APPLICANT, Role.CLERK}),
        _a("refuse", _("Refuse"), {S.SUBMITTED}, S.REFUSED, {Role.CLERK}, needs_reason=True),
        _a("assign", _("Assign to an officer"), {S.RECEIVED, S.IN_PROCESSING}, S.IN_PROCESSING, {Role.CLERK, Role.HEAD, Role.OFFICER}),
        _a("request_supplement", _("Ask for a supplement"), {S.IN_PROCESSING}, S.AWAITING_SUPPLEMENT, {Role.OFFICER}),
        _a("supply", _("Record the supplement"), {S.AWAITING_SUPPLEMENT}, S.IN_PROCESSING, {APPLICANT, Role.CLERK}),
        _a("propose", _("Propose a decision"), {S.IN_PROCESSING}, S.PROPOSED, {Role.OFFICER}),
        _a("send_back", _("Send back to the officer"), {S.PROPOSED}, S.IN_PROCESSING, {Role.HEAD}, needs_reason=True),
        _a("approve", _("Approve and sign"), {S.PROPOSED}, S.APPROVED, {Role.HEAD}),
        _a("reject", _("Reject"), {S.PROPOSED}, S.REJECTED, {Role.HEAD, SYSTEM}, needs_reason=True, system_sources={S.AWAITING_SUPPLEMENT}),
        _a("mark_result_ready", _("Result ready"), {S.APPROVED, S.REJECTED}, S.RESULT_READY, {Role.OFFICER, Role.CLERK, Role.HEAD, SYSTEM}),
        _a("hand_back", _("Hand the result back"), {S.RESULT_READY}, S.RETURNED, {Role.CLERK, APPLICANT, SYSTEM}),
        _a("withdraw", _("Withdraw"), OPEN_BEFORE_DECISION, S.WITHDRAWN, {APPLICANT, Role.CLERK}, needs_reason=True),
        _a(
            "apologise",
            _("Issue an apology with a new date"),
            {S.RECEIVED, S.IN_PROCESSING, S.AWAITING_SUPPLEMENT, S.PROPOSED},
            None,
            {Role.OFFICER, Role.HEAD},
            needs_reason=True,
        ),
        _a(
            "record_cash_payment",
            _("Record the fee paid in cash at the counter"),
            {S.SUBMITTED, S.SUPPLEMENT_REQUESTED, S.RECEIVED, S.IN_PROCESSING, S.AWAITING_SUPPLEMENT, S.PROPOSED, S.APPROVED, S.RESULT_READY},
            None,
            {Role.CLERK},
            when=lambda d: _fee_unpaid(d),
        ),
    ]
}  # fmt: skip

# Steps only the portal takes (never offered to a person, not in the staff API).
SYSTEM_ACTIONS: dict[str, Action] = {
    a.name: a
    for a in [
        # A dossier handed on by another agency, received by the system.
        _a("hand_in", _("Received from another agency"), {S.DRAFT}, S.RECEIVED, {SYSTEM}),
    ]
}


def allowed_actions(dossier: Dossier, actor: User) -> list[Action]:
    """The actions this actor may take on the dossier now (for buttons)."""
    held = _actor_roles(dossier, actor)
    return [
        a
        for a in ACTIONS.values()
        if dossier.status in _sources(a, held) and held & a.actors and _applies(a, dossier)
    ]


def _sources(spec: Action, held: set[str]) -> frozenset[str]:
    return spec.sources | spec.system_sources if SYSTEM in held else spec.sources


def _applies(spec: Action, dossier: Dossier) -> bool:
    return spec.when is None or spec.when(dossier)


def _actor_roles(dossier: Dossier, actor: User | AnonymousUser) -> set[str]:
    if getattr(actor, "is_system", False):
        return {SYSTEM}
    held: set[str] = set(roles_in(actor, dossier.agency)) if actor.is_authenticated else set()
    if dossier.applicant_id and actor.pk == dossier.applicant_id:
        held.add(APPLICANT)
    elif dossier.subject_person_id and _is_parent_of_minor(actor, dossier.subject_person_id):
        # A linked parent acts for their minor child, as the applicant would.
        held.add(APPLICANT)
    return held


def _is_parent_of_minor(actor: User | AnonymousUser, person_id: Any) -> bool:
    from citizens.selectors import minor_children_of

    link = getattr(actor, "identity", None) if actor.is_authenticated else None
    if link is None:
        return False
    return minor_children_of(link.person).filter(pk=person_id).exists()


def perform(
    dossier: Dossier, action: str, *, actor: User | AnonymousUser, reason: str = "", **params: Any
) -> Dossier:
    """Take ``action`` on ``dossier`` as ``actor``. Returns the updated dossier."""
    spec = ACTIONS.get(action) or SYSTEM_ACTIONS.get(action)
    if spec is None:
        raise ConflictError(_("Unknown action."), code=ErrorCode.UNKNOWN_ACTION)
    with transaction.atomic():
        locked = (
            Dossier.objects.select_for_update(of=("self",))
            .select_related("procedure", "agency")
            .get(pk=dossier.pk)
        )
        held = _actor_roles(locked, actor)
        if locked.status not in _sources(spec, held):
            raise ConflictError(
                _("“%(action)s” is not possible while the dossier is “%(status)s”.")
                % {"action": spec.label, "status": locked.get_status_display()},
                code=ErrorCode.INVALID_TRANSITION,
                data={"status": locked.status, "action": action},
            )
        if not (held & spec.actors):
            raise PermissionDeniedError()
        if not _applies(spec, locked):
            raise ConflictError(
                _("“%(action)s” is not possible on this dossier.") % {"action": spec.label},
                code=ErrorCode.NOT_APPLICABLE,
                data={"status": locked.status, "action": action},
            )
        if spec.needs_reason and not reason.strip():
            raise ValidationFailed(_("Give a reason."), code=ErrorCode.REASON_REQUIRED)
        events.publish(StepChecking(dossier=locked, action=action, actor=actor))
        before = locked.status
        now = timezone.now()
        # The event first, so effects can link what they create to it.
        event = _event(locked, actor, action, before, spec.target or before, reason, params)
        changed = set(
            EFFECTS[action](locked, actor=actor, now=now, reason=reason, event=event, **params)
            or ()
        )
        if spec.target is not None:
            locked.status = spec.target
            changed.add("status")
        locked.updated_at = now
        locked.save(update_fields=sorted(changed | {"updated_at"}))
        transaction.on_commit(lambda: enqueue_after_event(event.pk))
        if _follow_up(locked, action, reason, event):
            locked.refresh_from_db()
    return locked


def enqueue_after_event(event_id: int) -> bool:
    """Called on commit: the event's slips, wallet entries and notices are made
    in the background (``onecounter.tasks.after_event``). A broker outage must
    not fail the citizen's request: the event stays pending for the sweep."""
    return enqueue("onecounter.after_event", event_id)


def extend(action: Action, effect: Callable[..., Any]) -> None:
    """Add an action of another app (registered in its ``ready()``), e.g. the
    police's "verification needed" on a dossier handed on to them."""
    if action.name in ACTIONS or action.name in SYSTEM_ACTIONS:
        if EFFECTS.get(action.name) is effect:
            return
        raise ValueError(f"the action {action.name!r} exists already")
    ACTIONS[action.name] = action
    EFFECTS[action.name] = effect


def _follow_up(d: Dossier, action: str, reason: str, event: DossierEvent) -> bool:
    """Announce the step; take the steps the listeners answer with, as the
    system, in this transaction (e.g. a handed-on dossier's decision marks its
    result ready). Returns True when this dossier was moved on again."""
    moved = False
    for answer in events.publish(StepTaken(dossier=d, action=action, reason=reason, event=event)):
        for step in answer if isinstance(answer, list | tuple) else [answer]:
            assert isinstance(step, FollowUp), step
            perform(
                Dossier(pk=step.dossier_id),
                step.action,
                actor=SYSTEM_ACTOR,
                reason=step.reason,
                **step.params,
            )
            moved = moved or step.dossier_id == d.pk
    return moved


def _event(dossier, actor, action, before, after, reason, params) -> DossierEvent:
    last = dossier.events.aggregate(m=Max("seq"))["m"] or 0
    return DossierEvent.objects.create(
        dossier=dossier,
        seq=last + 1,
        actor=actor if actor and actor.is_authenticated else None,
        action=action,
        from_status=before,
        to_status=after,
        reason=reason.strip(),
        data={k: _plain(v) for k, v in params.items()},
    )


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, User):
        return str(value.pk)
    return value


# --- Effects of each action --------------------------------------------------------


def next_code(agency: Agency, day: dt.date) -> str:
    """``<agency code>-<yymmdd>-<4-digit serial>``: gap-free per agency and day.

    The counter row is locked until the surrounding transaction ends, so
    concurrent submissions queue on it and a rolled-back submission gives its
    serial back.
    """
    for _attempt in range(3):
        updated = DossierCodeCounter.objects.filter(agency=agency, day=day).update(
            last=F("last") + 1
        )
        if not updated:
            try:
                with transaction.atomic():
                    DossierCodeCounter.objects.create(agency=agency, day=day, last=1)
            except IntegrityError:
                continue  # someone created it first: increment theirs
        serial = DossierCodeCounter.objects.get(agency=agency, day=day).last
        return f"{agency.code}-{day:%y%m%d}-{serial:04d}"
    raise RuntimeError("could not allocate a dossier code")


def _submit(d: Dossier, *, actor, now, **_kw):
    # A certain duplicate (e.g. the child is registered already) goes no further.
    d.duplicate_key = duplicates.check_at_submission(d)
    d.code = next_code(d.agency, timezone.localdate(now))
    d.submitted_at = now
    d.fee = dossier_fee(d)
    return {"code", "submitted_at", "fee", "duplicate_key"}


def _handler_of(d: Dossier):
    from procedures.handlers import registry

    try:
        return registry.get(d.procedure.handler)
    except LookupError:
        return None


def dossier_fee(d: Dossier) -> int:
    """The dossier's fee, as its procedure's handler works it out from the
    answers (e.g. a late birth registration's fee), else the catalog's fee of
    the channel."""
    online = d.channel == Dossier.Channel.ONLINE
    handler = _handler_of(d)
    if handler is None:
        return d.procedure.fee_online if online else d.procedure.fee_counter
    return handler.fee(d.procedure, dict(d.data or {}), online=online)


def fee_due_before_receipt(d: Dossier) -> bool:
    """The fee is not paid yet and must be before the desk receives the dossier
    (the handler says so, e.g. for a late birth registration)."""
    handler = _handler_of(d)
    return (
        d.fee > 0
        and d.paid_at is None
        and handler is not None
        and handler.fee_before_receipt(d.procedure, dict(d.data or {}))
    )


def _fee_unpaid(d: Dossier) -> bool:
    return d.fee > 0 and d.paid_at is None and d.channel != Dossier.Channel.LINKED


def _record_cash_payment(d: Dossier, *, now, **_kw):
    """The clerk took the fee in cash at the counter: a paid ``Payment`` of
    provider ``cash`` (the fee receipt follows, as for an online payment)."""
    from onecounter.models import Payment, new_payment_reference

    Payment.objects.create(
        dossier=d,
        provider=CASH_PROVIDER,
        reference=new_payment_reference(),
        amount=d.fee,
        currency="VND",
        status=Payment.Status.PAID,
        paid_at=now,
    )
    d.paid_at = now
    return {"paid_at"}


CASH_PROVIDER = "cash"


def _hand_in(d: Dossier, *, now, budget_days=2, **_kw):
    """A dossier handed on by another agency: it has a code and is received at
    once, with the handoff's time budget as its processing time. No fee: it
    was filed (and paid, if at all) with the dossier it comes from."""
    today = timezone.localdate(now)
    calendar = WorkCalendar.load(start=today - dt.timedelta(days=1))
    d.code = next_code(d.agency, today)
    d.submitted_at = d.received_at = now
    d.due_date = d.original_due_date = calendar.due_date(now, int(budget_days))
    d.fee = 0
    d.duplicate_key = duplicates.key_of(d)
    return {
        "code",
        "submitted_at",
        "received_at",
        "due_date",
        "original_due_date",
        "fee",
        "duplicate_key",
    }


def _receive(d: Dossier, *, now, **_kw):
    if fee_due_before_receipt(d):
        # Law on Civil Status 2014 art. 11: a late registration's fee is paid
        # first (online before sending, or in cash at the counter).
        raise ConflictError(
            _(
                "The fee of %(amount)s đồng must be paid before the dossier is received: "
                "record it as paid in cash at the counter first."
            )
            % {"amount": f"{d.fee:,}".replace(",", ".")},
            code=ErrorCode.FEE_UNPAID,
            data={"amount": d.fee, "currency": "VND"},
        )
    days = (
        d.procedure.days_online if d.channel == Dossier.Channel.ONLINE else d.procedure.days_counter
    )
    calendar = WorkCalendar.load(start=timezone.localdate(now) - dt.timedelta(days=1))
    d.received_at = now
    d.due_date = d.original_due_date = calendar.due_date(now, days)
    return {"received_at", "due_date", "original_due_date"}


def _supplement_items(items) -> list[str]:
    items = [str(i).strip() for i in (items or []) if str(i).strip()]
    if not items:
        raise ValidationFailed(_("List everything that is missing."), code=ErrorCode.ITEMS_REQUIRED)
    return items


def _request_supplement_before_receipt(d, *, actor, now, event, reason="", items=None, **_kw):
    SupplementRequest.objects.create(
        dossier=d,
        event=event,
        items=_supplement_items(items),
        note=reason,
        before_receipt=True,
        requested_by=actor,
    )


def _answer_supplement(d, actor, now, answer=None):
    SupplementRequest.objects.filter(dossier=d, answered_at__isnull=True).update(
        answered_at=now, answered_by=actor, answer=answer or {}
    )


def _resubmit(d, *, actor, now, answer=None, **_kw):
    _answer_supplement(d, actor, now, answer)


def _finish(d, *, now, **_kw):
    d.finished_at = now
    return {"finished_at"}


def _assign(d, *, actor, officer=None, **_kw):
    officer = officer or actor
    if Role.OFFICER not in roles_in(officer, d.agency):
        raise ValidationFailed(
            _("Choose an officer of this agency."), code=ErrorCode.NOT_AN_OFFICER
        )
    d.assigned_to = officer
    return {"assigned_to"}


def _request_supplement(d, *, actor, now, event, reason="", items=None, deadline_days=7, **_kw):
    today = timezone.localdate(now)
    calendar = WorkCalendar.load(start=today - dt.timedelta(days=1))
    SupplementRequest.objects.create(
        dossier=d,
        event=event,
        items=_supplement_items(items),
        note=reason,
        requested_by=actor,
        deadline=calendar.add_working_days(today, deadline_days),
    )
    d.paused_on = today
    return {"paused_on"}


def _supply(d, *, actor, now, answer=None, **_kw):
    today = timezone.localdate(now)
    if d.due_date and d.paused_on:
        calendar = WorkCalendar.load(start=d.paused_on - dt.timedelta(days=1))
        d.due_date = calendar.extend_for_pause(d.due_date, d.paused_on, today)
    d.paused_on = None
    _answer_supplement(d, actor, now, answer)
    return {"due_date", "paused_on"}


def _propose(d, *, decision="approve", reason="", **_kw):
    if decision not in ("approve", "reject"):
        raise ValidationFailed(_("Propose to approve or to reject."), code=ErrorCode.BAD_DECISION)
    d.proposal = decision
    d.decision_note = reason
    return {"proposal", "decision_note"}


def _send_back(d, **_kw):
    d.proposal = ""
    return {"proposal"}


def _reject(d, *, now, reason="", **_kw):
    d.decided_at = now
    d.decision_note = reason
    return {"decided_at", "decision_note"}


def _approve(d, *, actor, now, event, reason="", duplicate_decision="", **_kw):
    from procedures.handlers import registry

    # Before any effect: no second record of the same request (refused when
    # certain; a likely duplicate needs the head's decision, kept in the event).
    decided = duplicates.check_at_approval(d, decision=duplicate_decision, reason=reason)
    if decided:
        event.data = {**event.data, "duplicates": decided}
        event.save(update_fields=["data"])
    d.decided_at = now
    if reason:
        d.decision_note = reason
    try:
        handler = registry.get(d.procedure.handler)
    except LookupError as exc:
        raise ConflictError(
            _("This procedure cannot be decided here yet: its handler is not installed."),
            code=ErrorCode.HANDLER_UNAVAILABLE,
        ) from exc
    # The handler's effects (records, handoffs) join this transaction; they are idempotent.
    handler.on_approved(d.procedure, DossierRef(d), actor)
    events.publish(Approved(dossier=d, actor=actor, event=event))
    return {"decided_at", "decision_note"}


def _result_ready(d, *, now, **_kw):
    d.result_ready_at = now
    return {"result_ready_at"}


def _apologise(d, *, actor, now, event, reason="", new_due_date=None, **_kw):
    if not isinstance(new_due_date, dt.date) or d.due_date is None or new_due_date <= d.due_date:
        raise ValidationFailed(
            _("The new date must be later than the promised date."), code=ErrorCode.BAD_NEW_DATE
        )
    ApologySlip.objects.create(
        dossier=d,
        event=event,
        old_due_date=d.due_date,
        new_due_date=new_due_date,
        reason=reason,
        issued_by=actor,
    )
    d.due_date = new_due_date
    d.apologised = True
    return {"due_date", "apologised"}


EFFECTS: dict[str, Callable[..., Any]] = {
    "submit": _submit,
    "receive": _receive,
    "request_supplement_before_receipt": _request_supplement_before_receipt,
    "resubmit": _resubmit,
    "refuse": _finish,
    "assign": _assign,
    "request_supplement": _request_supplement,
    "supply": _supply,
    "propose": _propose,
    "send_back": _send_back,
    "approve": _approve,
    "reject": _reject,
    "mark_result_ready": _result_ready,
    "hand_back": _finish,
    "withdraw": _finish,
    "apologise": _apologise,
    "hand_in": _hand_in,
    "record_cash_payment": _record_cash_payment,
}
assert set(EFFECTS) == set(ACTIONS) | set(SYSTEM_ACTIONS)  # ``extend`` keeps it so
