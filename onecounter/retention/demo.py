"""A destruction list for the demo to review (run by ``make demo`` after
seed_demo): six certified-copy dossiers of the demo ward, closed six and seven
years ago under a procedure kept five years, proposed by the daily job as it
would. The names are invented. Safe to run again: a ward that has a list
keeps it."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from citizens.models import Agency
from onecounter.models import DestructionList, Dossier, DossierStatus
from onecounter.retention import services
from procedures.models import Procedure

AGENCY = "UBLB"
PROCEDURE = "2.000815"  # certifying copies from originals: kept 5 years in the demo catalog
NAMES = [
    "Đỗ Thị Mẫu",
    "Phan Văn Thử",
    "Lý Thị Minh Họa",
    "Trịnh Văn Ví Dụ",
    "Hoàng Thị Giả Định",
    "Vương Văn Mô Phỏng",
]


@transaction.atomic
def seed(today: dt.date | None = None) -> int:
    """The number of dossiers on the proposed list (0 when there was one already
    or the catalog lacks the procedure)."""
    today = today or timezone.localdate()
    agency = Agency.objects.filter(code=AGENCY).first()
    procedure = Procedure.objects.filter(code=PROCEDURE).first()
    if agency is None or procedure is None:
        return 0
    if DestructionList.objects.filter(agency=agency).exists():
        return 0
    for n, name in enumerate(NAMES, start=1):
        closed = today.replace(year=today.year - 6 - n % 2) - dt.timedelta(days=11 * n)
        at = timezone.make_aware(dt.datetime.combine(closed, dt.time(9, 30)))
        Dossier.objects.get_or_create(
            code=f"{AGENCY}-{closed:%y%m%d}-{90 + n:04d}",
            defaults={
                "procedure": procedure,
                "agency": agency,
                "channel": Dossier.Channel.COUNTER,
                "status": DossierStatus.RETURNED,
                "applicant_name": name,
                "applicant_address": "Phường Long Biên, Hà Nội",
                "data": {"copies": 3},
                "created_at": at - dt.timedelta(days=3),
                "submitted_at": at - dt.timedelta(days=3),
                "received_at": at - dt.timedelta(days=3),
                "decided_at": at - dt.timedelta(days=1),
                "result_ready_at": at - dt.timedelta(days=1),
                "finished_at": at,
                "updated_at": at,
            },
        )
    proposed = services.list_propose(agency=agency, today=today)
    return proposed.items.count() if proposed else 0
