"""A linked citizen files a "form" procedure online in Chromium, in Vietnamese:
prefilled details, answers page by page, an upload, check your answers, send,
the dossier code. Once with JavaScript on (desktop and 360px) and once with
JavaScript off on a phone.

Elements are found by name, id, role or URL (the wording is being translated).
Screenshots go to var/test-artifacts/ (filing-*.png).
"""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from citizens.models import IdentityLink
from onecounter.models import Attachment, Dossier, DossierDocument
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_my_record import sign_in
from tests.factories import AgencyFactory
from tests.test_filing import ANSWERS_1, make_procedure
from tests.test_my_record import EXECUTABLE, PDF, make_family

pytestmark = pytest.mark.django_db(transaction=True)

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def filing_setup(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }
    family = make_family()
    IdentityLink.objects.create(
        user=family["user"], person=family["father"], level=1, method="self"
    )
    agency = AgencyFactory(code="UBLB", name="UBND phường Long Biên")
    procedure = make_procedure(agency)
    good = tmp_path / "to-khai.pdf"
    good.write_bytes(PDF)
    bad = tmp_path / "giay-bao-tu.pdf"
    bad.write_bytes(EXECUTABLE)
    return {**family, "procedure": procedure, "good": good, "bad": bad}


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"filing-{name}.png"), full_page=True)


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def file_a_procedure(page, setup, *, tag: str, phone: bool) -> str:
    """The journey; returns the dossier code shown at the end."""
    procedure = setup["procedure"]
    father = setup["father"]
    declaration, notice, _optional = (f"doc-{d.pk}" for d in procedure.documents.order_by("order"))
    sign_in(page, setup["user"].email)
    assert page.locator("html").get_attribute("lang") == "vi"
    page.goto(f"/procedures/{procedure.code}/")
    page.locator(f"a[href='/file/start/{procedure.code}/']").click()
    page.wait_for_url(f"**/file/start/{procedure.code}/")
    shot(page, f"{tag}-start")
    # The citizen has a minor child: whom is the dossier for? (themselves)
    page.locator("input[name=subject][value=self]").check()
    page.locator("button[name=start]").click()
    page.wait_for_url(re.compile(r"/file/[0-9a-f-]{36}/page/1/$"))
    dossier = Dossier.objects.get()

    about = page.locator("[data-testid=about-applicant]")
    assert father.id_number in about.inner_text()
    assert about.locator("a[href='/me/record/correction/']").count() == 1
    if phone:
        assert fits(page)
    # A wrong date is refused; what was typed stays.
    page.fill("#id_full_name", ANSWERS_1["full_name"])
    page.locator("button[name=continue]").click()
    page.wait_for_load_state()
    assert page.locator(".error-summary a[href='#id_event_date']").is_visible()
    assert page.input_value("#id_full_name") == ANSWERS_1["full_name"]
    shot(page, f"{tag}-page-refused")
    page.fill("#id_event_date", ANSWERS_1["event_date"])
    page.locator("button[name=continue]").click()
    page.wait_for_url(f"**/file/{dossier.pk}/page/2/")

    page.locator("input[name=reason][value=Lost]").check()
    page.fill("#id_copies", "2")
    shot(page, f"{tag}-page-2")
    page.locator("button[name=continue]").click()
    page.wait_for_url(f"**/file/{dossier.pk}/documents/")

    # A renamed executable is refused next to its box; nothing is stored.
    page.set_input_files(f"#id_{declaration}", str(setup["good"]))
    page.set_input_files(f"#id_{notice}", str(setup["bad"]))
    page.locator("button[name=continue]").click()
    page.wait_for_load_state()
    assert page.locator(f"#id_{notice}_error").is_visible()
    assert page.locator(f".error-summary a[href='#id_{notice}']").is_visible()
    assert Attachment.objects.count() == 1  # the good one
    if phone:
        assert fits(page)
    shot(page, f"{tag}-documents-refused")
    page.set_input_files(f"#id_{notice}", str(setup["good"]))
    page.locator("button[name=continue]").click()
    page.wait_for_url(f"**/file/{dossier.pk}/check/")

    answers = page.locator("[data-testid=answers-1]").inner_text()
    assert ANSWERS_1["full_name"] in answers and "02/03/2026" in answers
    assert page.locator(f"a[href='/file/{dossier.pk}/page/2/?next=check#id_copies']").count()
    if phone:
        assert fits(page)
    shot(page, f"{tag}-check")
    page.locator("#id_declaration").check()
    page.locator("button[name=send]").click()
    page.wait_for_url(f"**/file/{dossier.pk}/submitted/")
    code = page.locator("[data-testid=dossier-code]").inner_text().strip()
    assert re.fullmatch(r"UBLB-\d{6}-\d{4}", code)
    if phone:
        assert fits(page)
    shot(page, f"{tag}-submitted")
    dossier.refresh_from_db()
    assert dossier.code == code and dossier.status == "submitted"
    receipt = page.locator("[data-testid=receipt-link]")
    assert receipt.get_attribute("href") == f"/file/{dossier.pk}/submitted/receipt/"
    response = page.request.get(receipt.get_attribute("href"))
    assert response.status == 200 and response.body().startswith(b"%PDF-")
    assert (
        DossierDocument.objects.filter(dossier=dossier, kind=DossierDocument.Kind.SUBMISSION)
        .exclude(file="")
        .exists()
    )
    return code


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "360"])
def test_a_linked_citizen_files_online_and_sees_the_dossier_code(
    browser, live_server, filing_setup, viewport
):
    context = browser.new_context(base_url=live_server.url, locale="vi-VN", viewport=viewport)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        tag = "js-360" if viewport is PHONE else "js-desktop"
        file_a_procedure(page, filing_setup, tag=tag, phone=viewport is PHONE)
    finally:
        context.close()


def test_the_same_filing_works_without_javascript(browser, live_server, filing_setup):
    context = browser.new_context(
        base_url=live_server.url,
        locale="vi-VN",
        viewport=PHONE,
        java_script_enabled=False,
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        file_a_procedure(page, filing_setup, tag="nojs-360", phone=True)
    finally:
        context.close()


def test_an_unlinked_citizen_is_told_how_to_reach_the_identity_level(
    browser, live_server, filing_setup
):
    IdentityLink.objects.all().delete()
    context = browser.new_context(base_url=live_server.url, locale="vi-VN", viewport=PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        procedure = filing_setup["procedure"]
        sign_in(page, filing_setup["user"].email)
        page.goto(f"/procedures/{procedure.code}/")
        page.locator("[data-testid=file-online]").click()
        page.wait_for_url(f"**/file/start/{procedure.code}/")
        assert page.locator("[data-testid=identity-needed]").is_visible()
        assert page.locator("main a[href='/me/link/']").count() == 1
        assert fits(page)
        shot(page, "identity-needed-360")
        assert not Dossier.objects.exists()
    finally:
        context.close()
