"""The harness itself: a real worker, on a real broker, sees what the test
process committed and does the work a step enqueues after commit."""

from __future__ import annotations

import pytest

from citizens.models import Role
from onecounter import transitions
from onecounter.models import DossierDocument, DossierEvent
from tests.factories import AgencyFactory, DossierFactory, MembershipFactory, ProcedureFactory
from tests.workers.conftest import wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_received_dossier_gets_its_receipt_from_the_worker_not_in_process(celery_worker):
    worker = celery_worker.start()
    agency = AgencyFactory(code="UBLB", name="UBND phường Long Biên")
    clerk = MembershipFactory(agency=agency, role=Role.CLERK).user
    dossier = DossierFactory(
        agency=agency, procedure=ProcedureFactory(name="Đăng ký khai sinh"), channel="counter"
    )

    dossier = transitions.perform(dossier, "submit", actor=dossier.applicant)
    dossier = transitions.perform(dossier, "receive", actor=clerk)

    receipt = wait_until(
        lambda: DossierDocument.objects.filter(
            dossier=dossier, kind=DossierDocument.Kind.RECEIPT, rendered_at__isnull=False
        ).first(),
        30,
        "the receipt",
    )
    with receipt.file.open("rb") as handle:
        assert handle.read(5) == b"%PDF-"
    assert (celery_worker.private_dir / receipt.file.name).exists()
    wait_until(
        lambda: not DossierEvent.objects.filter(dossier=dossier, processed_at=None).exists(),
        30,
        "both events processed",
    )
    # Ran in the worker: its log shows both runs (submit, receive).
    wait_until(lambda: worker.succeeded("onecounter.after_event") == 2, 10, "the worker's log")
