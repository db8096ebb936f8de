"""The ward head's operations pages in Chromium, on a phone, in Vietnamese:
the failures (the header's count, a step out of disk retried and gone, a
notice marked handled only with a reason), then the destruction list of old
closed dossiers (one kept with a reason, the list approved, the rest reduced
to stubs)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from citizens.models import Role
from onecounter.models import DestructionList, Dossier, DossierDocument, DossierEvent, Notification
from onecounter.models import DossierStatus as S
from onecounter.notifications.services import MAX_ATTEMPTS
from onecounter.retention import services as retention
from onecounter.tasks import MAX_SWEEP_ATTEMPTS
from procedures.models import Procedure
from tests.browser.test_birth_journey import (  # noqa: F401 (fixtures)
    PHONE,
    _clean_cache,
    fits,
    shot,
    sign_in_staff,
    world,
)
from tests.factories import DossierFactory

pytestmark = pytest.mark.django_db(transaction=True)


def failed_step(world):  # noqa: F811 - the fixture's value
    """A received dossier whose slips could not be written (the disk was full),
    which the sweep gave up on after its 20 attempts."""
    dossier = DossierFactory(
        agency=world["agencies"]["UBLB"],
        procedure=Procedure.objects.get(code="1.000656"),
        code="UBLB-261207-0042",
        status=S.RECEIVED,
        applicant_name="Lê Văn Khánh",
        received_at=timezone.now() - dt.timedelta(hours=3),
        due_date=timezone.localdate() + dt.timedelta(days=3),
    )
    event = DossierEvent.objects.create(
        dossier=dossier,
        seq=1,
        action="receive",
        from_status=S.SUBMITTED,
        to_status=S.RECEIVED,
        at=timezone.now() - dt.timedelta(hours=3),
        attempts=MAX_SWEEP_ATTEMPTS,
        last_error="OSError: [Errno 28] No space left on device",
    )
    notice = Notification.objects.create(
        dossier=dossier,
        email="khanh@example.vn",
        email_sent_at=timezone.now() - dt.timedelta(hours=2),
        phone="0912345678",
        subject="Hồ sơ UBLB-261207-0042",
        body="Hồ sơ đã được tiếp nhận.",
        created_at=timezone.now() - dt.timedelta(hours=2),
        attempts=MAX_ATTEMPTS,
        last_error="sms: SmsError: the SMS gateway answered 503 Service Unavailable",
    )
    return dossier, event, notice


def old_closed_dossiers(world, count: int) -> list[Dossier]:  # noqa: F811
    procedure = Procedure.objects.get(code="2.000815")  # kept 5 years in the catalog
    assert procedure.retention_dossier_years == 5
    closed = timezone.now() - dt.timedelta(days=6 * 366)
    return [
        DossierFactory(
            agency=world["agencies"]["UBLB"],
            procedure=procedure,
            code=f"UBLB-200301-{n:04d}",
            status=S.RETURNED,
            applicant_name=f"Người nộp {n}",
            applicant_address="Số 5 phố Ngọc Lâm",
            data={"copies": 2},
            decided_at=closed,
            finished_at=closed,
        )
        for n in range(1, count + 1)
    ]


def test_the_ward_head_clears_the_failures_and_approves_a_destruction_list(
    browser,
    live_server,
    world,  # noqa: F811 (the fixture imported above)
):
    dossier, event, notice = failed_step(world)
    old = old_closed_dossiers(world, 3)
    proposed = retention.list_propose(agency=world["agencies"]["UBLB"])
    assert proposed is not None and proposed.items.count() == 3

    contexts: list = []
    try:
        page = sign_in_staff(browser, live_server, world, ("UBLB", Role.HEAD), contexts)
        page.set_viewport_size(PHONE)

        # The header counts the open failures; the page names each in plain words
        page.goto("/back-office/failures/")
        assert page.locator("[data-testid=open-failures]").inner_text().startswith("2")
        rows = page.locator("[data-testid=failures] tbody tr")
        assert rows.count() == 2
        table = page.locator("[data-testid=failures]").inner_text()
        assert "UBLB-261207-0042" in table
        assert "Không lưu được tệp" in table  # the disk, in plain words
        assert "SMS: không gửi được" in table
        assert fits(page)
        shot(page, "operations-failures")

        # Retry the step: its slips are written, and it leaves the list
        page.locator("tr[data-kind=event] a").first.click()
        page.wait_for_url("**/back-office/failures/event/**")
        with page.expect_navigation():
            page.locator("#retry").click()
        event.refresh_from_db()
        assert event.processed_at is not None
        kinds = set(
            DossierDocument.objects.filter(dossier=dossier)
            .exclude(file="")
            .values_list("kind", flat=True)
        )
        assert {"receipt", "tracking"} <= kinds
        page.goto("/back-office/failures/")
        assert page.locator("[data-testid=failures] tbody tr").count() == 1
        assert page.locator("[data-testid=open-failures]").inner_text().startswith("1")

        # Mark the notice handled: refused without a reason, kept with one
        page.locator("tr[data-kind=notice] a").first.click()
        page.wait_for_url("**/back-office/failures/notice/**")
        with page.expect_navigation():
            page.locator("#handle").click()
        assert page.locator(".error-summary, [role=alert]").count() >= 1
        page.fill("#form-handle textarea", "Đã gọi điện báo cho người nộp.")
        with page.expect_navigation():
            page.locator("#handle").click()
        page.goto("/back-office/failures/")
        assert page.locator("[data-testid=open-failures]").count() == 0
        page.goto("/back-office/failures/?status=handled")
        assert "Đã gọi điện báo cho người nộp." in page.locator("main").inner_text()

        # The destruction list: keep one dossier with a reason, approve the rest
        page.goto("/back-office/retention/")
        page.locator(f"a[href$='/back-office/retention/{proposed.pk}/']").first.click()
        page.wait_for_url(f"**/back-office/retention/{proposed.pk}/")
        assert all(d.code in page.locator("[data-testid=items]").inner_text() for d in old)
        assert fits(page)
        shot(page, "operations-retention-list")
        kept = proposed.items.get(dossier=old[0])
        page.locator(f"[data-testid=exclude-{kept.pk}]").click()
        page.fill("textarea", "Đang có khiếu nại liên quan, giữ lại.")
        with page.expect_navigation():
            page.locator("[data-testid=keep]").click()
        page.fill("#form-decide textarea", "Đã đối chiếu thời hạn lưu trữ.")
        with page.expect_navigation():
            page.locator("[data-testid=approve]").click()
        page.reload()
        assert page.locator("[data-testid=list-status]").get_attribute("data-status") == "executed"
    finally:
        for context in contexts:
            context.close()

    proposed.refresh_from_db()
    assert proposed.status == DestructionList.Status.EXECUTED
    for dossier_ in old:
        dossier_.refresh_from_db()
    assert old[0].purged_at is None and old[0].applicant_name == "Người nộp 1"
    for stub in old[1:]:
        assert stub.purged_at is not None and stub.data == {}
        assert stub.code and stub.status == S.RETURNED  # the stub keeps its record
        assert "Người nộp" not in stub.applicant_name
    notice.refresh_from_db()
    assert notice.sms_sent_at is None  # handled outside the portal, not re-sent
