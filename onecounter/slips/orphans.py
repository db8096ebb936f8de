"""Files under ``dossiers/`` that no document owns: removed after a while.

A PDF is written as ``<name>.<token>.part``, then renamed to its name before
its row is saved (``documents._store``). What a cut-off render leaves behind:

- a ``.part``: the write itself was cut off. Deleted once older than the limit.
- a ``.pdf`` no row names: the render's transaction rolled back (a killed
  worker, an error after the write), or a superseded file's deletion failed.
  It holds personal data, maybe the QR code of a result never issued.
  Deleted once older than the limit.

The limit (``EGOV_ORPHAN_FILE_HOURS``) is far longer than a render may take
(the task time limit), so nothing in progress is touched: a render's file is
young until its row commits.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from dataclasses import dataclass

from django.core.files.storage import default_storage

from onecounter.models import DossierDocument, WalletDocument
from onecounter.slips.documents import PART

logger = logging.getLogger(__name__)

ROOT = "dossiers"
BATCH = 500


@dataclass
class Swept:
    deleted: int = 0
    kept: int = 0


def sweep_orphan_files(*, older_than: dt.timedelta, storage=None) -> Swept:
    storage = storage or default_storage
    swept = Swept()
    try:
        top = storage.path(ROOT)
    except NotImplementedError:  # a storage without local paths: nothing to walk
        return swept
    if not os.path.isdir(top):
        return swept
    cutoff = time.time() - older_than.total_seconds()
    batch: list[str] = []
    for directory, _dirs, files in os.walk(top):
        for filename in files:
            path = os.path.join(directory, filename)
            name = os.path.relpath(path, storage.path("")).replace(os.sep, "/")
            if filename.endswith((PART, ".pdf")):
                batch.append(name)
            if len(batch) >= BATCH:
                _settle(storage, batch, cutoff, swept)
                batch = []
    _settle(storage, batch, cutoff, swept)
    if swept.deleted:
        logger.warning("orphan files: %s deleted", swept.deleted)
    return swept


def _settle(storage, batch: list[str], cutoff: float, swept: Swept) -> None:
    """Delete the files of ``batch`` that no row names and that are older than
    ``cutoff`` (a ``.part`` is never named: its write was cut off)."""
    if not batch:
        return
    owned = set(
        DossierDocument.objects.filter(file__in=batch).values_list("file", flat=True)
    ) | set(WalletDocument.objects.filter(file__in=batch).values_list("file", flat=True))
    for name in batch:
        path = storage.path(name)
        if name in owned or _mtime(path) > cutoff:
            swept.kept += 1
        elif _remove(path):
            swept.deleted += 1


def _mtime(path: str) -> float:
    try:
        return os.path.getmtime(path)
    except FileNotFoundError:
        return time.time()


def _remove(path: str) -> bool:
    try:
        os.remove(path)
    except FileNotFoundError:
        return False
    return True
