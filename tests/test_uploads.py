"""Uploaded documents are checked by content, size-limited, renamed and stripped."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from egov.errors import ValidationFailed
from egov.uploads import clean_document

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (20, 10), "red")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {2: (21.0, 2.0, 0.0)}  # GPS latitude
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_a_pdf_is_kept_as_is_under_a_new_random_name():
    cleaned = clean_document(SimpleUploadedFile("../../etc/passwd.pdf", PDF))
    assert cleaned.read() == PDF
    assert cleaned.name.endswith(".pdf") and "/" not in cleaned.name and ".." not in cleaned.name


def test_a_jpeg_is_re_encoded_without_its_metadata():
    data = jpeg_with_exif()
    assert b"PhoneMaker" in data
    cleaned = clean_document(SimpleUploadedFile("anh.jpg", data)).read()
    assert b"PhoneMaker" not in cleaned
    assert Image.open(io.BytesIO(cleaned)).getexif() == {}


def test_a_renamed_executable_is_refused():
    with pytest.raises(ValidationFailed) as info:
        clean_document(
            SimpleUploadedFile("giay-khai-sinh.pdf", b"\x7fELF\x02\x01\x01" + b"\0" * 100)
        )
    assert info.value.code == "file_type"


def test_an_oversized_file_is_refused(settings):
    settings.EGOV_UPLOAD_MAX_BYTES = 1024
    with pytest.raises(ValidationFailed) as info:
        clean_document(SimpleUploadedFile("lon.pdf", PDF + b"x" * 2000))
    assert info.value.code == "file_too_large"


def test_a_corrupt_image_is_refused():
    with pytest.raises(ValidationFailed) as info:
        clean_document(SimpleUploadedFile("hong.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 10))
    assert info.value.code == "file_corrupt"


def test_an_empty_file_is_refused():
    with pytest.raises(ValidationFailed) as info:
        clean_document(SimpleUploadedFile("rong.pdf", b""))
    assert info.value.code == "file_empty"
