"""An anonymous visitor tracks a dossier by its code and the last 4 digits of
the applicant's phone number: in Vietnamese, in Chromium, on a desktop and on
a 360px-wide phone.

Elements are found by name, id or data attributes (the wording is being
translated). Screenshots go to var/test-artifacts/ (tracking-*.png).
"""

import datetime as dt

import pytest
from django.core.cache import cache

from citizens.models import Role
from onecounter import transitions
from tests.browser.conftest import ARTIFACTS
from tests.factories import (
    PASSWORD,
    AgencyFactory,
    DossierFactory,
    MembershipFactory,
    ProcedureFactory,
    make_id_number,
)

pytestmark = pytest.mark.django_db(transaction=True)

NAME = "Trần Thị Minh Châu"
PHONE = "0987 654 321"
ID_NUMBER = make_id_number("F", dt.date(1992, 3, 8), 777001)


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def dossier(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }
    agency = AgencyFactory(code="UBLB", name="UBND phường Long Biên")
    staff = {
        role: MembershipFactory(agency=agency, role=role).user
        for role in (Role.CLERK, Role.OFFICER)
    }
    dossier = DossierFactory(
        agency=agency,
        procedure=ProcedureFactory(name="Đăng ký khai sinh"),
        applicant_name=NAME,
        applicant_phone=PHONE,
        applicant_id_number=ID_NUMBER,
        applicant_email="chau.tran@example.vn",
        applicant_address="Số 8 phố Hồng Tiến",
    )
    dossier = transitions.perform(dossier, "submit", actor=dossier.applicant)
    dossier = transitions.perform(dossier, "receive", actor=staff[Role.CLERK])
    return transitions.perform(
        dossier, "assign", actor=staff[Role.CLERK], officer=staff[Role.OFFICER]
    )


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"tracking-{name}.png"), full_page=True)


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def track_from_home(page, code: str, digits: str) -> None:
    page.goto("/")
    page.fill("#home-track-code", code)
    page.fill("#home-track-digits", digits)
    page.locator("#track").scroll_into_view_if_needed()
    shot(page, "home")
    page.locator("#track form button[type=submit]").click()
    page.wait_for_url("**/track/")


def assert_shows_the_dossier_without_personal_data(page, dossier) -> None:
    assert page.locator("html").get_attribute("lang") == "vi"
    assert dossier.code in page.locator("h1").inner_text()
    status = page.locator(".tracking-status")
    assert status.get_attribute("data-status") == "in_processing"
    assert "đang xử lý" in status.inner_text().lower()
    assert (
        page.locator("#promised-date")
        .inner_text()
        .strip()
        .startswith(dossier.due_date.strftime("%d/%m/%Y"))
    )
    assert page.locator(".timeline__step").count() == 3
    text = page.locator("body").inner_text()
    for secret in (NAME, "Châu", PHONE, "0987", ID_NUMBER, "chau.tran", "Hồng Tiến"):
        assert secret not in text, secret
    assert "Đăng ký khai sinh" in text and "UBND phường Long Biên" in text


def test_a_visitor_tracks_a_dossier_from_the_home_page(page, dossier):
    track_from_home(page, dossier.code, "0000")
    # Wrong digits: the same "not found" as an unknown code, the code kept, digits cleared.
    assert page.locator(".error-summary").is_visible()
    assert page.input_value("#id_code") == dossier.code
    assert page.input_value("#id_digits") == ""
    shot(page, "not-found")

    page.fill("#id_digits", "4321")
    page.locator("main form button[type=submit]").click()
    page.wait_for_selector(".tracking-status")
    assert_shows_the_dossier_without_personal_data(page, dossier)
    shot(page, "found")


def test_a_visitor_tracks_a_dossier_on_a_phone(phone_page, dossier):
    page = phone_page
    page.goto(f"/track/?code={dossier.code.lower()}")
    assert page.input_value("#id_code") == dossier.code
    assert fits(page)
    page.fill("#id_digits", "4321")
    page.locator("main form button[type=submit]").click()
    page.wait_for_selector(".tracking-status")
    assert_shows_the_dossier_without_personal_data(page, dossier)
    assert fits(page)
    shot(page, "found-360")


def test_a_citizen_reads_their_notices_and_follows_one_to_the_tracking_page(page, dossier):
    # The fixture's steps (submitted, received, being processed) each left a notice.
    page.goto("/accounts/login/")
    page.fill("input[name=login]", dossier.applicant.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url("**/me/")
    page.goto("/me/notices/")
    assert page.locator(".notices__item").count() == 3
    assert f"Hồ sơ {dossier.code} đã được tiếp nhận" in page.locator("main").inner_text()
    shot(page, "notices")
    page.locator(f"a[href='/track/?code={dossier.code}']").first.click()
    page.wait_for_url("**/track/?code=*")
    assert page.input_value("#id_code") == dossier.code
