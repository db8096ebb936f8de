"""The interconnected birth registration in Chromium, in Vietnamese (issue #6).

A mother, signed in on a 360px phone, files the birth of her son online: she
says she is the mother, sees her own and her husband's details read-only
(from the population database), enters the child, the birth, the household and
the health-care facility, uploads the hospital birth certificate (giấy chứng
sinh), checks her answers, accepts the declaration and sends. On a desktop the
ward registers the birth (clerk receives, justice officer proposes, chair
approves); the registered birth is handed on to the ward police and to social
insurance, each of which works it in its own queue. The mother then sees each
agency's step, gets the three results in her wallet and downloads one; an
anonymous visitor opens a result's QR link; an administrator sees the two
completed handoffs.

Celery is eager in tests and the live server commits each request: the
handoffs are delivered, in the server's thread, when the chair's approval
commits (no delivery task is called by hand).

Elements are found by name, id, data-testid or URL; what the user reads is
asserted in Vietnamese. Screenshots: var/test-artifacts/birth-journey-*.png.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.utils import timezone

from citizens.models import Agency, Household, HouseholdMembership, IdentityLink, Person, Role
from interconnect.models import Handoff
from onecounter.models import DocumentVerification, Dossier, WalletDocument
from onecounter.models import DossierStatus as S
from procedures.demo import seed_catalog
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_counter_journey import act, status_of
from tests.browser.test_my_record import sign_in
from tests.conftest import enrol_totp
from tests.factories import (
    PASSWORD,
    AgencyFactory,
    MembershipFactory,
    PersonFactory,
    UserFactory,
    WardFactory,
)
from tests.test_my_dossiers import use_private_storage
from tests.test_my_record import PDF
from workdays.services import calendar_seed

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
HEALTH_FACILITY = "Trạm y tế phường Long Biên"
CHILD = "Trần Minh An"
ROLES = (Role.CLERK, Role.OFFICER, Role.HEAD)


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(settings, tmp_path):
    """The ward Long Biên with its People's Committee (UBLB), police (CALB) and
    social insurance (BHXHLB), their staff with TOTP, the demo catalog (birth
    1.001193, residence 1.004194, card HN.BHXH.01), an administrator, and the
    family: Nguyễn Thị Hoa (account linked to her record), her husband Trần Văn
    Bình heading their household HN0010001."""
    use_private_storage(settings, tmp_path)
    settings.EGOV_CIVIL_REGISTRY_URL = ""
    calendar_seed()
    ward = WardFactory(code="00145", name="Phường Long Biên")
    agencies = {
        code: AgencyFactory(code=code, name=name, kind=kind, unit=ward)
        for code, name, kind in (
            ("UBLB", "UBND phường Long Biên", Agency.Kind.PEOPLES_COMMITTEE),
            ("CALB", "Công an phường Long Biên", Agency.Kind.POLICE),
            ("BHXHLB", "Bảo hiểm xã hội cơ sở Long Biên", Agency.Kind.SOCIAL_INSURANCE),
        )
    }
    seed_catalog()
    staff, totps = {}, {}
    for code, agency in agencies.items():
        for role in ROLES:
            user = MembershipFactory(
                agency=agency,
                role=role,
                user__email=f"{role}@{code.lower()}.vn",
                user__full_name=f"{code} {role}",
            ).user
            staff[code, role], totps[code, role] = user, enrol_totp(user)
    admin = UserFactory(
        email="quantri@example.vn", full_name="Quản trị", is_superuser=True, is_staff=True
    )
    staff["admin"], totps["admin"] = admin, enrol_totp(admin)

    mother = PersonFactory(
        full_name="Nguyễn Thị Hoa",
        sex="F",
        birth_date=dt.date(1995, 5, 17),
        permanent_address="Số 5 phố Ngọc Lâm",
        permanent_unit=ward,
    )
    father = PersonFactory(
        full_name="Trần Văn Bình",
        sex="M",
        birth_date=dt.date(1993, 2, 1),
        permanent_address="Số 5 phố Ngọc Lâm",
        permanent_unit=ward,
    )
    Person.objects.filter(pk=mother.pk).update(spouse=father)
    Person.objects.filter(pk=father.pk).update(spouse=mother)
    household = Household.objects.create(
        number="HN0010001", address="Số 5 phố Ngọc Lâm", unit=ward, head=father
    )
    for person, relation in ((father, "head"), (mother, "spouse")):
        HouseholdMembership.objects.create(
            household=household, person=person, relation=relation, start_date=dt.date(2020, 1, 1)
        )
    parent = UserFactory(full_name="Nguyễn Thị Hoa", email="hoa@example.vn")
    IdentityLink.objects.create(user=parent, person=mother, level=2, method="counter")

    certificate = tmp_path / "giay-chung-sinh.pdf"
    certificate.write_bytes(PDF)
    declaration = tmp_path / "to-khai.pdf"
    declaration.write_bytes(PDF)
    return {
        "ward": ward,
        "agencies": agencies,
        "staff": staff,
        "totps": totps,
        "mother": Person.objects.get(pk=mother.pk),
        "father": Person.objects.get(pk=father.pk),
        "household": household,
        "parent": parent,
        "certificate": certificate,
        "declaration": declaration,
    }


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"birth-journey-{name}.png"), full_page=True)


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def text(page, selector: str = "main") -> str:
    return page.locator(selector).first.inner_text()


def heading(page) -> str:
    return page.locator("main h1").first.inner_text().strip()


def new_context(browser, live_server, viewport, **options):
    context = browser.new_context(
        base_url=live_server.url, locale="vi-VN", viewport=viewport, **options
    )
    context.set_default_timeout(20_000)
    return context


def continue_(page) -> None:
    with page.expect_navigation():
        page.locator("button[name=continue]").click()
    errors = page.locator(".error-summary")
    assert errors.count() == 0, errors.inner_text()


def sign_in_staff(browser, live_server, world, who, contexts: list, **options):
    """A staff member (or the administrator) signed in with TOTP on a desktop
    (``options``: of the browser context)."""
    context = new_context(browser, live_server, DESKTOP, **options)
    contexts.append(context)
    user, totp = world["staff"][who], world["totps"][who]
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/accounts/2fa/authenticate/")
    page.fill("input[name=code]", totp.now())
    with page.expect_navigation():
        page.locator("form button[type=submit]").last.click()
    assert "/accounts/" not in page.url, page.url
    return page


def decide(browser, live_server, world, dossier: Dossier, contexts: list, name: str):
    """The agency's officer takes the dossier from the unassigned queue and
    proposes approval; its head approves. Returns the officer's page."""
    code = dossier.agency.code
    url = f"/back-office/agencies/{code}/dossiers/{dossier.pk}/"
    officer = sign_in_staff(browser, live_server, world, (code, Role.OFFICER), contexts)
    officer.goto(f"/back-office/agencies/{code}/dossiers/?view=unassigned")
    officer.locator(f"tr[data-dossier='{dossier.code}'] a").first.click()
    officer.wait_for_url(f"**{url}")
    assert officer.locator("[data-testid=dossier-code]").inner_text() == dossier.code
    shot(officer, f"{name}-dossier")
    act(officer, "assign")
    assert status_of(officer) == S.IN_PROCESSING
    act(officer, "propose", {"decision": "approve", "reason": "Đủ điều kiện"})
    assert status_of(officer) == S.PROPOSED

    head = sign_in_staff(browser, live_server, world, (code, Role.HEAD), contexts)
    head.goto(f"/back-office/agencies/{code}/dossiers/")
    head.locator(f"tr[data-dossier='{dossier.code}'] a").first.click()
    head.wait_for_url(f"**{url}")
    act(head, "approve")
    shot(head, f"{name}-approved")
    return officer


def agency_steps(page) -> dict[str, str]:
    """The parent's view of each agency's step: {target: state}."""
    steps = page.locator("[data-testid=agency-steps] li")
    return {
        steps.nth(i).get_attribute("data-target"): steps.nth(i).get_attribute("data-state")
        for i in range(steps.count())
    }


def test_a_mother_files_a_birth_and_gets_three_results_from_three_agencies(
    browser, live_server, world
):
    mother, father, household = world["mother"], world["father"], world["household"]
    born = timezone.localdate() - dt.timedelta(days=5)
    contexts = []
    try:
        phone = new_context(browser, live_server, PHONE)
        contexts.append(phone)
        page = phone.new_page()

        # --- 1. The mother files the birth online, on her phone -----------------------------
        sign_in(page, world["parent"].email)
        assert page.locator("html").get_attribute("lang") == "vi"
        page.goto("/procedures/1.001193/")
        assert heading(page) == "Đăng ký khai sinh"
        page.locator("[data-testid=file-online]").click()
        page.wait_for_url("**/file/start/1.001193/")
        assert "UBND phường Long Biên" in text(page)
        assert "Giấy chứng sinh" in text(page)  # have it ready
        shot(page, "01-start")
        page.locator("button[name=start]").click()
        page.wait_for_url(re.compile(r"/file/[0-9a-f-]{36}/page/1/$"))
        dossier = Dossier.objects.get(applicant=world["parent"])
        assert heading(page) == "Về bạn, người đi khai sinh"
        about = text(page, "[data-testid=about-applicant]")
        assert mother.full_name in about and mother.id_number in about
        # Her ID number comes from her linked record: shown as text, never typed.
        assert text(page, "#id_declarer_id_number").strip() == mother.id_number
        assert page.locator("input[name=declarer_id_number]").count() == 0
        page.locator("input[name=declarer_relation][value=mother]").check()
        assert fits(page)
        shot(page, "02-declarer")
        continue_(page)
        page.wait_for_url(f"**/file/{dossier.pk}/page/2/")

        assert heading(page) == "Trẻ được khai sinh"
        page.fill("#id_full_name", CHILD)
        page.locator("input[name=sex][value=M]").check()
        assert page.input_value("#id_nationality") == "Việt Nam"
        page.fill("#id_native_place", "Xã Đông Anh, Thành phố Hà Nội")
        page.fill("#id_birth_order", "1")
        shot(page, "03-child")
        continue_(page)
        page.wait_for_url(f"**/file/{dossier.pk}/page/3/")

        assert heading(page) == "Việc sinh"
        page.fill("#id_birth_date", born.isoformat())
        page.fill("#id_birth_time", "08:30")
        page.fill("#id_birth_facility", "Bệnh viện Phụ sản Hà Nội")
        page.fill("#id_birth_address_0", "929 đường La Thành")
        page.select_option("#id_birth_address_1", world["ward"].code)
        page.locator("input[name=birth_evidence][value=hospital_certificate]").check()
        page.fill("#id_birth_certificate_number", "GCS-2026-001234")
        assert fits(page)
        shot(page, "04-birth")
        continue_(page)
        page.wait_for_url(f"**/file/{dossier.pk}/page/4/")

        # Her own and her husband's details come from the population database,
        # read-only; the household is hers (she may change it); she names the
        # health-care facility for the child's card.
        assert heading(page) == "Cha, mẹ và hộ gia đình"
        for field, value in (
            ("mother_name", mother.full_name),
            ("mother_id_number", mother.id_number),
            ("mother_birth_year", "1995"),
            ("father_name", father.full_name),
            ("father_id_number", father.id_number),
            ("father_birth_year", "1993"),
        ):
            assert text(page, f"#id_{field}").strip() == value, field
            assert page.locator(f"input[name={field}]").count() == 0, field
        # A long address wraps on the phone: all of it is read, nothing is cut off.
        residence = page.locator("#id_mother_residence")
        assert text(page, "#id_mother_residence").strip() == (
            f"{mother.permanent_address}, {world['ward']}"
        )
        box = residence.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        assert page.input_value("#id_household_number") == household.number
        assert page.locator("#id_household_number").is_editable()
        # Her husband heads the household: his consent is not asked for.
        assert page.locator("input[name=head_consents]:not([type=hidden])").count() == 0
        assert "Chủ hộ có đồng ý" not in text(page)
        page.fill("#id_health_facility", HEALTH_FACILITY)
        assert fits(page)
        shot(page, "05-parents")
        continue_(page)
        page.wait_for_url(f"**/file/{dossier.pk}/documents/")

        # The declaration form and the hospital birth certificate (giấy chứng sinh).
        certificate = dossier.procedure.documents.get(name__startswith="Giấy chứng sinh")
        declaration = dossier.procedure.documents.get(name__startswith="Tờ khai")
        assert "Giấy chứng sinh" in text(page, f"[data-testid=document-doc-{certificate.pk}]")
        page.set_input_files(f"#id_doc-{declaration.pk}", str(world["declaration"]))
        page.set_input_files(f"#id_doc-{certificate.pk}", str(world["certificate"]))
        continue_(page)
        page.wait_for_url(f"**/file/{dossier.pk}/check/")

        answers = text(page)
        assert "Chủ hộ có đồng ý" not in answers  # never listed as not answered
        for value in (
            CHILD,
            born.strftime("%d/%m/%Y"),
            "Bệnh viện Phụ sản Hà Nội",
            mother.full_name,
            father.full_name,
            household.number,
            HEALTH_FACILITY,
        ):
            assert value in answers, value
        attached = page.locator("[data-testid=documents] .summary-list__row")
        assert (
            attached.filter(has_text="Giấy chứng sinh").locator(".summary-list__missing").count()
            == 0
        )
        assert attached.filter(has_text="Tờ khai").locator(".summary-list__missing").count() == 0
        assert fits(page)
        shot(page, "06-check")
        page.locator("#id_declaration").check()
        page.locator("button[name=send]").click()
        page.wait_for_url(f"**/file/{dossier.pk}/submitted/")
        code = page.locator("[data-testid=dossier-code]").inner_text().strip()
        assert re.fullmatch(r"UBLB-\d{6}-\d{4}", code)
        assert heading(page) == "Đã gửi hồ sơ"
        assert fits(page)
        shot(page, "07-submitted")
        receipt = page.request.get(page.locator("[data-testid=receipt-link]").get_attribute("href"))
        assert receipt.status == 200 and receipt.body().startswith(b"%PDF")
        dossier.refresh_from_db()
        assert dossier.code == code and dossier.status == S.SUBMITTED
        assert dossier.fee == 0 and dossier.channel == Dossier.Channel.ONLINE

        # --- 2. The ward: the clerk receives, the officer proposes, the chair signs ---------
        clerk = sign_in_staff(browser, live_server, world, ("UBLB", Role.CLERK), contexts)
        clerk.goto("/back-office/agencies/UBLB/dossiers/")
        clerk.locator(f"tr[data-dossier='{code}'] a").first.click()
        clerk.wait_for_url(f"**/back-office/agencies/UBLB/dossiers/{dossier.pk}/")
        ward_page = text(clerk)
        assert "Trần Minh An" in ward_page and "GCS-2026-001234" in ward_page
        assert "_prefilled" not in ward_page  # the filing's bookkeeping is not an answer
        act(clerk, "receive")
        assert status_of(clerk) == S.RECEIVED
        assert clerk.locator("#dossier-status").inner_text() == "Đã tiếp nhận"
        decide(browser, live_server, world, dossier, contexts, "ward")

        # The approval committed: the child is registered and, Celery being eager,
        # the birth was handed on to the police and social insurance at once.
        dossier.refresh_from_db()
        assert dossier.status == S.APPROVED
        child = Person.objects.get(source=f"birth:{code}")
        assert child.full_name == CHILD and child.mother_id == mother.pk
        handoffs = {h.target: h for h in Handoff.objects.filter(dossier=dossier)}
        assert set(handoffs) == {"residence", "insurance"}
        assert {h.status for h in handoffs.values()} == {Handoff.Status.DELIVERED}
        police_dossier = handoffs["residence"].agency_dossier
        card_dossier = handoffs["insurance"].agency_dossier

        page.goto(f"/me/dossiers/{dossier.pk}/")
        assert agency_steps(page) == {"residence": "processing", "insurance": "processing"}
        assert "Liên thông đến các cơ quan khác" in text(page)
        assert fits(page)
        shot(page, "08-my-dossier-handed-on")

        # --- 3. The ward police, then social insurance, each in its own queue --------------
        police = decide(browser, live_server, world, police_dossier, contexts, "police")
        police.goto(f"/back-office/agencies/CALB/dossiers/{police_dossier.pk}/")
        seen = text(police)
        assert "UBND phường Long Biên" in text(police, "#handed-on-from")
        for value in (CHILD, child.id_number, household.number):
            assert value in seen, value
        # Only what the police need: nothing of the father, of the birth itself,
        # of the hospital or its certificate.
        for value in (
            father.full_name,
            father.id_number,
            "Bệnh viện Phụ sản Hà Nội",
            "GCS-2026-001234",
            "929 đường La Thành",
            HEALTH_FACILITY,
        ):
            assert value not in seen, value
        # ... and the ward's dossier is not theirs to open.
        assert police.request.get(f"/back-office/agencies/UBLB/dossiers/{dossier.pk}/").status in (
            403,
            404,
        )

        page.goto(f"/me/dossiers/{dossier.pk}/")
        assert agency_steps(page) == {"residence": "done", "insurance": "processing"}
        assert page.locator("#dossier-status").get_attribute("data-status") != S.RESULT_READY
        assert not WalletDocument.objects.filter(owner=world["parent"]).exists()

        insurance = decide(browser, live_server, world, card_dossier, contexts, "insurance")
        insurance.goto(f"/back-office/agencies/BHXHLB/dossiers/{card_dossier.pk}/")
        seen = text(insurance)
        assert CHILD in seen and HEALTH_FACILITY in seen
        for value in (father.full_name, father.id_number, "GCS-2026-001234", household.number):
            assert value not in seen, value

        # --- 4. The mother sees each agency done, and the three results ---------------------
        dossier.refresh_from_db()
        assert dossier.status == S.RESULT_READY
        page.goto(f"/me/dossiers/{dossier.pk}/")
        assert page.locator("#dossier-status").inner_text() == "Đã có kết quả"
        assert agency_steps(page) == {"residence": "done", "insurance": "done"}
        steps = text(page, "#agency-steps")
        assert "Công an phường Long Biên" in steps and "Bảo hiểm xã hội cơ sở Long Biên" in steps
        assert police_dossier.code in steps and card_dossier.code in steps
        assert fits(page)
        shot(page, "09-my-dossier-results")

        page.goto("/me/documents/")
        assert heading(page) == "Kho giấy tờ của tôi"
        issued = text(page, "main [data-source=issued]")
        for title in ("Trích lục khai sinh", "Xác nhận thông tin về cư trú", "Thẻ bảo hiểm y tế"):
            assert title in issued, title
        assert fits(page)
        shot(page, "10-wallet")
        wallet = {w.kind: w for w in WalletDocument.objects.filter(owner=world["parent"])}
        assert set(wallet) == {
            "birth_certificate",
            "residence_confirmation",
            "health_insurance_card",
        }
        card = wallet["health_insurance_card"]
        href = page.locator(f"#document-{card.pk} h3 a").get_attribute("href")
        response = page.request.get(href)
        assert response.status == 200
        assert response.headers["content-type"] == "application/pdf"
        assert response.body().startswith(b"%PDF")

        # --- 5. Anyone opens the QR link of the birth certificate ---------------------------
        result = wallet["birth_certificate"].document
        assert result.verify_token
        visitor_context = new_context(browser, live_server, PHONE)
        contexts.append(visitor_context)
        visitor = visitor_context.new_page()
        visitor.goto(f"/verify/{result.verify_token}")
        assert heading(visitor) == "Trích lục khai sinh"
        assert (
            visitor.locator("[data-status=valid]")
            .inner_text()
            .startswith("Văn bản hợp lệ và còn hiệu lực.")
        )
        assert visitor.locator("#document-number").inner_text() == result.number
        shown = text(visitor)
        assert "UBND phường Long Biên" in shown
        assert visitor.locator("#holder").inner_text() == f"T. M. A., sinh năm {born.year}"
        for secret in (CHILD, child.id_number, mother.full_name):
            assert secret not in shown, secret
        assert fits(visitor)
        shot(visitor, "11-verify")
        visitor.reload()
        assert heading(visitor) == "Trích lục khai sinh"
        assert DocumentVerification.objects.filter(document=result).count() == 2

        # --- 6. The administrator sees the two completed handoffs ---------------------------
        admin = sign_in_staff(browser, live_server, world, "admin", contexts)
        admin.goto("/back-office/handoffs/")
        assert heading(admin) == "Liên thông giữa các cơ quan"
        rows = admin.locator("[data-testid=handoffs] tbody tr")
        assert rows.count() == 2
        assert {
            rows.nth(i).get_attribute("data-handoff"): rows.nth(i).get_attribute("data-status")
            for i in range(2)
        } == {f"{code}:residence": "completed", f"{code}:insurance": "completed"}
        assert text(admin, "[data-testid=handoffs]").count("Đã giải quyết xong") == 2
        shot(admin, "12-handoffs")
    finally:
        for context in contexts:
            context.close()
