"""Demo failures, so that the failures page shows each kind an operator meets
(run by ``make demo`` after the demo's dossiers exist): a step whose slips ran
out of disk and that the sweep gave up on, a notice the SMS gateway refused,
a population import that stopped on a bad file and one with rejected rows.
Every row is an ordinary row in the state a real failure leaves; Retry and
Resend then work for real (the disk and the gateway are fine in the demo).
Safe to run again: a database that has them is left as it is."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from citizens.models import PopulationImport
from onecounter.models import DossierEvent, Notification
from onecounter.notifications.services import MAX_ATTEMPTS as NOTICE_MAX_ATTEMPTS
from onecounter.tasks import MAX_SWEEP_ATTEMPTS

AGENCY = "UBLB"
BAD_FILE = "dan-cu-phuong-long-bien-2026-11.csv"
REJECTS_FILE = "dan-cu-phuong-bo-de-2026-11.csv"


@transaction.atomic
def seed(now: dt.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    if PopulationImport.objects.filter(file_name=BAD_FILE).exists():
        return {"events": 0, "notices": 0, "imports": 0}
    done = {"events": 0, "notices": 0, "imports": 0}

    event = (
        DossierEvent.objects.filter(dossier__agency__code=AGENCY, action="receive")
        .exclude(processed_at__isnull=True)
        .order_by("-at")
        .first()
    )
    if event is not None:
        DossierEvent.objects.filter(pk=event.pk).update(
            processed_at=None,
            attempts=MAX_SWEEP_ATTEMPTS,
            last_error="OSError: [Errno 28] No space left on device",
        )
        done["events"] = 1

    notice = (
        Notification.objects.filter(dossier__agency__code=AGENCY)
        .exclude(email="")
        .order_by("-created_at")
        .first()
    )
    failed_sms = {
        "sms_sent_at": None,
        "attempts": NOTICE_MAX_ATTEMPTS,
        "last_error": "sms: SmsError: the SMS gateway answered 503 Service Unavailable",
    }
    if notice is not None:
        Notification.objects.filter(pk=notice.pk).update(
            phone=notice.phone or "0912345678", **failed_sms
        )
        done["notices"] = 1
    elif event is not None:  # the demo's history sends no notices: one of its own
        dossier = event.dossier
        Notification.objects.create(
            dossier=dossier,
            user=dossier.applicant,
            email=dossier.applicant_email or "congdan@example.vn",
            email_sent_at=now - dt.timedelta(hours=2),
            phone=dossier.applicant_phone or "0912345678",
            subject=f"Hồ sơ {dossier.code} đã được tiếp nhận",
            body=f"Hồ sơ {dossier.code} đã được tiếp nhận.",
            created_at=now - dt.timedelta(hours=2),
            **failed_sms,
        )
        done["notices"] = 1

    PopulationImport.objects.create(
        file_name=BAD_FILE,
        started_at=now - dt.timedelta(hours=20),
        finished_at=now - dt.timedelta(hours=20, minutes=-1),
        status=PopulationImport.Status.FAILED,
        error="Required column(s) missing: birth_date.",
        host="demo",
    )
    PopulationImport.objects.create(
        file_name=REJECTS_FILE,
        started_at=now - dt.timedelta(hours=3),
        finished_at=now - dt.timedelta(hours=2, minutes=50),
        status=PopulationImport.Status.DONE,
        rows_read=12_480,
        inserted=12_391,
        rejected=89,
        rejects_file="dan-cu-phuong-bo-de-2026-11.rejects.csv",
        host="demo",
    )
    done["imports"] = 2
    return done
