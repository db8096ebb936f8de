"""An agency head opens the statistics in Chromium, in Vietnamese: the key
figures, a chart drawn on the server with its table, a filter kept in the URL,
a figure followed to its dossiers, and the Decision 766 index; nothing scrolls
sideways at 360 px. Elements are found by test id, name and URL, not by their
(translated) text."""

import re
from pathlib import Path

import pytest

from citizens.models import Role
from tests.browser.conftest import ARTIFACTS
from tests.conftest import enrol_totp
from tests.factories import PASSWORD, MembershipFactory
from tests.stats import test_figures
from tests.stats.test_figures import build

pytestmark = pytest.mark.django_db(transaction=True)

world = test_figures.world  # the hand-counted fixture
SHOTS = Path("/tmp")


def sign_in_with_totp(page, user, totp, code):
    page.goto("/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/accounts/2fa/authenticate/")
    page.fill("input[name=code]", totp.now())
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(f"**/back-office/agencies/{code}/")


def shoot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for folder in (ARTIFACTS, SHOTS):
        page.screenshot(path=str(folder / f"stats_{name}.png"), full_page=True)


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 361


def test_a_head_reads_the_figures_follows_one_to_its_dossiers_and_opens_the_index(page, world):
    from django.core.cache import cache

    cache.clear()
    rows = build(world)
    head = MembershipFactory(agency=world["a"], role=Role.HEAD, user__email="truong@a.vn").user
    totp = enrol_totp(head)
    sign_in_with_totp(page, head, totp, "UBA")
    assert page.locator("html").get_attribute("lang") == "vi"

    page.get_by_test_id("nav-statistics").click()
    page.wait_for_url("**/statistics/")
    cards = page.get_by_test_id("figures")
    assert cards.is_visible()
    assert page.get_by_test_id("figure-received").locator(".stats-card__value").inner_text() == "3"
    chart = page.locator("svg#chart-trend[role=img]")
    assert chart.is_visible()
    assert chart.locator("title").first.text_content()
    assert page.get_by_test_id("chart-trend-table").is_visible()
    assert page.get_by_test_id("chart-on-time-unit-table").is_visible()
    shoot(page, "dashboard_desktop")

    # A filter: by quarter. The URL keeps it, and the form shows it.
    page.select_option("select[name=grain]", "quarter")
    page.get_by_test_id("apply-filters").click()
    page.wait_for_url(re.compile(r"/statistics/\?.*grain=quarter"))
    assert page.locator("select[name=grain]").input_value() == "quarter"
    assert page.get_by_test_id("figure-received").locator(".stats-card__value").inner_text() == "3"

    # Follow "resolved late" to the dossiers behind it, with the same filters.
    page.get_by_test_id("figure-resolved_late").locator("a").click()
    page.wait_for_url(re.compile(r"/statistics/dossiers/resolved_late/\?.*grain=quarter"))
    drill = page.get_by_test_id("drill")
    assert rows["late"].code in drill.inner_text()
    assert rows["on_time"].code not in drill.inner_text()
    assert drill.locator(f"a[href*='{rows['late'].pk}']").count() == 1
    shoot(page, "drill_desktop")

    page.get_by_test_id("back-to-dashboard").click()
    page.wait_for_url(re.compile(r"/statistics/\?"))
    page.get_by_test_id("link-index766").click()
    page.wait_for_url(re.compile(r"/statistics/index/"))
    scores = page.get_by_test_id("scores-agency")
    assert "52,34" in scores.inner_text() or "52.34" in scores.inner_text()
    assert "2 / 2" in scores.inner_text()
    assert "766" in page.get_by_test_id("index-version").inner_text()
    shoot(page, "index_desktop")

    # On a phone: nothing scrolls sideways.
    page.set_viewport_size({"width": 360, "height": 740})
    for path, name in (
        ("/statistics/", "dashboard_360"),
        (
            f"/statistics/dossiers/resolved_late/?from=2026-01-01&agency={world['a'].code}",
            "drill_360",
        ),
        ("/statistics/index/", "index_360"),
    ):
        page.goto(path)
        no_sideways_scroll(page)
        shoot(page, name)
    page.set_viewport_size({"width": 1280, "height": 900})
