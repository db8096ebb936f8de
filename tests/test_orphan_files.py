"""A PDF is written under a temporary name and renamed whole before its row is
saved; a render cut off (a killed worker, a rollback) leaves files no document
owns, and the hourly sweep deletes them once they are older than the limit,
never a document's own file and never a render still in progress."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from django.db import transaction

from onecounter import tasks
from onecounter.models import DossierDocument, DossierEvent
from onecounter.slips import issue as slips
from tests.test_slips import _private_files, dossier, office, procedure, received  # noqa: F401

pytestmark = pytest.mark.django_db

Kind = DossierDocument.Kind


class WorkerKilled(Exception):
    """Stands for the worker dying after the PDF was written, before the commit."""


def stored(tmp_path: Path) -> list[Path]:
    root = tmp_path / "private" / "dossiers"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def age(paths: list[Path], hours: float) -> None:
    then = time.time() - hours * 3600
    for path in paths:
        os.utime(path, (then, then))


def test_a_rendered_slip_is_whole_under_its_name_with_no_temporary_file_left(
    office,  # noqa: F811 - the fixtures of tests/test_slips.py
    dossier,  # noqa: F811
    tmp_path,
):
    _agency, staff = office
    dossier, event = received(dossier, staff)

    tasks.after_event(event.pk)

    documents = DossierDocument.objects.filter(dossier=dossier)
    assert {d.kind for d in documents} == {Kind.RECEIPT, Kind.TRACKING}
    names = sorted(str(p.relative_to(tmp_path / "private")) for p in stored(tmp_path))
    assert names == sorted(d.file.name for d in documents)
    for document in documents:
        with document.file.open("rb") as handle:
            assert handle.read(5) == b"%PDF-"


def test_a_render_cut_off_before_its_commit_leaves_files_the_sweep_deletes_after_the_limit(
    office,  # noqa: F811
    dossier,  # noqa: F811
    tmp_path,
    settings,
):
    settings.EGOV_ORPHAN_FILE_HOURS = 1
    _agency, staff = office
    dossier, event = received(dossier, staff)

    # When the worker dies after writing the PDFs, before its transaction commits
    with pytest.raises(WorkerKilled), transaction.atomic():
        slips.render_for_event(DossierEvent.objects.get(pk=event.pk))
        raise WorkerKilled()
    # ... and a write itself was cut off half-way
    half = tmp_path / "private" / "dossiers" / str(dossier.pk) / "receipt-x.pdf.0a1b.part"
    half.write_bytes(b"%PDF-1.7 half")

    # Then no document owns a file, and the files left hold the applicant's name
    assert not DossierDocument.objects.filter(dossier=dossier).exclude(file="").exists()
    left = stored(tmp_path)
    assert len(left) == 3  # the receipt, the tracking slip, the half-written one
    # ... which the sweep leaves alone while a render could still be running
    assert tasks.sweep_orphan_files() == {"deleted": 0, "kept": 3}

    # When they are older than the limit, the sweep deletes them all
    age(left, hours=1.5)
    assert tasks.sweep_orphan_files() == {"deleted": 3, "kept": 0}
    assert stored(tmp_path) == []
    assert tasks.sweep_orphan_files() == {"deleted": 0, "kept": 0}  # twice: nothing more


def test_the_sweep_never_deletes_a_documents_own_file_however_old(
    office,  # noqa: F811
    dossier,  # noqa: F811
    tmp_path,
):
    _agency, staff = office
    dossier, event = received(dossier, staff)
    tasks.after_event(event.pk)
    # An earlier attempt rolled back and left an orphan beside them
    orphan = tmp_path / "private" / "dossiers" / str(dossier.pk) / "result-9-deadbeef.pdf"
    orphan.write_bytes(b"%PDF-1.7 never issued")
    age(stored(tmp_path), hours=24 * 365)

    assert tasks.sweep_orphan_files() == {"deleted": 1, "kept": 2}

    assert not orphan.exists()
    for document in DossierDocument.objects.filter(dossier=dossier):
        with document.file.open("rb") as handle:
            assert handle.read(5) == b"%PDF-"


def test_the_next_attempt_after_a_rollback_replaces_the_file_left_under_the_slips_name(
    office,  # noqa: F811
    dossier,  # noqa: F811
    tmp_path,
):
    _agency, staff = office
    dossier, event = received(dossier, staff)
    with pytest.raises(WorkerKilled), transaction.atomic():
        slips.render_for_event(DossierEvent.objects.get(pk=event.pk))
        raise WorkerKilled()

    tasks.after_event(event.pk)  # the retry

    documents = DossierDocument.objects.filter(dossier=dossier)
    names = sorted(str(p.relative_to(tmp_path / "private")) for p in stored(tmp_path))
    assert names == sorted(d.file.name for d in documents)  # nothing extra, nothing doubled
