"""The documents of an online draft: the procedure's required documents and
the handler's file questions, which make the documents step of the plan
(``onecounter.intake.plan.DocumentSlot``).

Each is uploaded (checked by ``egov.uploads.clean_document``: by content,
size-limited, re-encoded and renamed, stored privately with its SHA-256) or,
for a required document with a ``wallet_kind``, taken from the citizen's
wallet. They live in ``Attachment`` rows (``requirement`` or ``field_key``),
not in ``Dossier.data``. Every change goes through the draft lock
(``onecounter.intake.drafts.lock_draft``) and withdraws the declaration.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citizens.models import User
from egov.codes import ErrorCode
from egov.errors import NotFoundError, ValidationFailed
from egov.uploads import clean_document
from onecounter.intake.drafts import lock_draft, touch
from onecounter.intake.plan import Plan, plan_for
from onecounter.models import Attachment, Dossier, WalletDocument
from procedures.models import RequiredDocument

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile


def attachments_of(dossier: Dossier) -> list[Attachment]:
    return list(
        Attachment.objects.filter(dossier=dossier)
        .select_related("wallet_document")
        .order_by("uploaded_at", "pk")
    )


def wallet_choices(user: User, plan: Plan) -> dict[str, list[WalletDocument]]:
    """For each document slot with a wallet kind, the citizen's wallet documents of that kind."""
    kinds = {slot.wallet_kind for slot in plan.slots if slot.wallet_kind}
    if not kinds:
        return {}
    wallet = list(WalletDocument.objects.filter(owner=user, kind__in=kinds).order_by("-created_at"))
    return {
        slot.key: [w for w in wallet if w.kind == slot.wallet_kind]
        for slot in plan.slots
        if slot.wallet_kind
    }


def _label_for(plan: Plan, requirement: RequiredDocument | None, field_key: str) -> str:
    if requirement is not None:
        return requirement.name
    field = plan.file_questions[field_key]
    return str(field.label or field_key)


@transaction.atomic
def attachment_add(
    *,
    dossier: Dossier,
    user: User,
    requirement: RequiredDocument | None = None,
    field_key: str = "",
    upload: UploadedFile | None = None,
    wallet_document: WalletDocument | None = None,
) -> Attachment:
    """Attach a document to a draft: an upload (checked by content, size-limited,
    re-encoded and renamed; refused with ``ValidationFailed`` and nothing stored
    otherwise) or, for a required document that accepts one, a document of the
    citizen's wallet of the right kind. For a required document (``requirement``)
    or a file question (``field_key``)."""
    locked = lock_draft(dossier, user)
    plan = plan_for(locked.procedure)
    if (requirement is None) == (not field_key):
        raise ValidationFailed(_("Say which document this is."), code=ErrorCode.DOCUMENT_UNKNOWN)
    if requirement is not None and requirement.procedure_id != locked.procedure_id:
        raise NotFoundError()
    if field_key and field_key not in plan.file_questions:
        raise NotFoundError()
    if (upload is None) == (wallet_document is None):
        raise ValidationFailed(
            _("Choose a file to upload or a document from your wallet."), code=ErrorCode.NO_DOCUMENT
        )
    label = _label_for(plan, requirement, field_key)
    now = timezone.now()
    if wallet_document is not None:
        if wallet_document.owner_id != user.pk:
            raise NotFoundError()
        if requirement is None or not requirement.wallet_kind:
            raise ValidationFailed(
                _("A document from your wallet cannot be used here."),
                code=ErrorCode.WALLET_NOT_ACCEPTED,
            )
        if wallet_document.kind != requirement.wallet_kind:
            raise ValidationFailed(
                _("This wallet document is not of the kind asked for."), code=ErrorCode.WALLET_KIND
            )
        existing = Attachment.objects.filter(
            dossier=locked, requirement=requirement, wallet_document=wallet_document
        ).first()
        if existing is not None:
            return existing
        attachment = Attachment.objects.create(
            dossier=locked,
            requirement=requirement,
            wallet_document=wallet_document,
            label=wallet_document.title[:200] or label,
            sha256=_wallet_sha256(wallet_document),
            uploaded_by=user,
            uploaded_at=now,
        )
        touch(locked, now=now)
        return attachment

    assert upload is not None
    clean = clean_document(upload)  # ValidationFailed: nothing is stored
    content = clean.read()
    attachment = Attachment(
        dossier=locked,
        requirement=requirement,
        field_key=field_key,
        label=label[:200],
        content_type=clean.content_type or "",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=user,
        uploaded_at=now,
    )
    attachment.file.save(clean.name, ContentFile(content), save=False)
    try:
        attachment.save()
        touch(locked, now=now)
    except Exception:
        attachment.file.storage.delete(attachment.file.name)  # no row, no file
        raise
    return attachment


def _wallet_sha256(wallet_document: WalletDocument) -> str:
    if wallet_document.document_id and wallet_document.document.sha256:
        return wallet_document.document.sha256
    if wallet_document.file:
        digest = hashlib.sha256()
        with wallet_document.file.open("rb") as handle:
            for chunk in iter(lambda: handle.read(65536), b""):
                digest.update(chunk)
        return digest.hexdigest()
    return ""


@transaction.atomic
def attachment_remove(*, dossier: Dossier, user: User, attachment: Attachment) -> None:
    """Take a document off a draft; an uploaded file is deleted after commit."""
    locked = lock_draft(dossier, user)
    row = Attachment.objects.filter(pk=attachment.pk, dossier=locked).first()
    if row is None:
        raise NotFoundError()
    name = row.file.name if row.file else ""
    storage = row.file.storage
    row.delete()
    touch(locked, now=timezone.now())
    if name:
        transaction.on_commit(lambda: storage.delete(name))
