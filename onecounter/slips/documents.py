"""The generic machinery of every PDF a dossier gets: issue a document once,
render it, store it, record a failure, serve it.

A document is a ``DossierDocument`` row keyed by (dossier, kind, key). ``issue``
creates the row under a lock, renders it only while it has no file (a second
call returns the stored one) and stores the PDF once in the private default
storage with its SHA-256. A rendering error is written on the row and raised
again, so the background task retries. What a document says is not known
here: the caller gives its form (number, title, template) and a ``build``
function for its context; the one-stop slips (``contexts``), the fee receipt
(``onecounter.payments.receipts``) and the results (``onecounter.results``)
are built on this.

The form numbers and titles can be replaced in settings
(``EGOV_SLIP_FORMS = {"receipt": {"number": "Mẫu số 01", "title": ...}}``) when
a new decree renumbers them (``slip_form``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import secrets
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import FileResponse, Http404
from django.utils import timezone
from django.utils.cache import patch_cache_control

from onecounter.models import Dossier, DossierDocument
from onecounter.slips import pdf

logger = logging.getLogger(__name__)

Kind = DossierDocument.Kind
# What a document says: its context, built when it is rendered (the row is
# locked, and a result has its number already).
Build = Callable[[DossierDocument], dict[str, Any]]

ONE_STOP_DESK = "Bộ phận tiếp nhận và trả kết quả"


@dataclasses.dataclass(frozen=True)
class SlipForm:
    number: str
    title: str
    template: str


def slip_form(kind: str, default: SlipForm) -> SlipForm:
    """The form of a kind of document: ``default``, with what
    ``EGOV_SLIP_FORMS[kind]`` replaces (number, title, template)."""
    overrides = getattr(settings, "EGOV_SLIP_FORMS", {}).get(kind, {})
    return dataclasses.replace(default, **overrides)


def load(dossier_id) -> Dossier:
    return Dossier.objects.select_related("procedure", "agency").get(pk=dossier_id)


def issue(
    dossier: Dossier,
    kind: str,
    key: str,
    build: Build,
    *,
    form: SlipForm,
    title: str = "",
    prepare: Callable[[DossierDocument], None] | None = None,
) -> DossierDocument:
    """The document (dossier, kind, key), rendered once: safe to call again.

    ``title`` (default: the form's) names a new row; ``prepare`` is called
    under the row's lock before each rendering of a document that has no file
    yet, in the same transaction as the stored PDF (e.g. a result gets its
    number and token there, so a failed rendering leaves none)."""
    title = title or form.title
    try:
        with transaction.atomic():
            document, _created = DossierDocument.objects.select_for_update().get_or_create(
                dossier=dossier, kind=kind, key=key, defaults={"title": title}
            )
            if document.file:
                return document
            if prepare is not None:
                prepare(document)
            render(document, dossier, form, build)
            return document
    except Exception as exc:
        logger.exception("slip %s %s of dossier %s failed", kind, key, dossier.pk)
        _record_error(dossier, kind, key, dataclasses.replace(form, title=title), exc)
        raise


def render(
    document: DossierDocument,
    dossier: Dossier,
    form: SlipForm,
    build: Build,
    *,
    fresh_name: bool = False,
) -> None:
    """Render the document's PDF and store it (the caller holds the row lock).
    ``build`` may replace the ``form`` of the common context (its template)."""
    context = {**common_context(dossier, form), **build(document)}
    content = pdf.render_pdf(context["form"].template, context)
    _store(document, content, fresh_name=fresh_name)


def document_response(document: DossierDocument, *, as_attachment: bool = False) -> FileResponse:
    """The stored PDF as a response named ``<code>-<kind>.pdf``. Callers check access."""
    if not document.file:
        raise Http404
    response = FileResponse(
        document.file.open("rb"),
        content_type="application/pdf",
        as_attachment=as_attachment,
        filename=f"{document.dossier.code}-{document.kind}.pdf",
    )
    patch_cache_control(response, private=True, no_store=True)
    return response


def _record_error(dossier: Dossier, kind: str, key: str, form: SlipForm, exc: Exception) -> None:
    """Write the error on the slip's row. It stays when the caller's transaction
    commits (an on-demand render); in ``tasks.after_event`` the whole step rolls
    back and the task retries. Never hides the rendering error itself."""
    error = f"{type(exc).__name__}: {exc}"[:2000]
    try:
        with transaction.atomic():
            DossierDocument.objects.update_or_create(
                dossier=dossier,
                kind=kind,
                key=key,
                defaults={"error": error},
                create_defaults={"title": form.title, "error": error},
            )
    except Exception:
        logger.exception("could not record the error of slip %s %s", kind, key)


PART = ".part"  # a PDF being written: "<final name>.<token>.part"


def _store(document: DossierDocument, content: bytes, *, fresh_name: bool = False) -> None:
    """Write the PDF atomically under a name that belongs to this row only.

    The bytes go to a temporary file beside it (``<name>.<token>.part``),
    flushed to disk, then renamed to the name in one step (``os.replace``),
    before the row is saved. No reader ever sees half a PDF under a document's
    name, and a committed row always has its whole file. A render cut off
    mid-write leaves a ``.part``; one whose transaction rolled back (a killed
    worker, an error after the write) leaves a PDF that no row names, with
    personal data and maybe the QR code of a result never issued. The hourly
    ``sweep_orphan_files`` deletes both once older than EGOV_ORPHAN_FILE_HOURS.
    (Renaming on commit instead would leave a window after the commit in which
    the row names a file that is not there yet.)

    A result's name carries its id (a replacement has the same dossier, kind and
    key as the document it supersedes). ``fresh_name`` (rendering an issued
    result again) writes a new file and deletes the previous one only once the
    transaction has committed, so a rollback leaves the row and its file as they were."""
    storage = document.file.storage
    stem = f"dossiers/{document.dossier_id}/{document.kind}-{document.key}".replace("~", "-r")
    if fresh_name:
        stem += f"-{secrets.token_hex(4)}"
    elif document.kind == Kind.RESULT:
        stem += f"-{document.pk.hex[:8]}"
    name = f"{stem}.pdf"
    previous = document.file.name if document.file else ""
    part = storage.save(f"{name}.{secrets.token_hex(8)}{PART}", ContentFile(content))
    _publish(storage, part, name)
    document.file.name = name
    document.sha256 = hashlib.sha256(content).hexdigest()
    document.rendered_at = timezone.now()
    document.error = ""
    document.save(update_fields=["file", "sha256", "rendered_at", "error"])
    if previous and previous != name:
        transaction.on_commit(lambda: _delete_quietly(storage, previous))


def _publish(storage, part: str, name: str) -> None:
    """Flush the temporary file to disk and rename it to the document's name
    (atomic on one file system: a reader sees the old file or the new, never
    half; a file left at the name by an attempt that rolled back is replaced)."""
    path = storage.path(part)
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(path, storage.path(name))


def _delete_quietly(storage, name: str) -> None:
    try:
        storage.delete(name)
    except OSError:
        logger.warning("could not delete a superseded PDF")


# --- The context every document shares ------------------------------------------------------


def common_context(dossier: Dossier, form: SlipForm) -> dict[str, Any]:
    """The form, the dossier, its agency and procedure, the issuer lines (the
    one-stop desk of the agency), the applicant's lines and the desk's contact."""
    agency = dossier.agency
    return {
        "form": form,
        "dossier": dossier,
        "agency": agency,
        "procedure": dossier.procedure,
        "issuer_parent": agency.name,
        "issuer_name": ONE_STOP_DESK,
        "applicant_lines": applicant_lines(dossier),
        "contact": _contact(dossier),
    }


def applicant_lines(dossier: Dossier) -> list[tuple[str, str]]:
    lines = [("Ông/Bà", dossier.applicant_name)]
    if dossier.applicant_id_number:
        lines.append(("Số định danh cá nhân", dossier.applicant_id_number))
    if dossier.applicant_address:
        lines.append(("Địa chỉ", dossier.applicant_address))
    if dossier.applicant_phone:
        lines.append(("Số điện thoại", dossier.applicant_phone))
    if dossier.applicant_email:
        lines.append(("Thư điện tử", dossier.applicant_email))
    return lines


def _contact(dossier: Dossier) -> str:
    agency = dossier.agency
    parts = [f"{ONE_STOP_DESK} – {agency.name}"]
    if agency.address:
        parts.append(agency.address)
    if agency.phone:
        parts.append(f"điện thoại {agency.phone}")
    return ", ".join(parts)
