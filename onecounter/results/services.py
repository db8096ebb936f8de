"""Writes on issued results: revoke one, replace one with a new copy, render
one's PDF again.

``document_revoke`` and ``document_replace`` are for the head of the issuing
agency (and site administrators: ``verification.may_manage``). A replacement is
a new document of the same dossier and kind, rendered at once with a new token
and number; the old one keeps its file, points at the new one (``replaced_by``)
and is renamed ``<name>~<n>`` so that the current document is always keyed by
its name. ``document_rerender`` (site administrators) renders the PDF again
with the same token, number and date of issue.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citizens.models import User
from egov.codes import ErrorCode
from egov.errors import ConflictError, PermissionDeniedError, ValidationFailed
from onecounter.models import Attachment, DossierDocument, WalletDocument
from onecounter.results import rendering
from onecounter.results.specs import REPLACED_SEPARATOR, result_name
from onecounter.results.verification import may_manage

Kind = DossierDocument.Kind


def _locked(document: DossierDocument, actor: User) -> DossierDocument:
    locked = (
        DossierDocument.objects.select_for_update(of=("self",))
        .select_related("issued_by", "dossier")
        .get(pk=document.pk)
    )
    if locked.kind != Kind.RESULT or not locked.verify_token:
        raise ConflictError(
            _("Only an issued result can be revoked or replaced."), code=ErrorCode.NOT_A_RESULT
        )
    if not may_manage(actor, locked):
        raise PermissionDeniedError(
            _("Only the head of the issuing agency can revoke or replace this document.")
        )
    if locked.revoked_at is not None:
        raise ConflictError(
            _("This document has been revoked already."), code=ErrorCode.ALREADY_REVOKED
        )
    if locked.replaced_by_id is not None:
        raise ConflictError(
            _("This document has been replaced already."), code=ErrorCode.ALREADY_REPLACED
        )
    return locked


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        message = _("Give the reason.")
        raise ValidationFailed(
            message, data={"reason": [{"message": str(message), "code": "required"}]}
        )
    return reason[:1000]


@transaction.atomic
def document_revoke(document: DossierDocument, actor: User, reason: str) -> DossierDocument:
    """Revoke an issued result: its verification page says so, with the date and
    the reason (shown to the public). Final; 409 when done already."""
    reason = _reason(reason)
    locked = _locked(document, actor)
    locked.revoked_at = timezone.now()
    locked.revoked_reason = reason
    locked.save(update_fields=["revoked_at", "revoked_reason"])
    return locked


@transaction.atomic
def document_replace(document: DossierDocument, actor: User, reason: str) -> DossierDocument:
    """Issue a new copy of the result from the current records (e.g. after a
    correction), with a new token and number, and supersede the old one. The
    old document keeps its file; its verification page names the new one. The
    applicant's wallet entry now holds the new document, unless the old one was
    given in a dossier (then that entry stays, and a new entry is added)."""
    reason = _reason(reason)
    old = _locked(document, actor)
    name = result_name(old)
    superseded = DossierDocument.objects.filter(
        dossier_id=old.dossier_id, kind=Kind.RESULT, key__startswith=f"{name}{REPLACED_SEPARATOR}"
    ).count()
    old.key = f"{name}{REPLACED_SEPARATOR}{superseded + 1}"
    old.save(update_fields=["key"])
    new = rendering.render_result(old.dossier, name, replaces=old)
    old.replaced_by = new
    old.revoked_reason = reason  # why it was superseded (not shown to the public)
    old.save(update_fields=["replaced_by", "revoked_reason"])
    _move_wallet_entries(old, new)
    return new


def _move_wallet_entries(old: DossierDocument, new: DossierDocument) -> None:
    for entry in WalletDocument.objects.select_for_update().filter(document=old):
        if Attachment.objects.filter(wallet_document=entry).exists():
            WalletDocument.objects.get_or_create(
                owner_id=entry.owner_id,
                document=new,
                defaults={
                    "person_id": entry.person_id,
                    "kind": entry.kind,
                    "title": new.title[:200] or entry.title,
                    "source": entry.source,
                    "issued_by_id": new.issued_by_id,
                    "dossier_id": entry.dossier_id,
                },
            )
        else:
            entry.document = new
            entry.issued_by_id = new.issued_by_id
            entry.save(update_fields=["document", "issued_by"])


@transaction.atomic
def document_rerender(document: DossierDocument, actor: User) -> DossierDocument:
    """Render the PDF of an issued result again (e.g. after a fix to its
    template): the same token, number and date of issue. Site administrators only."""
    if not (actor.is_authenticated and actor.is_superuser):
        raise PermissionDeniedError()
    locked = DossierDocument.objects.select_for_update(of=("self",)).get(pk=document.pk)
    if locked.kind != Kind.RESULT or not locked.verify_token:
        raise ConflictError(
            _("Only an issued result can be rendered again."), code=ErrorCode.NOT_A_RESULT
        )
    return rendering.rerender_result(locked)
