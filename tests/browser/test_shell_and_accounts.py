"""Journeys through the UI shell and accounts, in Vietnamese, in Chromium."""

import re

import pyotp
import pytest
from django.core import mail

from tests.conftest import enrol_totp
from tests.factories import PASSWORD, AgencyFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page, email, password=PASSWORD):
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name=re.compile("Đăng nhập")).click()


def test_home_page_in_vietnamese_then_in_english(page):
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert "Cổng dịch vụ công" in page.locator("header").inner_text()
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Public Service Portal" in page.locator("header").inner_text()


def test_home_page_fits_a_phone_screen(phone_page):
    phone_page.goto("/")
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360
    skip = phone_page.locator("a.skip-link, a[href='#main-content']").first
    assert skip.count() == 1


def test_sign_up_with_email_verification_then_sign_in(page):
    page.goto("/accounts/signup/")
    page.fill("input[name=email]", "nguoimoi@example.vn")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.get_by_role("button", name=re.compile("Đăng ký")).click()
    page.wait_for_url("**/accounts/confirm-email/")
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[0].body).group(0)
    page.goto(link)
    page.get_by_role("button", name=re.compile("Xác nhận")).click()
    page.wait_for_url("**/me/")
    assert "nguoimoi@example.vn" in page.content()

    page.locator("form[action='/accounts/logout/'] button").click()
    page.wait_for_load_state()
    sign_in(page, "nguoimoi@example.vn")
    page.wait_for_url("**/me/")


def test_sign_up_errors_are_listed_at_the_top_and_keep_what_was_typed(page):
    page.goto("/accounts/signup/")
    page.fill("input[name=email]", "sai@example.vn")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD + "x")
    page.get_by_role("button", name=re.compile("Đăng ký")).click()
    summary = page.locator(".error-summary")
    assert summary.is_visible()
    assert page.input_value("input[name=email]") == "sai@example.vn"


def test_a_staff_member_is_forced_through_totp_enrolment(page):
    agency = AgencyFactory(code="UBLB", name="UBND phường Long Biên")
    user = MembershipFactory(agency=agency, user__email="canbo@longbien.vn").user
    sign_in(page, user.email)
    page.wait_for_load_state()
    page.goto("/back-office/")
    # Enrolling a second factor asks for the password once more (allauth's reauthentication).
    page.wait_for_url(re.compile(r"/accounts/reauthenticate/"))
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/accounts/2fa/totp/activate/"))
    secret = page.locator("[data-totp-secret], #totp_secret, input[name=secret]").first
    secret_value = secret.get_attribute("value") or secret.inner_text()
    page.fill("input[name=code]", pyotp.TOTP(secret_value.strip()).now())
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()
    page.goto("/back-office/")
    page.wait_for_url("**/back-office/agencies/UBLB/")
    assert "UBND phường Long Biên" in page.locator("h1").inner_text()


def test_a_clerk_is_refused_another_wards_back_office(page):
    own = AgencyFactory(code="UBLB", name="UBND phường Long Biên")
    AgencyFactory(code="UBBD", name="UBND phường Bồ Đề")
    user = MembershipFactory(agency=own, user__email="motcua@longbien.vn").user
    totp = enrol_totp(user)
    sign_in(page, user.email)
    page.wait_for_url("**/accounts/2fa/authenticate/")
    page.fill("input[name=code]", totp.now())
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url("**/back-office/agencies/UBLB/")
    response = page.goto("/back-office/agencies/UBBD/")
    assert response.status == 403
    assert "UBND phường Bồ Đề" not in page.content()
    assert "không có quyền" in page.content().lower()


def test_a_citizen_signs_in_and_lands_in_their_own_space(page):
    UserFactory(email="congdan@example.vn", full_name="Nguyễn Văn An")
    sign_in(page, "congdan@example.vn")
    page.wait_for_url("**/me/")
    assert "Nguyễn Văn An" in page.content()
