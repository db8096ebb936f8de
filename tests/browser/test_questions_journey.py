"""A question's whole journey in Chromium, in Vietnamese, on a 360 px phone: a
citizen asks on a procedure's page; an officer of the agency finds it in the
back office's queue and answers; the citizen reads the answer in My questions
and gets a notice; the agency head publishes the pair, edited; the public
page shows the edited pair, found by a search without diacritics.

Staff sign in with their password and TOTP. Elements are found by name, id,
data-testid or URL, not by wording. Nothing may scroll sideways at 360 px.
Screenshots go to var/test-artifacts/ (questions-*.png).
"""

from __future__ import annotations

import re

import pytest

from citizens.models import Role
from engagement import services
from engagement.models import Question
from onecounter.models import Notification
from tests.browser.conftest import ARTIFACTS
from tests.conftest import enrol_totp
from tests.factories import (
    PASSWORD,
    AgencyFactory,
    MembershipFactory,
    ProcedureFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 360, "height": 740}
ASKED = (
    "Xin hỏi: khi đăng ký khai sinh cho con tôi cần mang những giấy tờ gì? "
    "Tôi là Trần Thị Bích, số CCCD 001195000123."
)
ANSWER = "Chị mang giấy chứng sinh do bệnh viện cấp và giấy tờ tùy thân của cha mẹ."
PUBLIC_Q = "Khi đăng ký khai sinh cho con cần mang những giấy tờ gì?"
PUBLIC_A = "Mang giấy chứng sinh do bệnh viện cấp và giấy tờ tùy thân của cha mẹ."


@pytest.fixture
def world(db):
    agency = AgencyFactory(code="UBLB", name="UBND phường Long Biên")
    procedure = ProcedureFactory(name="Đăng ký khai sinh", code="1.001193")
    procedure.offered_by.add(agency)
    citizen = UserFactory(full_name="Trần Thị Bích", email="bich@example.vn")
    staff, totps = {}, {}
    for role in (Role.OFFICER, Role.HEAD):
        user = MembershipFactory(agency=agency, role=role, user__email=f"{role}@longbien.vn").user
        staff[role], totps[role] = user, enrol_totp(user)
    return {
        "agency": agency,
        "procedure": procedure,
        "citizen": citizen,
        "staff": staff,
        "totps": totps,
    }


def phone(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="vi-VN", viewport=PHONE)
    context.set_default_timeout(15_000)
    return context, context.new_page()


def shoot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"questions-{name}.png"), full_page=True)


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1


def sign_in(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url("**/me/")


def sign_in_with_totp(page, user, totp) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url("**/accounts/2fa/authenticate/")
    page.fill("input[name=code]", totp.now())
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/back-office/"))


def test_a_question_is_asked_answered_read_and_published(browser, live_server, world):
    procedure = world["procedure"]

    # 1. The citizen asks on the procedure's page.
    citizen_context, citizen = phone(browser, live_server)
    sign_in(citizen, world["citizen"].email)
    citizen.goto(f"/procedures/{procedure.code}/")
    assert citizen.locator("html").get_attribute("lang") == "vi"
    section = citizen.get_by_test_id("procedure-questions")
    assert section.is_visible()
    no_sideways_scroll(citizen)
    shoot(citizen, "0-procedure-page-360")
    citizen.get_by_test_id("ask-link").click()
    citizen.wait_for_url(re.compile(rf"/questions/procedure/{re.escape(procedure.code)}/#ask$"))
    form = citizen.get_by_test_id("ask-form")
    assert form.locator("select[name=agency]").input_value() == "UBLB"
    # Too short first: the error is next to the field and the text is kept.
    citizen.fill("textarea[name=text]", "Hỏi?")
    citizen.get_by_test_id("send-question").click()
    assert citizen.locator("#id_text_error").is_visible()
    assert citizen.locator("textarea[name=text]").input_value() == "Hỏi?"
    no_sideways_scroll(citizen)
    shoot(citizen, "1-ask-error-360")
    citizen.fill("textarea[name=text]", ASKED)
    citizen.get_by_test_id("send-question").click()
    citizen.wait_for_url(re.compile(r"/questions/mine/HD\w+/$"))
    question = Question.objects.get()
    assert citizen.get_by_test_id("question-code").inner_text() == question.code
    assert question.code in citizen.locator(".notice--success").inner_text()
    assert citizen.get_by_test_id("question-status").get_attribute("data-status") == "asked"
    no_sideways_scroll(citizen)
    shoot(citizen, "2-asked-360")

    # 2. The officer finds it in the queue and answers.
    officer_context, officer = phone(browser, live_server)
    sign_in_with_totp(officer, world["staff"][Role.OFFICER], world["totps"][Role.OFFICER])
    officer.get_by_test_id("nav-questions").click()
    officer.wait_for_url("**/back-office/questions/")
    assert officer.get_by_test_id("nav-questions").get_attribute("aria-current") == "page"
    assert officer.locator("[data-count=waiting] strong").inner_text() == "1"
    row = officer.locator(f"tr[data-question='{question.code}']")
    assert row.is_visible()
    no_sideways_scroll(officer)
    shoot(officer, "3-queue-360")
    row.locator("a").click()
    officer.wait_for_url(f"**/back-office/questions/{question.code}/")
    assert officer.get_by_test_id("asker").inner_text() == "Trần Thị Bích"
    assert "bich@example.vn" not in officer.locator("main").inner_text()
    officer.fill("textarea[name=answer]", ANSWER)
    officer.get_by_test_id("send-answer").click()
    officer.wait_for_url(f"**/back-office/questions/{question.code}/")
    assert officer.get_by_test_id("question-status").get_attribute("data-status") == "answered"
    assert officer.locator("#form-moderate").count() == 0
    no_sideways_scroll(officer)
    shoot(officer, "4-answered-360")
    officer_context.close()

    # 3. The citizen reads the answer in My questions, and the notice.
    citizen.goto("/me/")
    citizen.get_by_test_id("nav-questions").click()
    citizen.wait_for_url("**/questions/mine/")
    row = citizen.locator(f"tr[data-question='{question.code}']")
    assert row.get_attribute("data-status") == "answered"
    no_sideways_scroll(citizen)
    shoot(citizen, "5-my-questions-360")
    row.locator("a").click()
    citizen.wait_for_url(f"**/questions/mine/{question.code}/")
    assert citizen.get_by_test_id("question-answer").inner_text() == ANSWER
    no_sideways_scroll(citizen)
    shoot(citizen, "6-my-answer-360")
    notice = Notification.objects.get(user=world["citizen"])
    citizen.goto("/me/notices/")
    assert citizen.locator(f"#notice-{notice.pk}").is_visible()
    assert question.code in citizen.locator(f"#notice-{notice.pk}").inner_text()
    no_sideways_scroll(citizen)
    shoot(citizen, "7-notices-360")

    # 4. The head publishes the pair, edited.
    head_context, head = phone(browser, live_server)
    sign_in_with_totp(head, world["staff"][Role.HEAD], world["totps"][Role.HEAD])
    head.goto(f"/back-office/questions/{question.code}/")
    assert head.locator("textarea[name=public_question]").input_value() == ASKED
    assert head.locator("textarea[name=public_answer]").input_value() == ANSWER
    head.fill("textarea[name=public_question]", PUBLIC_Q)
    head.fill("textarea[name=public_answer]", PUBLIC_A)
    no_sideways_scroll(head)
    shoot(head, "8-moderate-360")
    head.get_by_test_id("publish").click()
    head.wait_for_url(f"**/back-office/questions/{question.code}/")
    assert head.get_by_test_id("question-status").get_attribute("data-status") == "published"
    head_context.close()

    # 5. Anyone reads the edited pair, found without diacritics.
    citizen_context.close()
    public_context, public = phone(browser, live_server)
    public.goto("/questions/")
    public.fill("input[name=q]", "giay chung sinh benh vien")
    public.get_by_test_id("search").click()
    public.wait_for_url(re.compile(r"/questions/\?q=giay"))
    item = public.locator(f"[data-question='{question.code}']")
    assert item.get_by_test_id("public-question").inner_text().endswith(PUBLIC_Q)
    assert item.get_by_test_id("public-answer").inner_text().endswith(PUBLIC_A)
    main = public.locator("main").inner_text()
    for secret in ("Trần Thị Bích", "001195000123", "bich@example.vn", ANSWER):
        assert secret not in main
    no_sideways_scroll(public)
    shoot(public, "9-public-360")
    public.fill("input[name=q]", "le phi")
    public.get_by_test_id("search").click()
    public.wait_for_url(re.compile(r"/questions/\?q=le"))
    assert public.locator(f"[data-question='{question.code}']").count() == 0

    # Pinned by a catalog administrator (through the service, to save time), the
    # pair is one of the procedure page's frequent questions, folded in <details>.
    admin = MembershipFactory(role=Role.CATALOG_ADMIN).user
    services.question_pin(user=admin, question=question, pinned=True, order=1)
    public.goto(f"/procedures/{procedure.code}/")
    faq = public.locator(f"details[data-question='{question.code}']")
    assert faq.locator("summary").inner_text() == PUBLIC_Q
    faq.locator("summary").click()
    assert faq.locator(".details__text").inner_text() == PUBLIC_A
    faq.scroll_into_view_if_needed()
    no_sideways_scroll(public)
    shoot(public, "10-procedure-faq-360")
    public_context.close()
