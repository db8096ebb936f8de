"""What a procedure handler sees of a dossier (``procedures`` must not import
``onecounter``): the ``DossierView`` protocol of ``procedures.handlers.registry``."""

from __future__ import annotations

from onecounter.models import Dossier


class DossierRef:
    """A dossier as a handler sees it: its reference (code, else id), agency,
    answers, applicant and subject; ``pk``, ``code``, ``status`` and
    ``submitted_at`` to name and order it."""

    def __init__(self, dossier: Dossier):
        self.pk = dossier.pk
        self.code = dossier.code or ""
        self.status = dossier.status
        self.submitted_at = dossier.submitted_at
        # Approved (or rejected) already: its effects have happened.
        self.decided = dossier.decided_at is not None
        self.reference = dossier.code or str(dossier.pk)
        self.agency = dossier.agency
        self.data = dossier.data
        self.applicant = dossier.applicant
        self.subject = dossier.subject_person
