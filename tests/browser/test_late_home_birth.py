"""A late birth at home, filed on a 360 px phone in Vietnamese: the late
registration's questions appear once the date of birth is more than 60 days
back, the witness's statement is asked for up front on the documents step, and
the catalog's late-registration fee is paid online before the dossier is sent.
Screenshots: var/test-artifacts/late-home-birth-*.png."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from onecounter.models import Dossier, Payment
from tests.browser.test_birth_journey import (  # noqa: F401 (fixtures: world, _clean_cache)
    PHONE,
    _clean_cache,
    continue_,
    fits,
    new_context,
    text,
    world,
)
from tests.browser.test_my_record import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def shot(page, name: str) -> None:
    from tests.browser.conftest import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"late-home-birth-{name}.png"), full_page=True)


def test_a_late_home_birth_asks_its_questions_and_the_witness_up_front_and_pays_its_fee(
    browser,
    live_server,
    world,  # noqa: F811 (the birth journey's fixture)
):
    born = timezone.localdate() - dt.timedelta(days=90)
    context = new_context(browser, live_server, PHONE)
    try:
        page = context.new_page()
        sign_in(page, world["parent"].email)
        page.goto("/file/start/1.001193/")
        page.locator("button[name=start]").click()
        page.wait_for_url(re.compile(r"/file/[0-9a-f-]{36}/page/1/$"))
        dossier = Dossier.objects.get(applicant=world["parent"])
        page.locator("input[name=declarer_relation][value=mother]").check()
        continue_(page)
        page.fill("#id_full_name", "Trần Minh Khôi")
        page.locator("input[name=sex][value=M]").check()
        page.fill("#id_native_place", "Xã Đông Anh, Thành phố Hà Nội")
        page.fill("#id_birth_order", "1")
        continue_(page)
        page.wait_for_url(f"**/file/{dossier.pk}/page/3/")

        # On time by default: the late registration's questions are not asked.
        assert page.locator("#id_late_reason").count() == 0
        page.fill("#id_birth_date", born.isoformat())
        page.fill("#id_birth_address_0", "Số 5 phố Ngọc Lâm")
        page.select_option("#id_birth_address_1", world["ward"].code)
        page.locator("input[name=birth_evidence][value=witness_statement]").check()
        with page.expect_navigation():
            page.locator("button[name=continue]").click()
        # Late (90 days): now its questions are asked, and nothing typed is lost.
        assert page.locator("#id_late_reason").is_visible()
        assert page.input_value("#id_birth_address_0") == "Số 5 phố Ngọc Lâm"
        page.fill("#id_late_reason", "Gia đình ở xa, không kịp đăng ký")
        page.locator("#id_never_registered").check()
        assert fits(page)
        shot(page, "03-birth-late")
        continue_(page)
        page.wait_for_url(f"**/file/{dossier.pk}/page/4/")
        page.fill("#id_health_facility", "Trạm y tế phường Long Biên")
        continue_(page)
        page.wait_for_url(f"**/file/{dossier.pk}/documents/")

        # The witness's statement is asked for here, as required, before any check.
        documents = text(page)
        assert "Người làm chứng" in documents or "người làm chứng" in documents, documents
        assert page.locator("#id_q-evidence_document").is_visible()
        assert fits(page)
        shot(page, "04-documents")
        declaration = dossier.procedure.documents.get(name__startswith="Tờ khai")
        page.set_input_files(f"#id_doc-{declaration.pk}", str(world["declaration"]))
        with page.expect_navigation():
            page.locator("button[name=continue]").click()
        assert page.locator(".error-summary").is_visible()  # the statement is missing
        assert f"/file/{dossier.pk}/documents/" in page.url
        page.set_input_files("#id_q-evidence_document", str(world["declaration"]))
        page.set_input_files("#id_q-birth_facts_document", str(world["certificate"]))
        certificate = dossier.procedure.documents.filter(name__startswith="Giấy chứng sinh")
        for slot in certificate:
            locator = page.locator(f"#id_doc-{slot.pk}")
            if locator.count():
                locator.set_input_files(str(world["certificate"]))
        continue_(page)
        page.wait_for_url(f"**/file/{dossier.pk}/check/")
        fee_note = page.locator("main .inset").filter(has_text="đồng").inner_text()
        assert re.search(r"8\D?000 đồng", fee_note), fee_note  # the late fee, before sending
        shot(page, "05-check")

        page.locator("#id_declaration").check()
        page.locator("button[name=send]").click()
        page.wait_for_url(f"**/payments/{dossier.pk}/start/")
        assert "8.000" in page.locator("#payment-amount").inner_text()
        page.locator("#pay-now").click()
        page.wait_for_url(re.compile(r"/payments/test-gateway/[^/]+/"))
        page.locator("#gateway-pay").click()
        page.wait_for_url(re.compile(r"/payments/return/test/"))
        assert page.locator("#payment-result").get_attribute("data-state") == "paid"
        page.locator("#continue").click()
        page.wait_for_url(f"**/file/{dossier.pk}/submitted/")
        assert fits(page)
        shot(page, "06-submitted")
    finally:
        context.close()
    dossier.refresh_from_db()
    assert dossier.data["late"] is True and dossier.fee == 8000 and dossier.paid_at is not None
    assert Payment.objects.get(dossier=dossier, status=Payment.Status.PAID).amount == 8000
