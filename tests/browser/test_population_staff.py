"""A clerk searches the population database, states a purpose and opens a
record, in Vietnamese, in Chromium. Elements are found by name, id, test id
and URL, not by their (translated) text."""

import datetime as dt
import re

import pytest

from citizens.models import AccessLog, Household, HouseholdMembership
from tests.browser.conftest import ARTIFACTS
from tests.conftest import enrol_totp
from tests.factories import (
    PASSWORD,
    AgencyFactory,
    MembershipFactory,
    PersonFactory,
    make_id_number,
)

pytestmark = pytest.mark.django_db(transaction=True)

BORN = dt.date(1990, 3, 4)


def sign_in_with_totp(page, user, totp):
    page.goto("/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/accounts/2fa/authenticate/")
    page.fill("input[name=code]", totp.now())
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/back-office/agencies/UBLB/")


def a_ward_with_a_family():
    agency = AgencyFactory(code="UBLB", name="UBND phường Long Biên")
    ward = agency.unit

    def person(name, sex, born, serial):
        return PersonFactory(
            full_name=name,
            sex=sex,
            birth_date=born,
            id_number=make_id_number(sex, born, serial),
            permanent_unit=ward,
            permanent_address="Số 5 ngõ 12 phố Ngọc Lâm",
        )

    nam = person("Trần Văn Nam", "M", BORN, 1)
    lan = person("Nguyễn Thị Lan", "F", BORN, 2)
    person("Nguyễn Thị Hoa", "F", BORN, 3)
    minh = person("Trần Minh Khôi", "M", dt.date(2018, 6, 1), 4)
    household = Household.objects.create(
        number="HK-LB-0001", address="Số 5 ngõ 12 phố Ngọc Lâm", unit=ward, head=nam
    )
    for member, relation in ((nam, "head"), (lan, "spouse"), (minh, "child")):
        HouseholdMembership.objects.create(
            household=household, person=member, relation=relation, start_date=dt.date(2016, 5, 1)
        )
    return agency, lan


def test_a_clerk_searches_by_name_and_birth_date_states_a_purpose_and_sees_the_household(page):
    agency, lan = a_ward_with_a_family()
    clerk = MembershipFactory(agency=agency, user__email="motcua@longbien.vn").user
    totp = enrol_totp(clerk)
    sign_in_with_totp(page, clerk, totp)
    assert page.locator("html").get_attribute("lang") == "vi"

    # The agency page links to the population search.
    page.locator("a[href='/back-office/population/']").first.click()
    page.wait_for_url("**/back-office/population/")

    page.fill("input[name=name]", "nguyen thi")
    page.fill("input[name=birth_date]", BORN.isoformat())
    page.locator("form[role=search] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/back-office/population/\?"))
    results = page.get_by_test_id("search-results")
    rows = results.locator("tbody tr")
    assert rows.count() == 2
    assert "Nguyễn Thị Lan" in results.inner_text()
    assert "Nguyễn Thị Hoa" in results.inner_text()
    assert "Trần Văn Nam" not in results.inner_text()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "population-search-1280.png"), full_page=True)

    results.locator(f"a[href='/back-office/population/persons/{lan.pk}/purpose/']").click()
    page.wait_for_url(f"**/back-office/population/persons/{lan.pk}/purpose/")
    # Without a purpose, nothing opens: the error summary links to the field.
    page.locator("button[name=open]").click()
    assert page.locator(".error-summary a[href='#id_dossier_ref']").is_visible()
    page.fill("input[name=dossier_ref]", "UBLB-260304-0001")
    page.locator("button[name=open]").click()
    page.wait_for_url(f"**/back-office/population/persons/{lan.pk}/")

    assert "Nguyễn Thị Lan" in page.locator("h1").inner_text()
    household = page.get_by_test_id("household")
    assert "HK-LB-0001" in household.inner_text()
    members = page.get_by_test_id("household-members").locator("tbody tr")
    assert members.count() == 3
    table = page.get_by_test_id("household-members").inner_text()
    for name in ("Trần Văn Nam", "Nguyễn Thị Lan", "Trần Minh Khôi"):
        assert name in table
    # Each member's relation to the head is shown (one cell per row, not empty).
    relations = page.get_by_test_id("household-members").locator("tbody tr td:nth-child(3)")
    assert all(text.strip() for text in relations.all_inner_texts())
    assert len(set(relations.all_inner_texts())) == 3

    log = AccessLog.objects.filter(person=lan, actor=clerk)
    assert log.count() == 1  # one row per opening: the stated purpose and the page it leads to
    assert {entry.dossier_ref for entry in log} == {"UBLB-260304-0001"}

    page.screenshot(path=str(ARTIFACTS / "population-person-1280.png"), full_page=True)
    page.set_viewport_size({"width": 360, "height": 740})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(ARTIFACTS / "population-person-360.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    # A relative opens through their own purpose page, prefilled: one click confirms.
    nam_link = page.get_by_test_id("household-members").locator("a").first
    nam_link.click()
    page.wait_for_url(re.compile(r"/purpose/\?via="))
    assert page.input_value("input[name=dossier_ref]") == "UBLB-260304-0001"
    page.locator("button[name=open]").click()
    page.wait_for_url(re.compile(r"/back-office/population/persons/[0-9a-f-]+/$"))
    assert "Trần Văn Nam" in page.locator("h1").inner_text()
