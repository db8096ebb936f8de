"""A duplicate birth in Chromium at 360 px, in Vietnamese: the head sees the
father's declaration side by side with the mother's, cannot approve it without
deciding, and decides with a reason that the history keeps."""

import pytest

from citizens.models import Role
from onecounter.models import Dossier, DossierEvent
from onecounter.models import DossierStatus as S
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_counter_journey import sign_in_with_totp
from tests.conftest import enrol_totp
from tests.test_birth_cases import World, by_mother_online
from tests.test_birth_duplicates import BORN, by_father_at_counter, to_proposed
from tests.test_my_dossiers import use_private_storage

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_head_compares_a_possible_duplicate_birth_and_decides_with_a_reason(
    browser, live_server, settings, tmp_path
):
    use_private_storage(settings, tmp_path)
    world = World()
    first = world.file_online(world.mother, by_mother_online(world, BORN))
    second = world.file_at_counter(
        world.father, by_father_at_counter(world, full_name="Trần Minh Anh")
    )
    assert first.sent and second.sent
    to_proposed(world, second.dossier)
    head = world.staff[Role.HEAD]
    totp = enrol_totp(head)

    context = browser.new_context(
        base_url=live_server.url, locale="vi-VN", viewport={"width": 360, "height": 740}
    )
    context.set_default_timeout(15_000)
    try:
        page = sign_in_with_totp(context, head, totp)
        page.goto(f"/back-office/agencies/{world.agency.code}/dossiers/{second.dossier.pk}/")
        panel = page.locator("[data-testid=duplicates]")
        assert panel.is_visible()
        assert "Có thể trùng" in panel.inner_text()
        assert panel.locator(f"[data-reference='{first.dossier.code}']").count() == 1
        assert "Trần Minh Anh" in panel.inner_text() and "Trần Minh An" in panel.inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "duplicate-birth-head-360.png"), full_page=True)

        details = page.locator("#action-approve")
        details.locator("summary").click()
        with page.expect_navigation():
            page.locator("#submit-approve").click()
        summary = page.locator(".error-summary")
        assert summary.is_visible()
        assert Dossier.objects.get(pk=second.dossier.pk).status == S.PROPOSED

        if page.locator("#action-approve").get_attribute("open") is None:
            page.locator("#action-approve summary").click()
        page.check("[name='approve-not_duplicate']")
        page.fill("[name='approve-reason']", "Hai con khác nhau, sinh cách nhau một năm")
        with page.expect_navigation():
            page.locator("#submit-approve").click()
        assert page.locator("#dossier-status").get_attribute("data-status") == S.APPROVED
        history = page.locator("[data-testid=timeline]").inner_text()
        assert first.dossier.code in history
        page.screenshot(path=str(ARTIFACTS / "duplicate-birth-decided-360.png"), full_page=True)
    finally:
        context.close()
    event = DossierEvent.objects.get(dossier_id=second.dossier.pk, action="approve")
    assert event.reason == "Hai con khác nhau, sinh cách nhau một năm"
