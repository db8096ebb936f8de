"""Every write of the retention: proposing destruction lists, reviewing them
(four eyes), carrying them out. See docs/retention.md.

Nothing is destroyed without an approved list: ``item_execute`` refuses an
item whose list is not approved. Lists and items are never deleted.

Four eyes: the list is proposed by the daily job (no person: the job is the
first pair of eyes) or by a person, and decided by a head of its agency who
did not propose it (a service check and a database check constraint). A
superuser is not a head by being a superuser: the decision belongs to the
agency that holds the dossiers.

Carrying a list out is safe to run twice and after a crash: each item is done
in its own transaction under a row lock, writing the names of the files it
removes; the files are deleted after that commit, and again by the next run
if a crash came between the two.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from citizens.models import Agency, User
from egov import events
from egov.codes import ErrorCode
from egov.errors import ConflictError, PermissionDeniedError, ValidationFailed
from egov.queue import enqueue
from onecounter.events import DossierDataDestroyed
from onecounter.models import (
    Attachment,
    DestructionList,
    DestructionListItem,
    Dossier,
    DossierDocument,
    DossierEvent,
    Notification,
    Rating,
    SupplementRequest,
    WalletDocument,
)
from onecounter.retention import selectors

logger = logging.getLogger(__name__)

EXECUTE_TASK = "onecounter.retention.execute_list"
REASON_MAX = 2000
# A list a head can review: the oldest dossiers first, the rest on the next list.
MAX_ITEMS = 1000
S = DestructionList.Status


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        message = _("Give a reason.")
        raise ValidationFailed(message, code=ErrorCode.REASON_REQUIRED, data={"reason": [message]})
    if len(text) > REASON_MAX:
        message = _("Keep the reason under %(max)d characters.") % {"max": REASON_MAX}
        raise ValidationFailed(message, data={"reason": [message]})
    return text


def _must_review(actor: User, agency: Agency) -> None:
    if not selectors.may_review(actor, agency):
        raise PermissionDeniedError(_("Only a head of the agency reviews its destruction lists."))


# --- Proposing --------------------------------------------------------------------------------


@transaction.atomic
def list_propose(
    *, agency: Agency, actor: User | None = None, today: Any = None
) -> DestructionList | None:
    """A proposed list of the agency's dossiers past retention, or None when
    there is none or a list of the agency already awaits approval (one at a
    time: a second run of the day changes nothing). ``actor`` None: the job."""
    if actor is not None:
        _must_review(actor, agency)
    # Serialise the proposals of one agency (two runs of the job, or a head and the job).
    Agency.objects.select_for_update().filter(pk=agency.pk).first()
    if DestructionList.objects.filter(agency=agency, status=S.PROPOSED).exists():
        return None
    due = selectors.due_dossiers(agency, today=today, limit=MAX_ITEMS)
    if not due:
        return None
    destruction_list = DestructionList.objects.create(
        agency=agency, proposed_by=actor, items_total=len(due)
    )
    DestructionListItem.objects.bulk_create(
        DestructionListItem(
            destruction_list=destruction_list,
            dossier=row.dossier,
            closed_on=row.closed_on,
            destroy_data=row.destroy_data,
            destroy_results=row.destroy_results,
        )
        for row in due
    )
    logger.info(
        "destruction list %s proposed for %s: %s dossiers",
        destruction_list.pk,
        agency.code,
        len(due),
    )
    return destruction_list


def propose_lists(*, today: Any = None) -> list[DestructionList]:
    """The daily job: one proposed list per agency with dossiers past
    retention. Idempotent: an agency whose list awaits approval gets no other."""
    proposed = []
    for agency in Agency.objects.filter(is_active=True).order_by("code"):
        try:
            made = list_propose(agency=agency, today=today)
        except IntegrityError:  # a concurrent run proposed it first
            continue
        if made is not None:
            proposed.append(made)
    return proposed


# --- Review -----------------------------------------------------------------------------------


def _lock_list(destruction_list: DestructionList) -> DestructionList:
    return (
        DestructionList.objects.select_for_update()
        .select_related("agency")
        .get(pk=destruction_list.pk)
    )


def _must_be_proposed(locked: DestructionList) -> None:
    if locked.status != S.PROPOSED:
        raise ConflictError(
            _("This destruction list was decided already; it cannot change any more."),
            code=ErrorCode.LIST_DECIDED,
        )


@transaction.atomic
def item_exclude(*, actor: User, item: DestructionListItem, reason: str) -> DestructionListItem:
    """Keep one dossier off the destruction (a legal hold, a pending case…),
    with the reason; it is proposed again after ``REVIEW_AGAIN_DAYS``."""
    locked = _lock_list(item.destruction_list)
    _must_review(actor, locked.agency)
    _must_be_proposed(locked)
    text = _reason(reason)
    row = DestructionListItem.objects.select_for_update().get(pk=item.pk)
    if row.destruction_list_id != locked.pk:  # pragma: no cover - callers pass the list's item
        raise ConflictError(code=ErrorCode.CONFLICT)
    row.excluded = True
    row.excluded_reason = text
    row.excluded_by = actor
    row.excluded_at = timezone.now()
    row.save(update_fields=["excluded", "excluded_reason", "excluded_by", "excluded_at"])
    locked.items_excluded = locked.items.filter(excluded=True).count()
    locked.save(update_fields=["items_excluded"])
    return row


def _decide(
    *, actor: User, destruction_list: DestructionList, reason: str, status: str
) -> DestructionList:
    locked = _lock_list(destruction_list)
    _must_review(actor, locked.agency)
    _must_be_proposed(locked)
    text = _reason(reason)
    if locked.proposed_by_id is not None and locked.proposed_by_id == actor.pk:
        raise PermissionDeniedError(
            _("You proposed this list: another head of the agency decides it (four eyes)."),
            code=ErrorCode.FOUR_EYES,
        )
    locked.status = status
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.decision_reason = text
    locked.items_excluded = locked.items.filter(excluded=True).count()
    locked.save(
        update_fields=["status", "decided_by", "decided_at", "decision_reason", "items_excluded"]
    )
    return locked


@transaction.atomic
def list_approve(*, actor: User, destruction_list: DestructionList, reason: str) -> DestructionList:
    """Approve the list: what is not excluded is destroyed in the background,
    after this commit."""
    locked = _decide(
        actor=actor, destruction_list=destruction_list, reason=reason, status=S.APPROVED
    )
    pk = locked.pk
    transaction.on_commit(lambda: enqueue(EXECUTE_TASK, pk))
    logger.info("destruction list %s approved", pk)
    return locked


@transaction.atomic
def list_reject(*, actor: User, destruction_list: DestructionList, reason: str) -> DestructionList:
    """Reject the list: nothing is destroyed; its dossiers are proposed again
    after ``REVIEW_AGAIN_DAYS``."""
    locked = _decide(
        actor=actor, destruction_list=destruction_list, reason=reason, status=S.REJECTED
    )
    locked.items.update(is_open=False)
    return locked


# --- Carrying out -----------------------------------------------------------------------------


def stub_name(destruction_list: DestructionList | int) -> str:
    """What the stub shows instead of the applicant's name, in Vietnamese like
    the logbook (form 06) it appears in."""
    number = destruction_list if isinstance(destruction_list, int) else destruction_list.pk
    return f"(đã hủy theo danh sách số {number})"


def _names(files: Iterable[Any]) -> list[str]:
    return [f.name for f in files if f]


def _destroy_data(dossier: Dossier, destruction_list_id: int, now: Any) -> list[str]:
    """Attachments (files and rows), the slips' files, answers and personal
    data; the stub keeps code, procedure, agency, channel, dates, status, fee."""
    attachments = Attachment.objects.filter(dossier=dossier)
    files = _names(a.file for a in attachments.only("file"))
    attachments.delete()
    slips = DossierDocument.objects.filter(dossier=dossier).exclude(
        kind=DossierDocument.Kind.RESULT
    )
    files += _names(d.file for d in slips.only("file"))
    slips.update(file="", sha256="", holder=None)
    Notification.objects.filter(dossier=dossier).delete()
    DossierEvent.objects.filter(dossier=dossier).update(reason="", data={})
    SupplementRequest.objects.filter(dossier=dossier).update(note="", answer={})
    Rating.objects.filter(dossier=dossier).update(comment="")
    dossier.applicant = None
    dossier.applicant_person = None
    dossier.subject_person = None
    dossier.applicant_name = stub_name(destruction_list_id)
    dossier.applicant_id_number = ""
    dossier.applicant_phone = ""
    dossier.applicant_email = ""
    dossier.applicant_address = ""
    dossier.data = {}
    dossier.decision_note = ""
    dossier.duplicate_key = ""
    dossier.purged_at = now
    events.publish(DossierDataDestroyed(dossier=dossier, destruction_list_id=destruction_list_id))
    return files


def _destroy_results(dossier: Dossier, now: Any) -> tuple[list[str], int]:
    """The result documents' files and their wallet copies; a result whose
    wallet copy another dossier took as an attachment is kept (counted)."""
    results = DossierDocument.objects.filter(dossier=dossier, kind=DossierDocument.Kind.RESULT)
    used_elsewhere = Attachment.objects.filter(wallet_document__document=OuterRef("pk")).exclude(
        dossier=dossier
    )
    kept = results.filter(Exists(used_elsewhere))
    kept_count = kept.count()
    going = results.exclude(pk__in=kept.values("pk"))
    copies = WalletDocument.objects.filter(document__in=going.values("pk"))
    files = _names(w.file for w in copies.only("file"))
    copies.delete()
    files += _names(d.file for d in going.only("file"))
    going.update(file="", sha256="", holder=None)
    dossier.results_purged_at = now
    return files, kept_count


def item_execute(*, item: DestructionListItem) -> bool:
    """Destroy what the item says, once. Refused (409 ``list_not_approved``)
    unless its list is approved; an excluded item is left alone. Returns
    whether anything was done now."""
    with transaction.atomic():
        row = (
            DestructionListItem.objects.select_for_update()
            .select_related("destruction_list")
            .get(pk=item.pk)
        )
        if row.destruction_list.status not in (S.APPROVED, S.EXECUTED):
            raise ConflictError(
                _("Only the dossiers of an approved destruction list are destroyed."),
                code=ErrorCode.LIST_NOT_APPROVED,
            )
        if row.excluded:
            return False
        if row.done_at is None:
            dossier = Dossier.objects.select_for_update().get(pk=row.dossier_id)
            now = timezone.now()
            files: list[str] = []
            fields = set()
            if row.destroy_data and dossier.purged_at is None:
                files += _destroy_data(dossier, row.destruction_list_id, now)
                fields |= {
                    "applicant",
                    "applicant_person",
                    "subject_person",
                    "applicant_name",
                    "applicant_id_number",
                    "applicant_phone",
                    "applicant_email",
                    "applicant_address",
                    "data",
                    "decision_note",
                    "duplicate_key",
                    "purged_at",
                }
            if row.destroy_results and dossier.results_purged_at is None:
                more, kept = _destroy_results(dossier, now)
                files += more
                fields.add("results_purged_at")
                if kept:
                    row.note = _("%(count)d result(s) kept: another dossier uses them.") % {
                        "count": kept
                    }
            # Not ``updated_at``: the stub's statistics stay as they were.
            if fields:
                dossier.save(update_fields=sorted(fields))
            row.files = files
            row.done_at = now
            row.save(update_fields=["files", "done_at", "note"])
            did = True
        else:
            did = False
        if row.files_removed_at is None:
            pk = row.pk
            transaction.on_commit(lambda: remove_files(item_id=pk))
    return did


def remove_files(*, item_id: int) -> None:
    """Delete the stored files an item's destruction listed (again is harmless)."""
    row = DestructionListItem.objects.filter(pk=item_id, files_removed_at__isnull=True).first()
    if row is None:
        return
    for name in row.files:
        default_storage.delete(name)  # a missing file is not an error
    DestructionListItem.objects.filter(pk=item_id).update(files_removed_at=timezone.now())


def list_execute(*, destruction_list: DestructionList) -> DestructionList:
    """Carry out an approved list (the task after the approval's commit, and
    the daily sweep): every item not excluded, then the list is executed."""
    current = DestructionList.objects.get(pk=destruction_list.pk)
    if current.status not in (S.APPROVED, S.EXECUTED):
        raise ConflictError(
            _("Only an approved destruction list is carried out."),
            code=ErrorCode.LIST_NOT_APPROVED,
        )
    pending = DestructionListItem.objects.filter(
        destruction_list=current, excluded=False, files_removed_at__isnull=True
    ).order_by("pk")
    for item in pending.only("pk"):
        item_execute(item=item)
    with transaction.atomic():
        locked = DestructionList.objects.select_for_update().get(pk=current.pk)
        if locked.status == S.APPROVED:
            items = locked.items.all()
            locked.items_done = items.filter(done_at__isnull=False).count()
            locked.items_excluded = items.filter(excluded=True).count()
            if not items.filter(excluded=False, done_at__isnull=True).exists():
                locked.status = S.EXECUTED
                locked.executed_at = timezone.now()
                items.update(is_open=False)
            locked.save(update_fields=["status", "executed_at", "items_done", "items_excluded"])
            logger.info("destruction list %s carried out: %s", locked.pk, locked.items_done)
    return locked


def sweep_lists() -> int:
    """Carry out the approved lists a lost task left, and the files a crash
    left behind. Returns how many lists were worked on."""
    ids = set(DestructionList.objects.filter(status=S.APPROVED).values_list("pk", flat=True))
    ids |= set(
        DestructionListItem.objects.filter(
            done_at__isnull=False, files_removed_at__isnull=True
        ).values_list("destruction_list_id", flat=True)
    )
    for pk in sorted(ids):
        enqueue(EXECUTE_TASK, pk)
    return len(ids)
