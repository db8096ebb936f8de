"""The one-stop counter in Chromium, in Vietnamese: a clerk files a walk-in
person's dossier, prints the receipt, and the dossier goes through the
officer, the head and back to the counter until the result is handed back."""

import re

import pytest

from citizens.models import Role
from onecounter.models import Dossier
from onecounter.models import DossierStatus as S
from procedures.models import FormField
from tests.browser.conftest import ARTIFACTS
from tests.conftest import enrol_totp
from tests.factories import (
    PASSWORD,
    AgencyFactory,
    MembershipFactory,
    PersonFactory,
    ProcedureFactory,
)
from workdays.services import calendar_seed

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in_with_totp(context, user, totp):
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/accounts/2fa/authenticate/")
    page.fill("input[name=code]", totp.now())
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/back-office/"))
    return page


def act(page, action, fill=None):
    """Open the action's form on the dossier page (if it has fields), fill it, send it."""
    details = page.locator(f"#action-{action}")
    if details.count():
        if details.get_attribute("open") is None:
            details.locator("summary").click()
        for name, value in (fill or {}).items():
            field = page.locator(f"[name='{action}-{name}']")
            if field.first.get_attribute("type") == "radio":
                page.check(f"[name='{action}-{name}'][value='{value}']")
            else:
                field.fill(value)
    with page.expect_navigation():
        page.locator(f"#submit-{action}").click()
    assert page.locator(".error-summary").count() == 0, page.locator(".error-summary").inner_text()


def status_of(page):
    return page.locator("#dossier-status").get_attribute("data-status")


def shoot(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
        if width == 360:
            assert page.evaluate("document.documentElement.scrollWidth") <= 360, name
    page.set_viewport_size(size)


def test_a_walk_in_dossier_from_the_counter_to_the_result_handed_back(browser, live_server):
    calendar_seed()
    agency = AgencyFactory(code="UBLB", name="UBND phường Long Biên")
    staff, totps = {}, {}
    for role in (Role.CLERK, Role.OFFICER, Role.HEAD):
        user = MembershipFactory(
            agency=agency,
            role=role,
            user__email=f"{role}@longbien.vn",
            user__full_name={"clerk": "Lê Thu Hà", "officer": "Trần Minh", "head": "Ngô An"}[role],
        ).user
        staff[role], totps[role] = user, enrol_totp(user)
    procedure = ProcedureFactory(name="Đăng ký kết hôn", code="1.000894", days_counter=5)
    procedure.offered_by.add(agency)
    FormField.objects.create(
        procedure=procedure, key="spouse_name", label="Họ tên người kia", kind="text", page=1
    )
    FormField.objects.create(
        procedure=procedure, key="certificate", label="Giấy xác nhận", kind="file", page=2
    )
    person = PersonFactory(full_name="Phạm Văn Đức", sex="M")

    def context():
        ctx = browser.new_context(
            base_url=live_server.url, locale="vi-VN", viewport={"width": 1280, "height": 900}
        )
        ctx.set_default_timeout(20_000)
        return ctx

    contexts = [context() for _ in range(3)]
    try:
        clerk = sign_in_with_totp(contexts[0], staff[Role.CLERK], totps[Role.CLERK])
        assert clerk.locator("html").get_attribute("lang") == "vi"

        # 1. The clerk files the walk-in person's dossier at the counter.
        clerk.goto("/back-office/agencies/UBLB/dossiers/")
        clerk.locator("#start-intake").click()
        clerk.wait_for_url("**/dossiers/intake/")
        clerk.fill("input[name=id_number]", person.id_number)
        clerk.locator("#find-person").click()
        clerk.wait_for_url("**/intake/procedure/")
        assert person.full_name in clerk.locator("[data-testid=intake-person]").inner_text()
        clerk.check(f"input[name=procedure][value='{procedure.pk}']")
        clerk.locator("#choose-procedure").click()
        clerk.wait_for_url("**/intake/answers/1/")
        clerk.fill("input[name=spouse_name]", "Nguyễn Thị Mai")
        clerk.locator("#save-answers").click()
        clerk.wait_for_url("**/intake/answers/2/")
        clerk.check("input[name=certificate]")
        clerk.locator("#save-answers").click()
        clerk.wait_for_url("**/intake/contact/")
        clerk.fill("input[name=phone]", "0912345678")
        clerk.locator("#save-contact").click()
        clerk.wait_for_url("**/intake/confirm/")
        shoot(clerk, "counter-journey-intake-confirm")
        clerk.locator("#confirm-intake").click()
        clerk.wait_for_url(re.compile(r"/dossiers/[0-9a-f-]{36}/$"))
        dossier = Dossier.objects.get(applicant_person=person)
        dossier_url = f"/back-office/agencies/UBLB/dossiers/{dossier.pk}/"
        assert clerk.locator("[data-testid=dossier-code]").inner_text() == dossier.code
        assert (
            dossier.due_date.strftime("%d/%m/%Y")
            in clerk.locator("[data-testid=due-date]").inner_text()
        )

        # The receipt PDF (rendered after commit; refresh while it is being prepared).
        for _ in range(10):
            if clerk.locator("#receipt-link").count():
                break
            clerk.wait_for_timeout(500)
            clerk.reload()
        href = clerk.locator("#receipt-link").get_attribute("href")
        response = clerk.request.get(href)
        assert response.status == 200
        assert response.headers["content-type"] == "application/pdf"
        assert response.body().startswith(b"%PDF")

        # 2. The officer takes it and asks for a supplement.
        officer = sign_in_with_totp(contexts[1], staff[Role.OFFICER], totps[Role.OFFICER])
        officer.goto("/back-office/agencies/UBLB/dossiers/?view=unassigned")
        officer.locator(f"tr[data-dossier='{dossier.code}'] a").click()
        officer.wait_for_url(f"**{dossier_url}")
        act(officer, "assign")
        assert status_of(officer) == S.IN_PROCESSING
        act(officer, "request_supplement", {"items": "Giấy xác nhận tình trạng hôn nhân"})
        assert status_of(officer) == S.AWAITING_SUPPLEMENT

        # 3. The person brings it to the counter; the clerk records it.
        clerk.goto(dossier_url)
        act(clerk, "supply", {"reason": "Bản gốc đã kiểm tra"})
        assert status_of(clerk) == S.IN_PROCESSING

        # 4. The officer proposes approval.
        officer.goto("/back-office/agencies/UBLB/dossiers/")
        assert officer.locator(f"tr[data-dossier='{dossier.code}']").count() == 1
        officer.goto(dossier_url)
        act(officer, "propose", {"decision": "approve", "reason": "Đủ điều kiện"})
        assert status_of(officer) == S.PROPOSED

        # 5. The head signs.
        head = sign_in_with_totp(contexts[2], staff[Role.HEAD], totps[Role.HEAD])
        head.goto("/back-office/agencies/UBLB/dossiers/")
        assert head.locator(f"tr[data-dossier='{dossier.code}']").count() == 1
        shoot(head, "counter-journey-queue")
        head.locator(f"tr[data-dossier='{dossier.code}'] a").click()
        head.wait_for_url(f"**{dossier_url}")
        shoot(head, "counter-journey-dossier-to-sign")
        act(head, "approve")
        assert status_of(head) == S.APPROVED

        # 6. The officer marks the result ready; 7. the clerk hands it back.
        officer.goto(dossier_url)
        act(officer, "mark_result_ready")
        assert status_of(officer) == S.RESULT_READY
        clerk.goto("/back-office/agencies/UBLB/dossiers/?view=to_hand_back")
        clerk.locator(f"tr[data-dossier='{dossier.code}'] a").click()
        clerk.wait_for_url(f"**{dossier_url}")
        act(clerk, "hand_back", {"received_by": "applicant"})
        assert status_of(clerk) == S.RETURNED
        shoot(clerk, "counter-journey-dossier")

        dossier.refresh_from_db()
        assert dossier.status == S.RETURNED
        assert [e.action for e in dossier.events.order_by("seq")] == [
            "submit", "receive", "assign", "request_supplement", "supply", "propose",
            "approve", "mark_result_ready", "hand_back",
        ]  # fmt: skip
    finally:
        for ctx in contexts:
            ctx.close()
