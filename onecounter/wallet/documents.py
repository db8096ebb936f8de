"""The citizen's document wallet ("My documents"): the documents they keep and
the results the portal files there.

Reads: ``wallet_documents(owner)`` (issued results first), ``wallet_document_of``,
``wallet_response``. Writes (keyword-only, atomic): ``wallet_keep`` /
``wallet_remove`` (documents the citizen keeps), ``deliver_results_for_event``
(results into the applicant's wallet, ``tasks.after_event``), each result
filed under the kind its ``ResultSpec`` names.
"""

from __future__ import annotations

import logging
import mimetypes
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import (
    Case,
    IntegerField,
    QuerySet,
    Value,
    When,
)
from django.http import FileResponse, Http404
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext_lazy as _

from citizens.models import User
from egov.codes import ErrorCode
from egov.errors import ConflictError, NotFoundError, ValidationFailed
from egov.uploads import clean_document
from onecounter.models import (
    Attachment,
    Dossier,
    DossierDocument,
    DossierEvent,
    WalletDocument,
)
from onecounter.models import DossierStatus as S
from onecounter.results.specs import REJECTION, handler_results
from onecounter.wallet.services import DELIVERY_ACTIONS, _delete_files, person_of
from procedures.handlers.registry import ResultSpec

logger = logging.getLogger(__name__)


def wallet_documents(owner: User) -> QuerySet[WalletDocument]:
    """The citizen's wallet: issued results first, then the documents they keep,
    newest first within each."""
    return (
        WalletDocument.objects.filter(owner=owner)
        .select_related("person", "issued_by", "dossier", "document")
        .annotate(
            issued_first=Case(
                When(source=WalletDocument.Source.ISSUED, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("issued_first", "-created_at", "pk")
    )


def wallet_document_of(owner: User, pk: Any) -> WalletDocument:
    document = (
        WalletDocument.objects.filter(owner=owner, pk=pk)
        .select_related("document__dossier")
        .first()
    )
    if document is None:
        raise Http404
    return document


def file_response(field_file, *, filename: str) -> FileResponse:
    """A private stored file (a kept document or an upload), never cached."""
    if not field_file:
        raise Http404
    try:
        handle = field_file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    content_type = mimetypes.guess_type(field_file.name)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type, filename=filename)
    patch_cache_control(response, private=True, no_store=True)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def wallet_response(document: WalletDocument) -> FileResponse:
    """The file of a wallet document: an issued result is the dossier's PDF."""
    from onecounter.slips import issue as slips

    if document.document_id is not None:
        try:
            return slips.document_response(document.document)
        except FileNotFoundError as exc:
            raise Http404 from exc
    extension = document.file.name.rsplit(".", 1)[-1] if document.file else "pdf"
    return file_response(document.file, filename=f"{document.kind}.{extension}")


# --- Writes: the wallet ---------------------------------------------------------------------

KEPT_KINDS: list[tuple[str, Any]] = [
    ("birth_certificate", _("Birth certificate")),
    ("id_card", _("Citizen identity card")),
    ("household_registration", _("Household registration book")),
    ("marriage_certificate", _("Marriage certificate")),
    ("other", _("Other document")),
]
KIND_LABELS: dict[str, Any] = {
    **dict(KEPT_KINDS),
    "residence_confirmation": _("Residence confirmation"),
    "health_insurance_card": _("Health-insurance card"),
    "decision": _("Decision"),
    "rejection": _("Notice of rejection"),
    "result": _("Result"),
}


def kind_label(kind: str) -> str:
    label = KIND_LABELS.get(kind)
    return str(label) if label is not None else kind.replace("_", " ").capitalize()


@transaction.atomic
def wallet_keep(*, owner: User, upload: UploadedFile, kind: str, title: str = "") -> WalletDocument:
    """Keep a document in the citizen's wallet for reuse: checked and
    re-encoded by ``clean_document`` (a renamed executable is refused)."""
    if kind not in dict(KEPT_KINDS):
        raise ValidationFailed(_("Choose what kind of document it is."), code=ErrorCode.BAD_KIND)
    cleaned = clean_document(upload)
    document = WalletDocument(
        owner=owner,
        person=person_of(owner),
        kind=kind,
        title=(title.strip() or kind_label(kind))[:200],
        source=WalletDocument.Source.KEPT,
    )
    document.file.save(cleaned.name, cleaned, save=False)
    name = document.file.name
    try:
        document.save()
    except Exception:
        _delete_files([name])
        raise
    return document


@transaction.atomic
def wallet_remove(*, owner: User, document: WalletDocument) -> None:
    """Delete a document the citizen keeps. Issued results stay; a document
    given in a dossier stays (it is part of that dossier)."""
    locked = WalletDocument.objects.select_for_update().filter(pk=document.pk, owner=owner).first()
    if locked is None:
        raise NotFoundError()
    if locked.source != WalletDocument.Source.KEPT:
        raise ConflictError(
            _("A document issued by an agency stays in your wallet."),
            code=ErrorCode.ISSUED_DOCUMENT,
        )
    if Attachment.objects.filter(wallet_document=locked).exists():
        raise ConflictError(
            _("This document was given in a dossier and stays in your wallet."),
            code=ErrorCode.DOCUMENT_IN_USE,
        )
    name = locked.file.name if locked.file else ""
    locked.delete()
    if name:
        transaction.on_commit(lambda: _delete_files([name]))


def _kind_for(document: DossierDocument, specs: list[ResultSpec]) -> str:
    """The wallet kind of a result: its spec's (the handler's ``ResultSpec``
    named by the document's key, e.g. ``birth_certificate``), "rejection" for
    the notice of a rejected dossier; for a document no spec names, the
    handler's only result's kind, else "result"."""
    if document.key == REJECTION.name:
        return REJECTION.wallet_kind
    for spec in specs:
        if spec.name == document.key:
            return spec.wallet_kind
    if len(specs) == 1:
        return specs[0].wallet_kind
    return "result"


def _deliver_own(dossier: Dossier, *, owner_id: Any = None) -> list[WalletDocument]:
    """Each rendered result of the dossier into the wallet of ``owner_id``
    (default: its applicant), once (``wallet_document_once``), filed under the
    person it is about (``DossierDocument.holder``); a result that was
    replaced by a new copy is not brought back."""
    owner_id = owner_id or dossier.applicant_id
    if owner_id is None:  # a walk-in without an e-account
        return []
    results = list(
        dossier.documents.filter(kind=DossierDocument.Kind.RESULT, replaced_by__isnull=True)
        .exclude(file="")
        .order_by("created_at")
    )
    if not results:
        return []
    # A handler that is not installed names no result: its results are filed as "result".
    specs = handler_results(dossier.procedure, missing=())
    about = dossier.subject_person_id or dossier.applicant_person_id
    created = []
    for document in results:
        entry, new = WalletDocument.objects.get_or_create(
            owner_id=owner_id,
            document=document,
            defaults={
                # Whom the result is about: its holder (the child of a birth),
                # else the dossier's subject or applicant.
                "person_id": document.holder_id or about,
                "kind": _kind_for(document, specs),
                "title": (document.title or dossier.procedure.name)[:200],
                "source": WalletDocument.Source.ISSUED,
                "issued_by": dossier.agency,
                "dossier": dossier,
            },
        )
        if new:
            created.append(entry)
    return created


def _handed_on(dossier: Dossier) -> list[Dossier]:
    """The dossiers handed on from this one to agencies here whose results are ready."""
    return list(
        Dossier.objects.filter(
            handoff_in__dossier=dossier, status__in=(S.RESULT_READY, S.RETURNED)
        ).select_related("procedure", "agency", "applicant_person", "subject_person")
    )


def _waits_for_source(dossier: Dossier) -> bool:
    """A dossier handed on by another agency: its results go to the wallet with
    those of the dossier it came from, once that one's results are ready."""
    if dossier.channel != Dossier.Channel.LINKED:
        return False
    source = Dossier.objects.filter(handoffs__agency_dossier=dossier).values("status").first()
    return source is not None and source["status"] not in (S.RESULT_READY, S.RETURNED)


def deliver_results(dossier: Dossier) -> list[WalletDocument]:
    """Put each rendered result of the dossier in its applicant's wallet, once
    (``wallet_document_once``); safe to call again. Returns the new entries.

    A dossier that was handed on to other agencies brings their results too
    (rendered now if their own job has not run yet): the birth certificate, the
    residence confirmation and the health-insurance card arrive together. A
    dossier handed on by another agency waits for that one."""
    from onecounter.results import rendering

    dossier = Dossier.objects.select_related(
        "procedure", "agency", "applicant", "applicant_person", "subject_person"
    ).get(pk=dossier.pk)
    if dossier.applicant_id is None:  # a walk-in without an e-account
        return []
    if _waits_for_source(dossier):
        return []
    created = _deliver_own(dossier)
    for linked in _handed_on(dossier):
        rendering.render_results(linked)
        created += _deliver_own(linked, owner_id=linked.applicant_id or dossier.applicant_id)
    return created


def deliver_results_for_event(event: DossierEvent) -> list[WalletDocument]:
    """Called by ``tasks.after_event``: on "result ready" (and again on hand-back,
    for results rendered in between) the results go to the applicant's wallet."""
    if event.action not in DELIVERY_ACTIONS:
        return []
    return deliver_results(Dossier(pk=event.dossier_id))
