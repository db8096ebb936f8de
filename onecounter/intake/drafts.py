"""The drafts of an intake: the citizen's online draft (start, save a page,
declare, send, delete, purge) and the lock that keeps one draft from being
changed or filed twice at once, online and at the counter.

An online draft is a ``Dossier`` in the draft state whose answers are held in
``Dossier.data`` (``onecounter.intake.answers``), page by page as the citizen
goes, along the procedure's plan (``onecounter.intake.plan``) and checked by
``onecounter.intake.validation``. Its documents are in
``onecounter.intake.attachments``. A counter intake's draft is held in the
clerk's session until it is filed (``onecounter.processing.views``), through
the same plan, answers and checks; what stops it from being filed twice is
``counter_claim``.

Only the draft's applicant may read or change it: any other account gets
``NotFoundError`` (HTTP 404), revealing nothing. A dossier that has left the
draft state can no longer be changed here (``ConflictError``, code
``not_draft``).

Contract for the payments engineer: ``submit_online(dossier=..., actor=...)``
is idempotent (a dossier already submitted is returned as it is) and raises
``PaymentRequired`` (HTTP 402, code ``payment_required``) while a
full-online procedure's online fee is unpaid (``dossier.paid_at is None``).
After a successful payment, set ``paid_at`` and call it with
``actor=dossier.applicant``.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import models, transaction
from django.db.models import Exists, OuterRef, ProtectedError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from rest_framework import status

from citizens import selectors as citizen_selectors
from citizens.models import AccessLog, Agency, Person, User
from citizens.population import access_log_write
from egov.codes import ErrorCode
from egov.errors import (
    ConflictError,
    DomainError,
    NotFoundError,
    PermissionDeniedError,
    ValidationFailed,
)
from onecounter import transitions
from onecounter.intake.answers import PREFILLED, answers_of, page_values, prefilled_keys, serialise
from onecounter.intake.plan import Plan, fee, plan_for, procedure_for_filing
from onecounter.intake.validation import (
    answer_errors,
    attached_questions,
    missing_answers,
    missing_documents,
    missing_message,
)
from onecounter.models import Attachment, Dossier, DossierStatus, Payment
from onecounter.services import dossier_create_draft
from procedures.models import Procedure

logger = logging.getLogger(__name__)

# Stored untranslated in the access log (an audit record), translated when shown.
PREFILL_PURPOSE = gettext_noop("Prefill of dossier form")
PURGE_BATCH = 200
COUNTER_LOCK_SECONDS = 60 * 60
# What ``counter_claim`` finds while the first claim is still filing.
PENDING = "pending"


# --- Errors ---------------------------------------------------------------------------


class IdentityLevelTooLow(PermissionDeniedError):
    code = ErrorCode.IDENTITY_LEVEL
    default_message = _(
        "Your account is not linked to your population record at the identity level "
        "this procedure needs."
    )


class PaymentRequired(DomainError):
    code = ErrorCode.PAYMENT_REQUIRED
    http_status = status.HTTP_402_PAYMENT_REQUIRED
    default_message = _("The fee must be paid online before the dossier is sent.")


def not_draft(dossier: Dossier) -> ConflictError:
    return ConflictError(
        _("This dossier has been sent and can no longer be changed."),
        code=ErrorCode.NOT_DRAFT,
        data={"status": dossier.status, "code": dossier.code},
    )


def filing_plan(procedure: Procedure) -> Plan:
    """The plan of a procedure filed online, or 409 ``handler_unavailable``."""
    try:
        return plan_for(procedure)
    except LookupError as exc:
        raise ConflictError(
            _("This procedure cannot be filed online yet."), code=ErrorCode.HANDLER_UNAVAILABLE
        ) from exc


# --- Reads ------------------------------------------------------------------------------


def draft_queryset() -> models.QuerySet[Dossier]:
    return Dossier.objects.filter(channel=Dossier.Channel.ONLINE).select_related(
        "procedure", "procedure__field", "agency", "applicant_person", "subject_person"
    )


def dossier_of(user: User, pk: Any) -> Dossier:
    """The signed-in citizen's own online dossier, or ``NotFoundError``."""
    if not getattr(user, "is_authenticated", False):
        raise NotFoundError()
    dossier = draft_queryset().filter(pk=pk, applicant=user).first()
    if dossier is None:
        raise NotFoundError()
    # The procedure with its questions and documents (two queries).
    dossier.procedure = procedure_for_filing(dossier.procedure_id)
    return dossier


def drafts_of(user: User) -> models.QuerySet[Dossier]:
    """The citizen's drafts, most recently changed first."""
    return (
        draft_queryset().filter(applicant=user, status=DossierStatus.DRAFT).order_by("-updated_at")
    )


def identity_level(user: User) -> int:
    identity = getattr(user, "identity", None)
    return identity.level if identity is not None else 0


def applicant_person(user: User) -> Person | None:
    identity = getattr(user, "identity", None)
    return identity.person if identity is not None else None


def can_file_online(procedure: Procedure) -> bool:
    return procedure.online_level in (Procedure.OnlineLevel.FULL, Procedure.OnlineLevel.PARTIAL)


def children_for(user: User) -> list[Person]:
    """The minor children the citizen may file for (linked record, living, under 18)."""
    person = applicant_person(user)
    if person is None:
        return []
    return list(citizen_selectors.minor_children_of(person))


def online_fee(dossier: Dossier, data: Mapping[str, Any] | None = None) -> int:
    """The fee of the draft filed online (VND), as the procedure's handler
    works it out from the answers (``plan.fee``)."""
    return fee(dossier.procedure, answers_of(dossier) if data is None else data, online=True)


def payment_required(dossier: Dossier, data: Mapping[str, Any] | None = None) -> bool:
    """A full-online procedure whose fee for this dossier is not zero, not paid yet."""
    procedure = dossier.procedure
    return (
        procedure.online_level == Procedure.OnlineLevel.FULL
        and dossier.paid_at is None
        and online_fee(dossier, data) > 0
    )


# --- Prefill ------------------------------------------------------------------------------


def prefill_log(*, dossier: Dossier, user: User) -> None:
    """Write the reads of the applicant's (and the child's) record for this
    draft to their access log (channel PREFILL): once per draft and person,
    however many times the pages show them."""
    persons = [p for p in (dossier.applicant_person, dossier.subject_person) if p is not None]
    if not persons:
        return
    reference = str(dossier.pk)
    logged = set(
        AccessLog.objects.filter(
            channel=AccessLog.Channel.PREFILL,
            dossier_ref=reference,
            person__in=[p.pk for p in persons],
        ).values_list("person_id", flat=True)
    )
    if all(p.pk in logged for p in persons):
        return
    with transaction.atomic():
        # Under the draft's row lock, two page views at once log a person once.
        Dossier.objects.select_for_update().filter(pk=dossier.pk).first()
        logged = set(
            AccessLog.objects.filter(
                channel=AccessLog.Channel.PREFILL,
                dossier_ref=reference,
                person__in=[p.pk for p in persons],
            ).values_list("person_id", flat=True)
        )
        for person in persons:
            if person.pk not in logged:
                access_log_write(
                    person=person,
                    channel=AccessLog.Channel.PREFILL,
                    actor=user,
                    purpose=PREFILL_PURPOSE,
                    dossier_ref=reference,
                )


# --- The draft lock -----------------------------------------------------------------------


def lock_draft(dossier: Dossier, user: User) -> Dossier:
    """The online draft, locked for this transaction (its row, ``select_for_update``);
    404 for anyone but its applicant, 409 ``not_draft`` once it was sent."""
    locked = (
        Dossier.objects.select_for_update(of=("self",))
        .filter(pk=dossier.pk, channel=Dossier.Channel.ONLINE)
        .first()
    )
    if locked is None or locked.applicant_id is None or locked.applicant_id != user.pk:
        raise NotFoundError()
    if locked.status != DossierStatus.DRAFT:
        raise not_draft(locked)
    locked.procedure = dossier.procedure  # keep the prefetched questions
    return locked


def touch(dossier: Dossier, *, now: dt.datetime, fields: Iterable[str] = ()) -> None:
    """Save a change to a locked draft: its answers or documents changed, so a
    declaration made before no longer covers them."""
    dossier.updated_at = now
    dossier.declaration_accepted_at = None
    dossier.save(update_fields=sorted({*fields, "updated_at", "declaration_accepted_at"}))


def _counter_key(token: str) -> str:
    return f"egov:counter-intake:{token}"


def counter_claim(token: str) -> str | None:
    """Claim the filing of a counter intake's draft (``token``: the one its
    answers are held under in the clerk's session), so that a double click or
    a second tab files it once; the claim is shared by every process (the
    cache). None: claimed, file it, then ``counter_filed`` (or, refused,
    ``counter_release``). Else what the first claim left: the filed dossier's
    id, or ``PENDING`` while it is being filed."""
    key = _counter_key(token)
    if cache.add(key, PENDING, COUNTER_LOCK_SECONDS):
        return None
    return cache.get(key) or PENDING


def counter_filed(token: str, dossier: Dossier) -> None:
    """The claimed intake was filed: a later claim finds its dossier."""
    cache.set(_counter_key(token), str(dossier.pk), COUNTER_LOCK_SECONDS)


def counter_release(token: str) -> None:
    """The claimed intake was not filed (refused): it may be filed again."""
    cache.delete(_counter_key(token))


# --- Writes -------------------------------------------------------------------------------


@transaction.atomic
def draft_start(
    *,
    user: User,
    procedure: Procedure,
    agency: Agency | None,
    subject_person: Person | None = None,
) -> Dossier:
    """A new online draft of ``procedure`` at ``agency``, for the citizen or one
    of their minor children, with what the population database knows filled in.

    Refused when the procedure cannot be filed online (409 ``not_online``), its
    handler is missing (409 ``handler_unavailable``), the account's identity
    level is too low (403 ``identity_level``), the agency does not offer it or
    the person is not the citizen's minor child (400)."""
    if not can_file_online(procedure):
        raise ConflictError(_("This procedure cannot be filed online."), code=ErrorCode.NOT_ONLINE)
    plan = filing_plan(procedure)
    level = identity_level(user)
    if level < procedure.identity_level:
        raise IdentityLevelTooLow(data={"required": procedure.identity_level, "current": level})
    if agency is None or not procedure.offered_by.filter(pk=agency.pk, is_active=True).exists():
        raise ValidationFailed(
            _("Choose an agency that offers this procedure."),
            code=ErrorCode.INVALID,
            data={"agency": [str(_("Choose an agency that offers this procedure."))]},
        )
    if subject_person is not None and subject_person.pk not in {
        child.pk for child in children_for(user)
    }:
        message = _("You can file only for yourself or for your minor child.")
        raise ValidationFailed(
            message, code=ErrorCode.INVALID, data={"subject_person": [str(message)]}
        )
    dossier = dossier_create_draft(
        procedure=procedure, agency=agency, applicant=user, subject_person=subject_person
    )
    dossier = draft_queryset().get(pk=dossier.pk)
    dossier.procedure = procedure
    # Prefilled once, when the draft starts: the pages then show what was read.
    # The handler is asked about the person the dossier is about (the child
    # when filing for one, else the applicant).
    prefill_log(dossier=dossier, user=user)
    values = plan.prefill(dossier.subject_person or dossier.applicant_person)
    if values:
        # A handler may name prefilled answers the citizen can still change
        # (``prefill_editable``, e.g. a suggestion); the others are read-only.
        editable = set(getattr(plan.handler, "prefill_editable", ()) or ())
        read_only = sorted(k for k in values if k not in editable)
        dossier.data = {**dossier.data, **values, PREFILLED: read_only}
        dossier.save(update_fields=["data"])
    return dossier


@transaction.atomic
def draft_save_page(
    *, dossier: Dossier, user: User, page: int, cleaned_data: Mapping[str, Any]
) -> Dossier:
    """Save answers of one page (all of them, or those that passed the checks
    when the citizen saves to come back later). Returns the updated draft."""
    locked = lock_draft(dossier, user)
    plan = plan_for(locked.procedure)
    if page not in plan.pages:
        raise NotFoundError()
    read_only = prefilled_keys(locked)
    questions = {k: f for k, f in plan.fields_of(page).items() if k not in read_only}
    data = {**(locked.data or {}), **page_values(cleaned_data, questions)}
    # A handler may fill in more once it knows these answers (e.g. the birth
    # declaration's parents, once the declarer says how they are related to
    # the child): ``prefill_update`` returns the answers to change and the new
    # read-only set, and logs the records it reads.
    update = getattr(plan.handler, "prefill_update", None)
    if update is not None:
        changes, read_only = update(
            plan.procedure,
            locked.applicant_person,
            data,
            read_only=read_only,
            actor=user,
            reference=str(locked.pk),
        )
        data = {**data, **serialise(changes), PREFILLED: sorted(read_only)}
    if data != locked.data:
        locked.data = data
        touch(locked, now=timezone.now(), fields=["data"])
    return locked


@transaction.atomic
def declaration_accept(*, dossier: Dossier, user: User) -> Dossier:
    """The citizen declares the information true and complete."""
    locked = lock_draft(dossier, user)
    now = timezone.now()
    locked.declaration_accepted_at = now
    locked.updated_at = now
    locked.save(update_fields=["declaration_accepted_at", "updated_at"])
    return locked


def submit_online(*, dossier: Dossier, actor: User) -> Dossier:
    """Send the draft to the one-stop desk. Returns the submitted dossier (with
    its code); the online submission receipt and the notices follow after commit.

    Idempotent: a dossier already sent is returned as it is. Checks, in order:
    the actor is the applicant (else 404), the declaration was accepted (400
    ``declaration_required``), every question asked is answered (400
    ``answers_missing``, data ``{question: [message]}``), every mandatory
    document is there (400 ``documents_missing``), the answers pass the pages'
    and the handler's checks (400 ``invalid``, data ``{key: [messages]}``) and,
    for a full-online procedure with a fee for this dossier (e.g. a late
    registration's), the fee is paid (402 ``payment_required``).
    """
    with transaction.atomic():
        locked = (
            Dossier.objects.select_for_update(of=("self",))
            .filter(pk=dossier.pk, channel=Dossier.Channel.ONLINE)
            .first()
        )
        if locked is None or locked.applicant_id is None or locked.applicant_id != actor.pk:
            raise NotFoundError()
        if locked.status != DossierStatus.DRAFT:
            return locked
        locked.procedure = procedure_for_filing(locked.procedure_id)
        if locked.declaration_accepted_at is None:
            raise ValidationFailed(
                _("Confirm that the information you gave is true."),
                code=ErrorCode.DECLARATION_REQUIRED,
                data={"declaration": [str(_("Confirm that the information you gave is true."))]},
            )
        plan = filing_plan(locked.procedure)
        unanswered = missing_answers(plan, answers_of(locked))
        if unanswered:
            raise ValidationFailed(
                _("Some questions are not answered yet."),
                code=ErrorCode.ANSWERS_MISSING,
                data=unanswered,
            )
        attachments = list(
            Attachment.objects.filter(dossier=locked).only("requirement", "field_key")
        )
        missing = missing_documents(locked, plan, attachments)
        if missing:
            raise ValidationFailed(
                _("Some documents are missing."),
                code=ErrorCode.DOCUMENTS_MISSING,
                data={slot.key: [missing_message(slot)] for slot in missing},
            )
        data = copy.deepcopy(answers_of(locked))
        errors = answer_errors(plan, data, attached=attached_questions(attachments))
        if errors:
            raise ValidationFailed(code=ErrorCode.INVALID, data=errors)
        if payment_required(locked, data):
            raise PaymentRequired(data={"amount": online_fee(locked, data), "currency": "VND"})
        if data != answers_of(locked):
            # What the handler's checks worked out from the answers goes with them.
            locked.data = {**locked.data, **data}
            locked.save(update_fields=["data"])
        return transitions.perform(locked, "submit", actor=actor)


# --- Deletion and retention ----------------------------------------------------------------


def purge_old_drafts(max_age_days: int | None = None) -> int:
    """Delete drafts left unchanged for longer than ``max_age_days`` (default
    ``settings.EGOV_DRAFT_MAX_AGE_DAYS``), with their attachments' files.
    Drafts with a payment attempt are kept (the payment trail must stay).
    Safe to run twice or concurrently (locked rows are skipped). Returns how
    many drafts were deleted."""
    days = settings.EGOV_DRAFT_MAX_AGE_DAYS if max_age_days is None else max_age_days
    cutoff = timezone.now() - dt.timedelta(days=days)
    old = Dossier.objects.filter(
        status=DossierStatus.DRAFT, updated_at__lt=cutoff, code__isnull=True
    ).exclude(Exists(Payment.objects.filter(dossier=OuterRef("pk"))))
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(
                old.select_for_update(skip_locked=True).values_list("pk", flat=True)[:PURGE_BATCH]
            )
            if not ids:
                break
            files = [
                (row.file.storage, row.file.name)
                for row in Attachment.objects.filter(dossier_id__in=ids).exclude(file="")
            ]
            Attachment.objects.filter(dossier_id__in=ids).delete()
            Dossier.objects.filter(pk__in=ids).delete()
            deleted += len(ids)
            transaction.on_commit(lambda files=files: _delete_files(files))
    if deleted:
        logger.info("purged %d drafts older than %d days", deleted, days)
    return deleted


def _delete_files(files: list[tuple[Any, str]]) -> None:
    for storage, name in files:
        try:
            storage.delete(name)
        except OSError:  # already gone, or the disk refused: the row is gone anyway
            logger.warning("could not delete a purged draft's file")


@transaction.atomic
def draft_delete(*, user: User, dossier: Dossier) -> None:
    """Delete the citizen's own draft and the files uploaded to it (after
    commit). Anyone else's: ``NotFoundError``. A dossier that was sent: 409
    ``not_draft`` (it can be withdrawn). A draft with a payment attempt is kept,
    as ``purge_old_drafts`` keeps it (the payment trail must stay): 409
    ``draft_in_use``."""
    locked = (
        Dossier.objects.select_for_update(of=("self",))
        .select_related("procedure", "agency")
        .get(pk=dossier.pk)
    )
    if locked.applicant_id is None or locked.applicant_id != user.pk:
        raise NotFoundError()
    if locked.status != DossierStatus.DRAFT:
        raise ConflictError(
            _("Only a draft can be deleted. A dossier that was sent can be withdrawn."),
            code=ErrorCode.NOT_DRAFT,
            data={"status": locked.status, "code": locked.code},
        )
    in_use = ConflictError(
        _(
            "A payment was made for this draft, so it cannot be deleted. "
            "Send it, or ask the one-stop desk."
        ),
        code=ErrorCode.DRAFT_IN_USE,
    )
    if locked.payments.exists():
        raise in_use
    files = [(a.file.storage, a.file.name) for a in locked.attachments.exclude(file="")]
    try:
        with transaction.atomic():
            locked.attachments.all().delete()
            locked.delete()
    except ProtectedError as exc:  # anything else that must keep it
        raise in_use from exc
    transaction.on_commit(lambda: _delete_files(files))
