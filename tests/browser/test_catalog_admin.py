"""The catalog in Chromium, in Vietnamese: a catalog administrator builds and
publishes a simple procedure, and citizens find it in the public catalog.

Elements are found by name, id, role or URL, not by their Vietnamese text,
which is being translated concurrently.
"""

import re

import pytest

from citizens.models import Role
from procedures.models import FormField, Procedure
from tests.conftest import enrol_totp
from tests.factories import (
    PASSWORD,
    AgencyFactory,
    FieldFactory,
    MembershipFactory,
    ProcedureFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in_with_totp(page, user, totp):
    page.goto("/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("input[name=password]").press("Enter")
    page.wait_for_url("**/accounts/2fa/authenticate/")
    page.fill("input[name=code]", totp.now())
    page.locator("input[name=code]").press("Enter")
    page.wait_for_url(re.compile(r"/back-office/"))


def test_a_catalog_administrator_builds_and_publishes_a_procedure_that_citizens_then_find(
    page,
):
    city = AgencyFactory(code="VPUB", name="Văn phòng UBND thành phố Hà Nội", kind="department")
    ward = AgencyFactory(code="UBLB", name="UBND phường Long Biên")
    field = FieldFactory(code="certification", name="Chứng thực", name_en="Certification")
    admin = UserFactory(email="danhmuc@hanoi.vn", full_name="Vũ Thị Lan")
    MembershipFactory(user=admin, agency=city, role=Role.CATALOG_ADMIN)
    totp = enrol_totp(admin)

    sign_in_with_totp(page, admin, totp)
    page.goto("/back-office/agencies/VPUB/")
    page.locator("#catalog-admin-link").click()
    page.wait_for_url("**/back-office/catalog/")
    page.locator("#new-procedure").click()
    page.wait_for_url("**/back-office/catalog/new/")

    page.fill("input[name=code]", "HN.CT.77")
    page.fill("input[name=name]", "Xác nhận bản dịch thử nghiệm")
    page.fill("input[name=name_en]", "Confirming a test translation")
    page.select_option("select[name=field]", str(field.pk))
    page.check("input[name=level][value=commune]")
    page.select_option("select[name=agency_kind]", "peoples_committee")
    page.check(f"input[name=offered_by][value='{ward.pk}']")
    page.check("input[name=online_level][value=full]")
    page.check("input[name=identity_level][value='1']")
    page.select_option("select[name=handler]", "form")
    page.fill("input[name=days_online]", "2")
    page.fill("input[name=days_counter]", "4")
    page.fill("input[name=fee_online]", "10000")
    page.fill("input[name=fee_counter]", "20000")
    page.fill("textarea[name=summary]", "Xác nhận bản dịch giấy tờ.")
    page.fill("input[name=result_document]", "Bản dịch được xác nhận")
    page.locator("button[name=save]").click()
    page.wait_for_url(re.compile(r"/back-office/catalog/[0-9a-f-]{36}/$"))
    procedure = Procedure.objects.get(code="HN.CT.77")
    assert not procedure.is_published

    # Question 1 (page 1), then "add another" keeps the form open for question 2.
    page.locator("#add-question").click()
    page.wait_for_url("**/questions/new/")
    page.fill("input[name=label]", "Tên giấy tờ cần dịch")
    page.fill("input[name=label_en]", "Document to translate")
    page.check("input[name=kind][value=text]")
    page.fill("input[name=max_length]", "200")
    page.locator("button[name=add_another]").click()
    page.wait_for_url(re.compile(r"/questions/new/\?page=1$"))

    # A choice question without choices is refused and keeps what was typed.
    page.fill("input[name=label]", "Ngôn ngữ")
    page.check("input[name=kind][value=choice]")
    page.fill("input[name=page]", "2")
    page.locator("button[name=save]").click()
    assert page.locator(".error-summary").is_visible()
    assert page.input_value("input[name=label]") == "Ngôn ngữ"
    page.fill("textarea[name=choices]", "Tiếng Anh\nTiếng Pháp\nTiếng Trung")
    page.locator("button[name=save]").click()
    page.wait_for_url(re.compile(r"/back-office/catalog/[0-9a-f-]{36}/#questions$"))
    assert list(
        FormField.objects.filter(procedure=procedure).order_by("page").values_list("key", "page")
    ) == [("ten_giay_to_can_dich", 1), ("ngon_ngu", 2)]

    # The preview shows both pages read-only.
    page.locator("#preview").click()
    page.wait_for_url("**/preview/")
    assert page.locator("[data-page]").count() == 2
    assert page.locator("input[name='page1-ten_giay_to_can_dich']").is_disabled()
    page.go_back()

    page.locator("#publish").click()
    page.wait_for_load_state()
    assert page.locator("#unpublish").is_visible()
    procedure.refresh_from_db()
    assert procedure.is_published and procedure.version == 4
    page.screenshot(path=_artifact("catalog-admin-procedure.png"), full_page=True)

    # Citizens find it, without accents, in the public catalog.
    page.locator("form[action='/accounts/logout/'] button").click()
    page.wait_for_load_state()
    page.goto("/procedures/?q=xac+nhan+ban+dich")
    link = page.locator("a[href='/procedures/HN.CT.77/']")
    assert link.count() == 1
    link.click()
    page.wait_for_url("**/procedures/HN.CT.77/")
    assert "Xác nhận bản dịch thử nghiệm" in page.locator("h1").inner_text()
    assert page.locator("[data-testid=procedure-code]").inner_text() == "HN.CT.77"
    assert "10.000" in page.locator("[data-testid=fee-online]").inner_text()
    assert "20.000" in page.locator("[data-testid=fee-counter]").inner_text()
    assert page.locator("[data-testid=expected-online] time").get_attribute("datetime")
    assert "UBND phường Long Biên" in page.locator("[data-testid=agencies]").inner_text()


def test_the_catalog_and_a_procedure_page_fit_a_phone(phone_page):
    ward = AgencyFactory(code="UBLB", name="UBND phường Long Biên")
    for i in range(3):
        procedure = ProcedureFactory(
            code=f"HN.TEST.{i}",
            name=f"Cấp giấy chứng nhận đủ điều kiện thử nghiệm số {i} cho cơ sở kinh doanh",
            fee_online=50000,
            fee_counter=100000,
        )
        procedure.offered_by.add(ward)
    phone_page.goto("/procedures/")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360
    # On a phone the filters start folded away, below the search box.
    assert not phone_page.locator("#catalog-filters").evaluate("d => d.open")
    phone_page.screenshot(path=_artifact("catalog-360.png"), full_page=True)
    phone_page.goto("/procedures/HN.TEST.0/")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360
    assert phone_page.locator("[data-testid=channels]").is_visible()


def _artifact(name: str) -> str:
    from tests.browser.conftest import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return str(ARTIFACTS / name)
