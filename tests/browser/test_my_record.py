"""A citizen links their account, reads their record and its access log, opens
their child's record and asks for a correction: in Vietnamese, in Chromium.

Elements are found by name, id, role or URL (the wording is being translated).
Screenshots go to var/test-artifacts/ (my-record-*.png).
"""

import re

import pytest
from django.core.cache import cache

from citizens import population
from citizens.models import AccessLog, CorrectionRequest, Person
from tests.browser.conftest import ARTIFACTS
from tests.factories import PASSWORD, AgencyFactory, MembershipFactory
from tests.test_my_record import EXECUTABLE, PDF, make_family

pytestmark = pytest.mark.django_db(transaction=True)

PURPOSE = "Kiểm tra hồ sơ đăng ký khai sinh"
DOSSIER = "UBHK-260304-0007"


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def family(tmp_path, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }
    family = make_family()
    agency = AgencyFactory(code="UBHK", name="UBND phường Hoàn Kiếm")
    official = MembershipFactory(agency=agency, user__email="canbo@hoankiem.vn").user
    population.access_log_write(
        person=family["father"],
        channel=AccessLog.Channel.STAFF_UI,
        actor=official,
        agency=agency,
        purpose=PURPOSE,
        dossier_ref=DOSSIER,
    )
    return family


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"my-record-{name}.png"), full_page=True)


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def sign_in(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url("**/me/")


def link_account(page, person, *, full_name=None) -> None:
    page.fill("#id_id_number", person.id_number)
    page.fill("#id_full_name", full_name or person.full_name)
    page.fill("#id_birth_date_day", str(person.birth_date.day))
    page.fill("#id_birth_date_month", str(person.birth_date.month))
    page.fill("#id_birth_date_year", str(person.birth_date.year))
    page.locator("button[name=link]").click()


def test_a_citizen_links_their_account_and_sees_their_record_and_who_looked(page, family):
    father, minor = family["father"], family["minor"]
    sign_in(page, family["user"].email)
    assert page.locator("html").get_attribute("lang") == "vi"
    page.locator("#record-status a[href='/me/link/']").click()
    page.wait_for_url("**/me/link/")
    shot(page, "link")

    # A wrong name: the problem is listed at the top and what was typed stays.
    link_account(page, father, full_name="Lê Văn Khác")
    page.wait_for_load_state()
    summary = page.locator(".error-summary")
    assert summary.is_visible()
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    assert page.input_value("#id_full_name") == "Lê Văn Khác"
    assert page.input_value("#id_birth_date_year") == str(father.birth_date.year)
    shot(page, "link-refused")

    link_account(page, father)
    page.wait_for_url("**/me/record/")
    main = page.locator("main")
    assert page.locator(".notice--success").is_visible()
    assert father.id_number in main.inner_text()
    assert (
        "Nguyễn Văn An"
        in page.locator(
            "#details-title + dl, section[aria-labelledby=details-title]"
        ).first.inner_text()
    )

    household = page.locator("section[aria-labelledby=household-title]")
    assert "HK-000123" in household.inner_text()
    members = household.get_by_role("table")
    for name in ("Nguyễn Văn An", "Trần Thị Bình", "Nguyễn Minh Châu"):
        assert name in members.inner_text()
    assert family["mother"].id_number not in main.inner_text()

    entries = page.locator(".access-log__entry")
    assert entries.count() == 1
    entry = entries.first.inner_text()
    assert PURPOSE in entry and DOSSIER in entry and "UBND phường Hoàn Kiếm" in entry
    assert "canbo@hoankiem.vn" not in main.inner_text()
    shot(page, "record")

    page.locator(f"a[href='/me/children/{minor.pk}/']").first.click()
    page.wait_for_url(f"**/me/children/{minor.pk}/")
    assert page.get_by_role("heading", level=1).inner_text() == "Nguyễn Minh Châu"
    assert minor.id_number in page.locator("main").inner_text()
    assert page.locator(".access-log__entry").count() == 1, "the parent's own read, logged"
    shot(page, "child")
    assert AccessLog.objects.filter(person=minor, channel=AccessLog.Channel.GUARDIAN).count() == 1


def test_a_citizen_asks_for_a_correction_with_a_document(page, family, tmp_path):
    father = family["father"]
    sign_in(page, family["user"].email)
    page.goto("/me/link/")
    link_account(page, father)
    page.wait_for_url("**/me/record/")
    page.locator("section[aria-labelledby=details-title] a[href='/me/record/correction/']").click()
    page.wait_for_url("**/me/record/correction/")
    assert page.input_value("#id_full_name") == "Nguyễn Văn An"

    bad = tmp_path / "giay-to.pdf"
    bad.write_bytes(EXECUTABLE)
    page.fill("#id_native_place", "Hà Nam")
    page.fill("#id_reason", "Quê quán ghi thiếu.")
    page.set_input_files("#id_document", str(bad))
    page.locator("button[name=send]").click()
    page.wait_for_load_state()
    assert page.locator("#id_document_error").is_visible()
    assert page.locator(".error-summary a[href='#id_document']").is_visible()
    assert page.input_value("#id_native_place") == "Hà Nam"
    assert page.input_value("#id_reason") == "Quê quán ghi thiếu."
    shot(page, "correction-refused")

    good = tmp_path / "giay-khai-sinh.pdf"
    good.write_bytes(PDF)
    page.set_input_files("#id_document", str(good))
    page.locator("button[name=send]").click()
    page.wait_for_url(re.compile(r"/me/corrections/[0-9a-f-]{36}/$"))
    correction = CorrectionRequest.objects.get()
    assert correction.changes == {"native_place": "Hà Nam"}
    reference = f"CR-{str(correction.pk)[:8]}"
    assert reference in page.locator(".confirmation").inner_text()
    shot(page, "correction-sent")

    page.goto("/me/record/")
    assert reference in page.locator("section[aria-labelledby=corrections-title]").inner_text()


def test_the_pages_fit_a_phone_screen(phone_page, family):
    page, father, minor = phone_page, family["father"], family["minor"]
    sign_in(page, family["user"].email)
    assert fits(page)
    page.goto("/me/link/")
    assert fits(page)
    shot(page, "link-360")
    link_account(page, father)
    page.wait_for_url("**/me/record/")
    assert fits(page), "my record (tables stack) fits 360px"
    shot(page, "record-360")
    page.goto(f"/me/children/{minor.pk}/")
    assert fits(page)
    shot(page, "child-360")
    page.goto(f"/me/children/{minor.pk}/correction/")
    assert fits(page)
    shot(page, "child-correction-360")
    page.goto("/me/")
    assert fits(page)
    assert minor.full_name in page.locator("main").inner_text()
    assert Person.objects.get(pk=father.pk).account_link.level == 1
