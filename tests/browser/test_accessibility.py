"""axe-core on every step of the birth filing wizard, on a 360px phone, in
Vietnamese: each page as it opens and as it shows its problems after being
sent empty, the documents step and the check page; then the back-office page
of the received dossier. Any violation of impact "serious" or "critical"
fails the test, with the rule, the elements and axe's help printed.

axe-core is vendored (tests/browser/vendor/axe-core/, npm package axe-core
4.14.1, MPL-2.0) and injected into each page: no network. It goes in as an
inline script, which the portal's Content-Security-Policy blocks: these
browser contexts bypass the policy (tests/browser/test_csp.py checks it).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.utils import timezone

from citizens.models import Role
from onecounter.models import Dossier
from onecounter.models import DossierStatus as S
from tests.browser.test_birth_journey import (  # noqa: F401 (fixtures)
    PHONE,
    _clean_cache,
    new_context,
    shot,
    sign_in_staff,
    world,
)
from tests.browser.test_counter_journey import act, status_of
from tests.browser.test_my_record import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


def axe(page, where: str) -> list[str]:
    """The serious and critical violations axe finds on the page, one line each."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    found = []
    for violation in result["violations"]:
        if violation["impact"] not in BLOCKING:
            continue
        targets = [" ".join(node["target"]) for node in violation["nodes"]]
        found.append(
            f"{where}: {violation['id']} ({violation['impact']}) on {targets}: "
            f"{violation['help']} <{violation['helpUrl']}>"
        )
    return found


def send_empty(page) -> None:
    """Send the page as it is (nothing typed): it comes back with its problems."""
    with page.expect_navigation():
        page.locator("button[name=continue]").click()
    assert page.locator(".error-summary").count() == 1, page.url


def continue_(page) -> None:
    with page.expect_navigation():
        page.locator("button[name=continue]").click()
    errors = page.locator(".error-summary")
    assert errors.count() == 0, errors.inner_text()


def test_every_step_of_the_birth_filing_and_the_clerks_page_pass_axe(
    browser,
    live_server,
    world,  # noqa: F811 (the fixture imported above)
):
    """Given a mother on a 360px phone, when she opens each step of the birth
    declaration, sends it empty, then fills it in, and the clerk opens the
    received dossier, then axe-core finds no serious or critical violation."""
    born = timezone.localdate() - dt.timedelta(days=5)
    found: list[str] = []
    contexts = []
    try:
        phone = new_context(browser, live_server, PHONE, bypass_csp=True)
        contexts.append(phone)
        page = phone.new_page()
        sign_in(page, world["parent"].email)

        page.goto("/file/start/1.001193/")
        found += axe(page, "start")
        relation = page.locator("input[name=declarer_relation][value=mother]")
        if relation.count():
            relation.check()
        page.locator("button[name=start]").click()
        page.wait_for_url(re.compile(r"/file/[0-9a-f-]{36}/page/1/$"))
        dossier = Dossier.objects.get(applicant=world["parent"])

        # Page 1: the declarer.
        found += axe(page, "page 1")
        page.locator("input[name=declarer_relation]:checked").evaluate_all(
            "els => els.forEach(el => { el.checked = false; })"
        )
        send_empty(page)
        found += axe(page, "page 1, problems")
        page.locator("input[name=declarer_relation][value=mother]").check()
        continue_(page)

        # Page 2: the child.
        found += axe(page, "page 2")
        page.fill("#id_nationality", "")
        send_empty(page)
        found += axe(page, "page 2, problems")
        page.fill("#id_full_name", "Trần Minh An")
        page.locator("input[name=sex][value=M]").check()
        page.fill("#id_nationality", "Việt Nam")
        page.fill("#id_native_place", "Xã Đông Anh, Thành phố Hà Nội")
        page.fill("#id_birth_order", "1")
        continue_(page)

        # Page 3: the birth (the place of birth is an address in two parts).
        found += axe(page, "page 3")
        send_empty(page)
        found += axe(page, "page 3, problems")
        shot(page, "a11y-03-birth-problems")
        page.fill("#id_birth_date", born.isoformat())
        page.fill("#id_birth_facility", "Bệnh viện Phụ sản Hà Nội")
        page.fill("#id_birth_address_0", "929 đường La Thành")
        page.select_option("#id_birth_address_1", world["ward"].code)
        page.locator("input[name=birth_evidence][value=hospital_certificate]").check()
        page.fill("#id_birth_certificate_number", "GCS-2026-001234")
        continue_(page)

        # Page 4: the parents and the household.
        found += axe(page, "page 4")
        page.fill("#id_household_number", "XYZ-123")
        send_empty(page)
        found += axe(page, "page 4, problems")
        shot(page, "a11y-04-parents-problems")
        page.fill("#id_household_number", world["household"].number)
        page.fill("#id_health_facility", "Trạm y tế phường Long Biên")
        continue_(page)

        # The documents.
        page.wait_for_url(f"**/file/{dossier.pk}/documents/")
        found += axe(page, "documents")
        send_empty(page)
        found += axe(page, "documents, problems")
        certificate = dossier.procedure.documents.get(name__startswith="Giấy chứng sinh")
        declaration = dossier.procedure.documents.get(name__startswith="Tờ khai")
        page.set_input_files(f"#id_doc-{declaration.pk}", str(world["declaration"]))
        page.set_input_files(f"#id_doc-{certificate.pk}", str(world["certificate"]))
        continue_(page)

        # Check your answers: as it opens, and sent without the declaration.
        page.wait_for_url(f"**/file/{dossier.pk}/check/")
        found += axe(page, "check")
        with page.expect_navigation():
            page.locator("button[name=send]").click()
        assert page.locator(".error-summary").count() == 1
        found += axe(page, "check, problems")
        page.locator("#id_declaration").check()
        page.locator("button[name=send]").click()
        page.wait_for_url(f"**/file/{dossier.pk}/submitted/")
        found += axe(page, "submitted")

        # The clerk's page of the received dossier, on a desktop.
        clerk = sign_in_staff(
            browser, live_server, world, ("UBLB", Role.CLERK), contexts, bypass_csp=True
        )
        clerk.goto(f"/back-office/agencies/UBLB/dossiers/{dossier.pk}/")
        found += axe(clerk, "back office, submitted")
        act(clerk, "receive")
        assert status_of(clerk) == S.RECEIVED
        found += axe(clerk, "back office, received")
    finally:
        for context in contexts:
            context.close()
    assert not found, "axe-core found:\n" + "\n".join(found)
