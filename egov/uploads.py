"""Checking uploaded documents: PDF, JPEG and PNG only, by content, size-limited.

Images are re-encoded (which drops EXIF and other metadata); every file gets a
new random name, so nothing the uploader chose reaches the file system.
"""

from __future__ import annotations

import io
import uuid

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

from egov.codes import ErrorCode
from egov.errors import ValidationFailed

KINDS = {
    "pdf": (b"%PDF-", "application/pdf"),
    "jpeg": (b"\xff\xd8\xff", "image/jpeg"),
    "png": (b"\x89PNG\r\n\x1a\n", "image/png"),
}
EXTENSIONS = {"pdf": "pdf", "jpeg": "jpg", "png": "png"}


def max_upload_bytes() -> int:
    return getattr(settings, "EGOV_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)


def sniff(head: bytes) -> str | None:
    for kind, (magic, _content_type) in KINDS.items():
        if head.startswith(magic):
            return kind
    return None


def clean_document(upload: UploadedFile) -> SimpleUploadedFile:
    """A safe copy of an uploaded document, or ``ValidationFailed`` with the reason."""
    limit = max_upload_bytes()
    if upload.size is not None and upload.size > limit:
        raise ValidationFailed(
            _("The file is larger than %(mb)d MB.") % {"mb": limit // (1024 * 1024)},
            code=ErrorCode.FILE_TOO_LARGE,
        )
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationFailed(
            _("The file is larger than %(mb)d MB.") % {"mb": limit // (1024 * 1024)},
            code=ErrorCode.FILE_TOO_LARGE,
        )
    if not data:
        raise ValidationFailed(_("The file is empty."), code=ErrorCode.FILE_EMPTY)
    kind = sniff(data[:16])
    if kind is None:
        raise ValidationFailed(
            _("Only PDF, JPEG and PNG files can be uploaded."), code=ErrorCode.FILE_TYPE
        )
    if kind == "pdf":
        if b"%%EOF" not in data[-2048:]:
            raise ValidationFailed(
                _("The PDF file is damaged or incomplete."), code=ErrorCode.FILE_CORRUPT
            )
        content = data
    else:
        content = _reencode(data, kind)
    name = f"{uuid.uuid4().hex}.{EXTENSIONS[kind]}"
    return SimpleUploadedFile(name, content, content_type=KINDS[kind][1])


def _reencode(data: bytes, kind: str) -> bytes:
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            if kind == "jpeg" and image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            out = io.BytesIO()
            # Saving without exif/info drops the metadata the camera or phone added.
            image.save(out, format="JPEG" if kind == "jpeg" else "PNG", optimize=True)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationFailed(
            _("The image is damaged and cannot be read."), code=ErrorCode.FILE_CORRUPT
        ) from exc
    return out.getvalue()
