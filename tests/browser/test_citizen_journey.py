"""A citizen's whole journey in Chromium, in Vietnamese, on a desktop and on a
360px phone: file a full-online "form" procedure with a fee, pay on the test
gateway, answer a supplement request, get the result in My documents,
download it and rate the service.

Through the browser: every citizen step; the clerk receiving and assigning
the dossier; the officer asking for the supplement (staff sign in with TOTP).
Through test code (``transitions.perform``, to save time): the officer's
proposal, the head's approval and "result ready" (the counter journey drives
those same steps through the back-office pages).

Elements are found by name, id, data-testid or URL, never by wording.
Screenshots go to var/test-artifacts/ (citizen-journey-*.png).
"""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from citizens.models import IdentityLink, Role
from onecounter import transitions
from onecounter.models import (
    Dossier,
    DossierDocument,
    Payment,
    Rating,
    SupplementRequest,
    WalletDocument,
)
from onecounter.models import DossierStatus as S
from procedures.models import FormField
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_counter_journey import act, sign_in_with_totp, status_of
from tests.browser.test_my_record import sign_in
from tests.conftest import enrol_totp
from tests.factories import AgencyFactory, MembershipFactory, ProcedureFactory
from tests.test_my_record import PDF, make_family
from workdays.services import calendar_seed

pytestmark = pytest.mark.django_db(transaction=True)

FEE = 50_000


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def journey(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }
    settings.EGOV_PAYMENT_PROVIDER = "test"
    settings.EGOV_TEST_PAYMENT_SECRET = "test-gateway-secret-for-tests"
    calendar_seed()

    family = make_family()
    IdentityLink.objects.create(
        user=family["user"], person=family["father"], level=1, method="self"
    )
    agency = AgencyFactory(code="UBLB", name="UBND phường Long Biên")
    staff, totps = {}, {}
    for role in (Role.CLERK, Role.OFFICER, Role.HEAD):
        user = MembershipFactory(agency=agency, role=role, user__email=f"{role}@longbien.vn").user
        staff[role], totps[role] = user, enrol_totp(user)

    procedure = ProcedureFactory(
        name="Cấp bản sao trích lục hộ tịch",
        code="2.000635",
        online_level="full",
        handler="form",
        fee_online=FEE,
        fee_counter=60_000,
        identity_level=1,
        days_online=3,
        days_counter=5,
    )
    procedure.offered_by.add(agency)
    FormField.objects.create(
        procedure=procedure, key="purpose", label="Mục đích", kind="text", page=1, order=1
    )
    FormField.objects.create(
        procedure=procedure,
        key="copies",
        label="Số bản sao",
        kind="number",
        page=2,
        order=2,
        min_value=1,
        max_value=5,
    )
    procedure.documents.create(name="Tờ khai", name_en="Declaration form", order=1)

    pdf = tmp_path / "to-khai.pdf"
    pdf.write_bytes(PDF)
    extra = tmp_path / "giay-xac-nhan.pdf"
    extra.write_bytes(PDF)
    return {
        **family,
        "agency": agency,
        "procedure": procedure,
        "staff": staff,
        "totps": totps,
        "pdf": pdf,
        "extra": extra,
    }


def shot(page, tag: str, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"citizen-journey-{tag}-{name}.png"), full_page=True)


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def staff_context(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, locale="vi-VN", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(20_000)
    return context


@pytest.mark.parametrize("viewport", ["page", "phone_page"], ids=["desktop", "360"])
def test_a_citizen_files_pays_supplements_gets_the_result_and_rates(
    request, browser, live_server, journey, viewport
):
    page = request.getfixturevalue(viewport)
    page.context.set_default_timeout(20_000)
    phone = viewport == "phone_page"
    tag = "360" if phone else "desktop"
    procedure, father, user = journey["procedure"], journey["father"], journey["user"]
    staff, totps = journey["staff"], journey["totps"]

    # --- 1. The citizen files online (browser) -------------------------------------------
    sign_in(page, user.email)
    assert page.locator("html").get_attribute("lang") == "vi"
    page.goto(f"/procedures/{procedure.code}/")
    page.locator("[data-testid=file-online]").click()
    page.wait_for_url(f"**/file/start/{procedure.code}/")
    # He has a minor child: the dossier is about himself.
    page.locator("input[name=subject][value=self]").check()
    page.locator("button[name=start]").click()
    page.wait_for_url(re.compile(r"/file/[0-9a-f-]{36}/page/1/$"))
    dossier = Dossier.objects.get()
    assert dossier.status == S.DRAFT

    # What the population record says is shown, read-only (no inputs for it).
    about = page.locator("[data-testid=about-applicant]")
    assert father.id_number in about.inner_text()
    assert father.full_name in about.inner_text()
    assert about.locator("input, select, textarea").count() == 0
    if phone:
        assert fits(page)
    page.fill("#id_purpose", "Bổ sung hồ sơ xin việc")
    page.locator("button[name=continue]").click()
    page.wait_for_url(f"**/file/{dossier.pk}/page/2/")
    page.fill("#id_copies", "2")
    page.locator("button[name=continue]").click()
    page.wait_for_url(f"**/file/{dossier.pk}/documents/")

    slot = f"doc-{procedure.documents.get().pk}"
    page.set_input_files(f"#id_{slot}", str(journey["pdf"]))
    page.locator("button[name=continue]").click()
    page.wait_for_url(f"**/file/{dossier.pk}/check/")
    assert "Bổ sung hồ sơ xin việc" in page.locator("[data-testid=answers-1]").inner_text()
    if phone:
        assert fits(page)
    shot(page, tag, "check")

    # --- 2. Declaration, then the test gateway (browser) ---------------------------------
    page.locator("#id_declaration").check()
    page.locator("button[name=send]").click()
    page.wait_for_url(f"**/payments/{dossier.pk}/start/")
    assert "50.000" in page.locator("#payment-amount").inner_text()
    page.locator("#pay-now").click()
    page.wait_for_url(re.compile(r"/payments/test-gateway/[^/]+/"))
    assert page.locator("#test-gateway-warning").is_visible()
    shot(page, tag, "gateway")
    page.locator("#gateway-pay").click()
    page.wait_for_url(re.compile(r"/payments/return/test/"))
    assert page.locator("#payment-result").get_attribute("data-state") == "paid"
    page.locator("#continue").click()
    page.wait_for_url(f"**/file/{dossier.pk}/submitted/")
    code = page.locator("[data-testid=dossier-code]").inner_text().strip()
    assert re.fullmatch(r"UBLB-\d{6}-\d{4}", code)
    if phone:
        assert fits(page)
    shot(page, tag, "submitted")

    dossier.refresh_from_db()
    assert dossier.code == code and dossier.status == S.SUBMITTED
    assert dossier.paid_at is not None
    payments = Payment.objects.filter(dossier=dossier)
    assert payments.count() == 1
    assert payments.get().status == Payment.Status.PAID and payments.get().amount == FEE

    # --- 3. Clerk receives and assigns; officer asks for a supplement (browser) ----------
    dossier_url = f"/back-office/agencies/UBLB/dossiers/{dossier.pk}/"
    contexts = [staff_context(browser, live_server) for _ in range(2)]
    try:
        clerk = sign_in_with_totp(contexts[0], staff[Role.CLERK], totps[Role.CLERK])
        clerk.goto(dossier_url)
        assert clerk.locator("[data-testid=dossier-code]").inner_text() == code
        act(clerk, "receive")
        assert status_of(clerk) == S.RECEIVED
        details = clerk.locator("#action-assign")
        if details.get_attribute("open") is None:
            details.locator("summary").click()
        clerk.select_option("[name='assign-officer']", str(staff[Role.OFFICER].pk))
        act(clerk, "assign")
        assert status_of(clerk) == S.IN_PROCESSING
        dossier.refresh_from_db()
        assert dossier.assigned_to == staff[Role.OFFICER]

        officer = sign_in_with_totp(contexts[1], staff[Role.OFFICER], totps[Role.OFFICER])
        officer.goto(dossier_url)
        act(officer, "request_supplement", {"items": "Giấy xác nhận tình trạng hôn nhân"})
        assert status_of(officer) == S.AWAITING_SUPPLEMENT
    finally:
        for context in contexts:
            context.close()
    dossier.refresh_from_db()
    assert dossier.status == S.AWAITING_SUPPLEMENT
    supplement = SupplementRequest.objects.get(dossier=dossier)
    assert [str(i) for i in supplement.items] == ["Giấy xác nhận tình trạng hôn nhân"]

    # --- 4. The citizen answers the supplement with an upload (browser) ------------------
    page.goto("/me/dossiers/")
    page.locator(f"#dossier-{dossier.pk} a[href='/me/dossiers/{dossier.pk}/']").first.click()
    page.wait_for_url(f"**/me/dossiers/{dossier.pk}/")
    assert page.locator("[data-testid=dossier-code]").inner_text() == code
    # The citizen's page shows the public status key ("waiting for your documents").
    assert page.locator("#dossier-status").get_attribute("data-status") == "awaiting_documents"
    assert page.locator("#ask").get_attribute("data-ask") == "send_documents"
    if phone:
        assert fits(page)
    shot(page, tag, "supplement-asked")
    page.locator("#answer-supplement").click()
    page.wait_for_url(f"**/me/dossiers/{dossier.pk}/supplement/")
    page.set_input_files("#id_file_0", str(journey["extra"]))
    page.fill("#id_note", "Gửi bổ sung giấy xác nhận.")
    page.locator("#send-supplement").click()
    page.wait_for_url(f"**/me/dossiers/{dossier.pk}/")
    assert page.locator("#dossier-status").get_attribute("data-status") == S.IN_PROCESSING
    dossier.refresh_from_db()
    supplement.refresh_from_db()
    assert dossier.status == S.IN_PROCESSING
    assert supplement.answered_at is not None
    assert supplement.attachments.exclude(file="").count() == 1

    # --- 5. Propose, approve, result ready (test code, to save time) ---------------------
    transitions.perform(
        dossier, "propose", actor=staff[Role.OFFICER], reason="Đủ điều kiện", decision="approve"
    )
    transitions.perform(dossier, "approve", actor=staff[Role.HEAD])
    transitions.perform(dossier, "mark_result_ready", actor=staff[Role.OFFICER])
    dossier.refresh_from_db()
    assert dossier.status == S.RESULT_READY
    result = DossierDocument.objects.get(dossier=dossier, kind=DossierDocument.Kind.RESULT)
    assert result.file  # rendered after the commit (Celery is eager in tests)
    item = WalletDocument.objects.get(owner=user, document=result)
    assert item.source == WalletDocument.Source.ISSUED and item.dossier_id == dossier.pk

    # --- 6. The citizen takes the result, finds it in My documents, downloads it ---------
    page.goto(f"/me/dossiers/{dossier.pk}/")
    assert page.locator("#dossier-status").get_attribute("data-status") == S.RESULT_READY
    assert page.locator("#ask").get_attribute("data-ask") == "download_result"
    page.locator("#receive-result").click()
    page.wait_for_url(f"**/me/dossiers/{dossier.pk}/")
    assert page.locator("#dossier-status").get_attribute("data-status") == S.RETURNED
    dossier.refresh_from_db()
    assert dossier.status == S.RETURNED

    page.goto("/me/documents/")
    entry = page.locator(f"#document-{item.pk}")
    assert entry.is_visible()
    assert entry.locator(f"a[href='/me/dossiers/{dossier.pk}/']").inner_text() == code
    if phone:
        assert fits(page)
    shot(page, tag, "my-documents")
    href = entry.locator("h3 a").get_attribute("href")
    assert href == f"/me/documents/{item.pk}/"
    response = page.request.get(href)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")
    assert WalletDocument.objects.filter(owner=user, dossier=dossier).count() == 1

    # --- 7. The citizen rates the service (browser) --------------------------------------
    page.goto(f"/me/dossiers/{dossier.pk}/")
    assert page.locator("#ask").get_attribute("data-ask") == "rate"
    page.locator("#rating input[name=score][value='5']").check()
    page.fill("#rating textarea[name=comment]", "Nhanh chóng, thuận tiện.")
    page.locator("#submit-rating").click()
    page.wait_for_url(f"**/me/dossiers/{dossier.pk}/")
    assert page.locator("#rating .rating-given").is_visible()
    assert page.locator("#submit-rating").count() == 0
    if phone:
        assert fits(page)
    shot(page, tag, "rated")
    rating = Rating.objects.get(dossier=dossier)
    assert rating.score == 5 and rating.comment == "Nhanh chóng, thuận tiện."

    # The whole trail, once each.
    assert Payment.objects.filter(dossier=dossier, status=Payment.Status.PAID).count() == 1
    assert [e.action for e in dossier.events.order_by("seq")] == [
        "submit", "receive", "assign", "request_supplement", "supply", "propose",
        "approve", "mark_result_ready", "hand_back",
    ]  # fmt: skip
