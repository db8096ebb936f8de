"""A feedback's whole journey in Chromium, in Vietnamese, on a 360 px phone:
a visitor without an account sends feedback with an e-mail address and
confirms it with the code mailed to them; the agency head accepts it and
assigns it to an officer; the officer answers; the head publishes it,
edited; the visitor follows it with its code and e-mail address and rates
the answer; the public page shows the edited texts only.

Staff sign in with their password and TOTP. Elements are found by name, id,
data-testid or URL, not by wording. Nothing may scroll sideways at 360 px.
Screenshots go to var/test-artifacts/ (feedback-*.png).
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.cache import cache

from citizens.models import Role
from engagement.models import Feedback, FeedbackCategory
from tests.browser.conftest import ARTIFACTS
from tests.conftest import enrol_totp
from tests.factories import PASSWORD, AgencyFactory, MembershipFactory

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 360, "height": 740}
SUBJECT = "Trả kết quả khai sinh trễ hẹn ba ngày"
BODY = (
    "Tôi nộp hồ sơ khai sinh cho con ngày 2/3 tại bộ phận một cửa, hẹn trả ngày 5/3 nhưng "
    "đến ngày 10/3 vẫn chưa có kết quả. Tôi là Lê Thị Khách, điện thoại 0912000222."
)
ANSWER = "Hồ sơ của chị chậm do thiếu xác nhận của bệnh viện; phường đã trả kết quả ngày 11/3."
PUBLIC_SUMMARY = "Người dân phản ánh hồ sơ khai sinh bị trả kết quả trễ hẹn."
PUBLIC_ANSWER = "Hồ sơ chậm do thiếu xác nhận của bệnh viện; phường đã trả kết quả và xin lỗi."


@pytest.fixture
def world(db):
    cache.clear()
    category, _ = FeedbackCategory.objects.get_or_create(
        code="giai-quyet-ho-so",
        defaults={
            "name": "Việc giải quyết hồ sơ (trễ hẹn, yêu cầu thêm giấy tờ, sai sót)",
            "about": "service",
            "order": 2,
        },
    )
    agency = AgencyFactory(code="UBLB", name="UBND phường Long Biên")
    AgencyFactory(code="UBBD", name="UBND phường Bồ Đề")
    staff, totps = {}, {}
    for role, name in ((Role.HEAD, "Trần Văn Trưởng"), (Role.OFFICER, "Ngô Thị Cán Bộ")):
        user = MembershipFactory(
            agency=agency, role=role, user__email=f"{role}@longbien.vn", user__full_name=name
        ).user
        staff[role], totps[role] = user, enrol_totp(user)
    yield {"agency": agency, "category": category, "staff": staff, "totps": totps}
    cache.clear()


def phone(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="vi-VN", viewport=PHONE)
    context.set_default_timeout(15_000)
    return context, context.new_page()


def shoot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"feedback-{name}.png"), full_page=True)


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1


def sign_in_with_totp(page, user, totp) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url("**/accounts/2fa/authenticate/")
    page.fill("input[name=code]", totp.now())
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/back-office/"))


def open_in_back_office(page, code: str) -> None:
    page.goto("/back-office/feedback/")
    row = page.locator(f"tr[data-feedback='{code}']")
    assert row.is_visible()
    row.locator("a").first.click()
    page.wait_for_url(f"**/back-office/feedback/{code}/")


def test_feedback_is_sent_confirmed_handled_published_tracked_and_rated(
    browser, live_server, world
):
    # 1. A visitor without an account sends feedback with an e-mail address.
    visitor_context, visitor = phone(browser, live_server)
    visitor.goto("/feedback/")
    assert visitor.locator("html").get_attribute("lang") == "vi"
    no_sideways_scroll(visitor)
    shoot(visitor, "1-home-360")
    visitor.get_by_test_id("send-feedback").click()
    visitor.wait_for_url("**/feedback/new/")
    visitor.check("input[name=kind][value=feedback]")
    visitor.check(f"input[name=category][value={world['category'].code}]")
    visitor.select_option("select[name=agency]", "UBLB")
    visitor.fill("input[name=subject]", SUBJECT)
    visitor.fill("textarea[name=body]", "Chậm quá.")  # too short first
    visitor.fill("input[name=name]", "Lê Thị Khách")
    visitor.fill("input[name=email]", "khach@example.vn")
    visitor.check("input[name=consent_publish]")
    visitor.get_by_test_id("send").click()
    visitor.wait_for_load_state()
    assert visitor.locator("#id_body_error").is_visible()
    assert visitor.locator("input[name=subject]").input_value() == SUBJECT
    assert visitor.locator("input[name=email]").input_value() == "khach@example.vn"
    no_sideways_scroll(visitor)
    shoot(visitor, "2-form-error-360")
    visitor.fill("textarea[name=body]", BODY)
    visitor.get_by_test_id("send").click()
    visitor.wait_for_url(re.compile(r"/feedback/PA\w+/confirm/$"))
    item = Feedback.objects.get()
    assert visitor.get_by_test_id("feedback-code").inner_text() == item.code
    no_sideways_scroll(visitor)
    shoot(visitor, "3-confirm-360")

    # 2. They type the code mailed to them.
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    assert mail.outbox[-1].to == ["khach@example.vn"]
    visitor.fill("input[name=code]", code)
    visitor.get_by_test_id("confirm").click()
    visitor.wait_for_url(f"**/feedback/{item.code}/")
    assert visitor.get_by_test_id("feedback-step").get_attribute("data-step") == "received"
    assert visitor.get_by_test_id("due-on").is_visible()
    no_sideways_scroll(visitor)
    shoot(visitor, "4-sent-360")

    # 3. The head accepts it and assigns it to the officer.
    head_context, head = phone(browser, live_server)
    sign_in_with_totp(head, world["staff"][Role.HEAD], world["totps"][Role.HEAD])
    head.goto("/back-office/feedback/")
    assert head.locator("[data-count=open] strong").inner_text() == "1"
    no_sideways_scroll(head)
    shoot(head, "5-queue-360")
    open_in_back_office(head, item.code)
    assert "khach@example.vn" in head.get_by_test_id("sender").locator("xpath=../..").inner_text()
    head.get_by_test_id("accept").click()
    head.wait_for_url(f"**/back-office/feedback/{item.code}/")
    assert head.get_by_test_id("feedback-step").get_attribute("data-step") == "accepted"
    head.select_option("select[name=officer]", str(world["staff"][Role.OFFICER].pk))
    head.get_by_test_id("assign").click()
    head.wait_for_url(f"**/back-office/feedback/{item.code}/")
    assert head.get_by_test_id("feedback-step").get_attribute("data-step") == "assigned"

    # 4. The officer answers.
    officer_context, officer = phone(browser, live_server)
    sign_in_with_totp(officer, world["staff"][Role.OFFICER], world["totps"][Role.OFFICER])
    open_in_back_office(officer, item.code)
    officer.fill("textarea[name=answer]", ANSWER)
    no_sideways_scroll(officer)
    shoot(officer, "6-answer-360")
    officer.get_by_test_id("send-answer").click()
    officer.wait_for_url(f"**/back-office/feedback/{item.code}/")
    assert officer.get_by_test_id("feedback-answer").inner_text() == ANSWER
    officer_context.close()

    # 5. The head publishes it, edited to take out the personal details.
    head.reload()
    assert BODY in head.locator("textarea[name=public_summary]").input_value()
    head.fill("textarea[name=public_summary]", PUBLIC_SUMMARY)
    head.fill("textarea[name=public_answer]", PUBLIC_ANSWER)
    head.get_by_test_id("publish").click()
    head.wait_for_url(f"**/back-office/feedback/{item.code}/")
    assert head.get_by_test_id("feedback-step").get_attribute("data-step") == "published"
    no_sideways_scroll(head)
    shoot(head, "7-published-360")
    head_context.close()
    visitor_context.close()

    # 6. The visitor, in a new browser, follows it with its code and e-mail and rates it.
    tracker_context, tracker = phone(browser, live_server)
    tracker.goto("/feedback/")
    tracker.fill("input[name=code]", item.code)
    tracker.fill("input[name=contact]", "nobody@example.vn")  # a wrong contact first
    tracker.get_by_test_id("track").click()
    tracker.wait_for_load_state()
    assert tracker.locator(".error-summary").is_visible()
    tracker.fill("input[name=contact]", "khach@example.vn")
    tracker.get_by_test_id("track").click()
    tracker.wait_for_url(f"**/feedback/{item.code}/")
    assert tracker.get_by_test_id("feedback-answer").inner_text() == ANSWER
    tracker.check("input[name=score][value='5']")
    no_sideways_scroll(tracker)
    tracker.get_by_test_id("rate").click()
    tracker.wait_for_url(f"**/feedback/{item.code}/")
    assert tracker.get_by_test_id("rating").is_visible()
    no_sideways_scroll(tracker)
    shoot(tracker, "8-tracked-rated-360")
    item.refresh_from_db()
    assert item.rating == 5

    # 7. The public page shows the edited texts, never the sender or their words.
    tracker.goto("/feedback/?q=tre+hen")
    published = tracker.get_by_test_id("published")
    assert PUBLIC_SUMMARY in published.inner_text() and PUBLIC_ANSWER in published.inner_text()
    text = tracker.locator("main").inner_text()
    for secret in ("Lê Thị Khách", "khach@example.vn", "0912000222", ANSWER):
        assert secret not in text
    no_sideways_scroll(tracker)
    shoot(tracker, "9-public-360")
    tracker_context.close()
