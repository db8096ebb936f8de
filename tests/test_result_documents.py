"""Result documents as issued: the birth certificate extract, the residence
confirmation and the child's health-insurance card, each with its real
content from the population database, a document number of its issuing
agency, an unguessable verification code that never changes, and a QR code
that encodes the address of its public verification page."""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata

import pypdf
import pytest
import qrcode
import qrcode.constants
from django.core.files.storage import default_storage
from django.utils import timezone

from citizens.models import Agency, IdentityLink, Person, Role
from egov import vietnamese
from interconnect.models import Handoff
from onecounter import tasks, transitions
from onecounter.models import Dossier, DossierDocument, WalletDocument
from onecounter.results import rendering, services, verification
from onecounter.slips import pdf
from procedures.handlers.health_insurance.results import card_valid_until
from tests.factories import (
    AgencyFactory,
    DossierFactory,
    MembershipFactory,
    ProcedureFactory,
    UserFactory,
    WardFactory,
    make_family,
)

pytestmark = pytest.mark.django_db

Kind = DossierDocument.Kind
TODAY = timezone.localdate()
PUBLIC = "https://dichvucong.example.vn"


# --- A ward, its three agencies and a family ------------------------------------------------


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }
    settings.EGOV_PUBLIC_BASE_URL = PUBLIC


def make_agency(code: str, name: str, kind: str, ward, head: str) -> tuple[Agency, dict]:
    agency = AgencyFactory(code=code, name=name, kind=kind, unit=ward)
    names = {Role.CLERK: "Lê Thị Thu Trang", Role.OFFICER: "Phạm Đức Thắng", Role.HEAD: head}
    staff = {
        role: MembershipFactory(agency=agency, role=role, user=UserFactory(full_name=name)).user
        for role, name in names.items()
    }
    return agency, staff


def make_world() -> dict:
    """Hà Nội's Ba Đình ward: its People's Committee, police and social
    insurance office; a married couple heading a household, the mother with
    an account linked to her record."""
    ward = WardFactory(code="00004", name="Phường Ba Đình")
    committee = make_agency(
        "UBBD", "UBND phường Ba Đình", Agency.Kind.PEOPLES_COMMITTEE, ward, "Vũ Minh Khôi"
    )
    police = make_agency("CABD", "Công an phường Ba Đình", Agency.Kind.POLICE, ward, "Đỗ Văn Hùng")
    insurance = make_agency(
        "BHXHBD",
        "Bảo hiểm xã hội khu vực Ba Đình",
        Agency.Kind.SOCIAL_INSURANCE,
        ward,
        "Hoàng Thị Lan",
    )
    family = make_family(ward)
    mother = family["mother"]
    mother_user = UserFactory(full_name=mother.full_name)
    IdentityLink.objects.create(user=mother_user, person=mother, level=2, method="self")
    return {
        "ward": ward,
        "committee": committee,
        "police": police,
        "insurance": insurance,
        **family,
        "mother_user": mother_user,
    }


@pytest.fixture
def world(db):
    return make_world()


BIRTH_DATE = TODAY - dt.timedelta(days=10)


def birth_data(world, **changes) -> dict:
    data = {
        "full_name": "Trần Minh An",
        "sex": "M",
        "birth_date": BIRTH_DATE.isoformat(),
        "birth_time": "08:30",
        "birth_facility": "Bệnh viện Phụ sản Hà Nội",
        "birth_address": {"address": "929 đường La Thành", "unit_code": world["ward"].code},
        "ethnicity": "01",
        "nationality": "Việt Nam",
        "native_place": "Xã Đông Anh, Thành phố Hà Nội",
        "late": False,
        "birth_evidence": "hospital_certificate",
        "birth_certificate_number": "GCS-2026-001234",
        "birth_order": 1,
        "multiple_birth": False,
        "sibling_dossier_code": "",
        "declarer_relation": "mother",
        "declarer_reason": "",
        "declarer_id_number": world["mother"].id_number,
        "mother_id_number": world["mother"].id_number,
        "father_unknown": False,
        "father_id_number": world["father"].id_number,
        "household_number": world["household"].number,
        "health_facility": "Trạm y tế phường Ba Đình",
    }
    data.update(changes)
    return data


def decide(dossier, staff, *, decision="approve", reason="", ready=True):
    """Take the dossier from submission to its decision and, with ``ready``, to
    "result ready", then process that step as the background job does (results
    rendered, put in the wallet)."""
    steps = [
        ("submit", dossier.applicant, {}),
        ("receive", staff[Role.CLERK], {}),
        ("assign", staff[Role.CLERK], {"officer": staff[Role.OFFICER]}),
        ("propose", staff[Role.OFFICER], {"decision": decision}),
        (decision, staff[Role.HEAD], {}),
    ]
    if ready:
        steps.append(("mark_result_ready", staff[Role.OFFICER], {}))
    for action, actor, params in steps:
        step_reason = reason if action == "reject" else ""
        dossier = transitions.perform(dossier, action, actor=actor, reason=step_reason, **params)
    if ready:
        tasks.after_event(dossier.events.order_by("-seq").first().pk)
    return dossier


def register_birth(world, **changes):
    """A birth dossier filed online by the mother and approved by the ward,
    its extract issued. (The birth is handed on to the police and social
    insurance too; its results come back together when they have finished:
    see the interconnected journey at the end.)"""
    agency, staff = world["committee"]
    dossier = DossierFactory(
        agency=agency,
        procedure=ProcedureFactory(handler="birth", name="Đăng ký khai sinh"),
        data=birth_data(world, **changes),
        applicant=world["mother_user"],
        applicant_person=world["mother"],
        applicant_name=world["mother"].full_name,
    )
    dossier = decide(dossier, staff, ready=False)
    rendering.render_results(dossier)
    return dossier


def child_of(dossier) -> Person:
    return Person.objects.get(source=f"birth:{dossier.code}")


def result(dossier, key: str) -> DossierDocument:
    return DossierDocument.objects.get(dossier=dossier, kind=Kind.RESULT, key=key)


def text_of(document) -> str:
    """The PDF's text, whitespace collapsed (lines may wrap anywhere)."""
    with document.file.open("rb") as handle:
        reader = pypdf.PdfReader(io.BytesIO(handle.read()))
    text = " ".join(page.extract_text() for page in reader.pages)
    return " ".join(unicodedata.normalize("NFC", text).split())


def link_in(document) -> bool:
    """The verification address is printed on the document (it may wrap: the
    text is compared without whitespace)."""
    url = f"{PUBLIC}/verify/{document.verify_token}"
    return url in "".join(text_of(document).split())


def ddmmyyyy(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


# --- The birth certificate extract ----------------------------------------------------------


def test_a_registered_birth_gives_an_extract_with_the_childs_data_a_number_and_its_link(world):
    dossier = register_birth(world)
    child = child_of(dossier)
    extract = result(dossier, "birth_certificate")

    assert extract.title == "Trích lục khai sinh"
    assert re.fullmatch(rf"1/{TODAY.year}/TLKS", extract.number)
    assert extract.issued_by == world["committee"][0]
    assert extract.holder == child
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", extract.verify_token)

    text = text_of(extract)
    for expected in [
        "TRÍCH LỤC KHAI SINH",
        f"Số: {extract.number}",
        "Trần Minh An",
        ddmmyyyy(BIRTH_DATE),
        vietnamese.date_in_words(BIRTH_DATE),
        "Giới tính: Nam",
        "Dân tộc: Kinh",
        "Quốc tịch: Việt Nam",
        "Bệnh viện Phụ sản Hà Nội, 929 đường La Thành",
        "Quê quán: Xã Đông Anh, Thành phố Hà Nội",
        f"Số định danh cá nhân: {child.id_number}",
        "Họ, chữ đệm, tên người mẹ: Nguyễn Thị Hoa",
        "Năm sinh: 1995",
        "Số 5 phố Kim Mã",
        "Họ, chữ đệm, tên người cha: Trần Văn Bình",
        "Năm sinh: 1993",
        "Dân tộc: Mường",
        "Nơi đăng ký khai sinh: UBND phường Ba Đình",
        f"Ngày, tháng, năm đăng ký: {ddmmyyyy(timezone.localdate(dossier.decided_at))}",
        f"Số đăng ký khai sinh: {dossier.code}",
        "Vũ Minh Khôi",
    ]:
        assert expected in text, expected
    assert link_in(extract)
    with extract.file.open("rb") as handle:
        assert len(pypdf.PdfReader(io.BytesIO(handle.read())).pages) == 1  # one sheet


def test_with_the_father_unknown_the_extract_leaves_his_details_empty(world):
    dossier = register_birth(world, father_unknown=True, father_id_number="")
    text = text_of(result(dossier, "birth_certificate"))
    assert "Trần Văn Bình" not in text
    assert "Họ, chữ đệm, tên người cha: Năm sinh: Dân tộc: Quốc tịch: Nơi cư trú:" in text


def test_a_father_outside_the_population_database_is_written_as_declared(world):
    dossier = register_birth(
        world,
        father_id_number="",
        father_name="John Smith",
        father_birth_year=1990,
        father_nationality="Hoa Kỳ",
        father_residence="Số 5 phố Kim Mã, Hà Nội",
    )
    text = text_of(result(dossier, "birth_certificate"))
    assert "Họ, chữ đệm, tên người cha: John Smith Năm sinh: 1990" in text
    assert "Quốc tịch: Hoa Kỳ" in text


def test_dates_and_numbers_are_written_in_words_as_civil_status_documents_do():
    assert (
        vietnamese.date_in_words(dt.date(2026, 3, 15))
        == "Ngày mười lăm, tháng ba, năm hai nghìn không trăm hai mươi sáu"
    )
    assert (
        vietnamese.date_in_words(dt.date(2025, 4, 1))
        == "Ngày một, tháng tư, năm hai nghìn không trăm hai mươi lăm"
    )
    assert (
        vietnamese.date_in_words(dt.date(2024, 12, 21))
        == "Ngày hai mươi mốt, tháng mười hai, năm hai nghìn không trăm hai mươi bốn"
    )
    assert vietnamese.number_in_words(2005) == "hai nghìn không trăm linh năm"
    assert vietnamese.money_in_words(1250000) == "Một triệu hai trăm năm mươi nghìn đồng"


# --- The QR code ----------------------------------------------------------------------------


def qr_image_of(document):
    with document.file.open("rb") as handle:
        reader = pypdf.PdfReader(io.BytesIO(handle.read()))
    images = {image.name: image for page in reader.pages for image in page.images}
    assert len(images) == 1, "the result carries exactly one image: its QR code"
    return next(iter(images.values())).image.convert("L")


def modules_of(image, size: int, border: int) -> list[list[bool]]:
    """Read the dark modules of a QR image of ``size`` modules with a quiet zone
    of ``border`` modules, sampling the centre of each module."""
    width, height = image.size
    assert width == height and width % (size + 2 * border) == 0
    step = width // (size + 2 * border)
    return [
        [
            image.getpixel(((border + x) * step + step // 2, (border + y) * step + step // 2)) < 128
            for x in range(size)
        ]
        for y in range(size)
    ]


def test_the_qr_code_in_the_pdf_encodes_the_address_of_the_verification_page(world):
    dossier = register_birth(world)
    extract = result(dossier, "birth_certificate")
    url = f"{PUBLIC}/verify/{extract.verify_token}"

    # The symbol qrcode makes for the URL (level M), without its quiet zone.
    expected = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    expected.add_data(url)
    expected.make(fit=True)
    matrix = expected.get_matrix()

    image = qr_image_of(extract)
    assert modules_of(image, len(matrix), border=4) == matrix
    # The quiet zone is white all round.
    step = image.size[0] // (len(matrix) + 8)
    assert all(
        image.getpixel((x, y)) > 128 for x in range(image.size[0]) for y in (0, 4 * step - 1)
    )


def test_another_address_would_not_match_the_qr_code(world):
    """The check above is not vacuous: a different token gives another symbol."""
    dossier = register_birth(world)
    extract = result(dossier, "birth_certificate")
    other = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    other.add_data(f"{PUBLIC}/verify/{verification.new_token()}")
    other.make(fit=True)
    image = qr_image_of(extract)
    assert modules_of(image, len(other.get_matrix()), border=4) != other.get_matrix()


# --- The code and the number never change ----------------------------------------------------


def test_processing_the_step_again_changes_neither_the_code_nor_the_number_nor_the_file(world):
    dossier = register_birth(world)
    extract = result(dossier, "birth_certificate")
    before = (extract.verify_token, extract.number, extract.sha256, extract.file.name)

    tasks.after_event(dossier.events.order_by("-seq").first().pk)
    rendering.render_results(dossier)
    extract.refresh_from_db()
    assert (extract.verify_token, extract.number, extract.sha256, extract.file.name) == before


def test_rendering_the_pdf_again_keeps_the_code_the_number_and_the_date(
    world, django_capture_on_commit_callbacks
):
    dossier = register_birth(world)
    extract = result(dossier, "birth_certificate")
    token, number, issued, old_file = (
        extract.verify_token,
        extract.number,
        extract.created_at,
        extract.file.name,
    )
    admin = UserFactory(is_superuser=True, is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.document_rerender(extract, admin)
    extract.refresh_from_db()
    assert (extract.verify_token, extract.number, extract.created_at) == (token, number, issued)
    assert extract.file.name != old_file and not default_storage.exists(old_file)
    assert link_in(extract) and number in text_of(extract)


def test_codes_are_unguessable_and_distinct():
    tokens = {verification.new_token() for _ in range(1000)}
    assert len(tokens) == 1000
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}", t) for t in tokens)  # 256 random bits


def test_a_failed_rendering_gives_no_number_and_the_retry_numbers_it(world, monkeypatch):
    real = pdf.render_pdf

    def broken(template_name, context, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pdf, "render_pdf", broken)
    with pytest.raises(OSError):
        register_birth(world)
    dossier = Dossier.objects.get(procedure__handler="birth")
    failed = result(dossier, "birth_certificate")
    assert failed.error.startswith("OSError") and not failed.file
    assert failed.verify_token is None and failed.number == ""

    monkeypatch.setattr(pdf, "render_pdf", real)
    rendering.render_results(dossier)
    issued = result(dossier, "birth_certificate")
    assert issued.file and issued.number == f"1/{TODAY.year}/TLKS" and issued.verify_token


def test_numbers_follow_each_other_per_agency_kind_and_year(world):
    first = result(register_birth(world), "birth_certificate")
    # Another child of the mother, born a year before (not a duplicate birth).
    earlier = (BIRTH_DATE - dt.timedelta(days=365)).isoformat()
    second = result(
        register_birth(world, full_name="Trần Minh Bảo", birth_date=earlier), "birth_certificate"
    )
    assert (first.number, second.number) == (f"1/{TODAY.year}/TLKS", f"2/{TODAY.year}/TLKS")

    agency, staff = world["committee"]
    refused = DossierFactory(
        agency=agency,
        procedure=ProcedureFactory(handler="birth"),
        data=birth_data(world, full_name="Trần Minh Cường"),
        applicant=world["mother_user"],
        applicant_person=world["mother"],
    )
    refused = decide(refused, staff, decision="reject", reason="Thiếu giấy chứng sinh")
    notice = result(refused, "rejection")
    assert notice.number == f"1/{TODAY.year}/TB"
    assert notice.holder == world["mother"]
    text = text_of(notice)
    assert "Thiếu giấy chứng sinh" in text and link_in(notice)

    other_ward = AgencyFactory(code="UBKM", kind=Agency.Kind.PEOPLES_COMMITTEE)
    assert verification.next_number(other_ward, "TLKS", TODAY.year) == (f"1/{TODAY.year}/TLKS")


# --- The residence confirmation and the health-insurance card --------------------------------


def test_the_police_confirm_the_childs_residence_in_the_household(world):
    child = child_of(register_birth(world))
    police, staff = world["police"]
    start = BIRTH_DATE + dt.timedelta(days=5)
    dossier = DossierFactory(
        agency=police,
        procedure=ProcedureFactory(handler="residence", name="Đăng ký thường trú"),
        subject_person=child,
        applicant=world["mother_user"],
        applicant_person=world["mother"],
        data={
            "person_id_number": child.id_number,
            "household_number": "HN0010001",
            "relation": "child",
            "legal_basis": "relatives_home",
            "head_consents": "yes",
            "start_date": start.isoformat(),
        },
    )
    dossier = decide(dossier, staff)
    confirmation = result(dossier, "residence_confirmation")
    assert confirmation.title == "Xác nhận thông tin về cư trú"
    assert confirmation.number == f"1/{TODAY.year}/XNCT"
    assert confirmation.issued_by == police and confirmation.holder == child
    text = text_of(confirmation)
    for expected in [
        "XÁC NHẬN THÔNG TIN VỀ CƯ TRÚ",
        "Công an phường Ba Đình xác nhận",
        "Họ, chữ đệm và tên: Trần Minh An",
        f"Số định danh cá nhân: {child.id_number}",
        "Nơi thường trú: Số 5 phố Kim Mã",
        "Số hộ: HN0010001",
        "Họ, chữ đệm và tên chủ hộ: Nguyễn Thị Hoa",
        "Quan hệ với chủ hộ: Con",
        f"Thời gian bắt đầu cư trú: {ddmmyyyy(start)}",
        "TRƯỞNG CÔNG AN",
        "Đỗ Văn Hùng",
    ]:
        assert expected in text, expected
    assert link_in(confirmation)


def test_social_insurance_issues_the_childs_card_valid_until_the_day_before_six(world):
    child = child_of(register_birth(world))
    insurance, staff = world["insurance"]
    dossier = DossierFactory(
        agency=insurance,
        procedure=ProcedureFactory(handler="health_insurance", name="Cấp thẻ BHYT"),
        subject_person=child,
        applicant=world["mother_user"],
        applicant_person=world["mother"],
        data={"child_id_number": child.id_number, "health_facility": "Trạm y tế phường Ba Đình"},
    )
    dossier = decide(dossier, staff)
    child.refresh_from_db()
    card = result(dossier, "health_insurance_card")
    assert card.number == f"1/{TODAY.year}/BHYT" and card.issued_by == insurance
    text = text_of(card)
    until = card_valid_until(BIRTH_DATE)
    for expected in [
        "THẺ BẢO HIỂM Y TẾ",
        f"Mã số thẻ: {child.health_insurance_number}",
        "Họ và tên: Trần Minh An",
        f"Ngày sinh: {ddmmyyyy(BIRTH_DATE)}",
        "Giới tính: Nam",
        "Trạm y tế phường Ba Đình",
        f"Từ ngày {ddmmyyyy(BIRTH_DATE)} đến ngày {ddmmyyyy(until)}",
        "Nơi cấp: Bảo hiểm xã hội khu vực Ba Đình",
    ]:
        assert expected in text, expected
    assert link_in(card)
    assert child.health_insurance_number.startswith("TE1")


@pytest.mark.parametrize(
    ("birth", "until"),
    [
        (dt.date(2026, 3, 10), dt.date(2032, 3, 9)),
        (dt.date(2024, 2, 29), dt.date(2030, 2, 28)),
        (dt.date(2025, 1, 1), dt.date(2030, 12, 31)),
    ],
)
def test_the_card_is_valid_until_the_day_before_the_sixth_birthday(birth, until):
    assert card_valid_until(birth) == until


def test_an_interconnected_birth_brings_back_three_results_each_issued_by_its_agency(
    world, client, django_capture_on_commit_callbacks
):
    """The ward registers the birth; the police and social insurance decide in
    their own queues; the three results come back together to the mother's
    wallet, each numbered by its issuing agency, about the child, with a QR
    link that the public page confirms. Background jobs run as after commit."""
    police, police_staff = world["police"]
    insurance, insurance_staff = world["insurance"]
    ProcedureFactory(handler="residence").offered_by.add(police)
    ProcedureFactory(handler="health_insurance").offered_by.add(insurance)
    committee, staff = world["committee"]
    dossier = DossierFactory(
        agency=committee,
        procedure=ProcedureFactory(handler="birth", name="Đăng ký khai sinh"),
        data=birth_data(world),
        applicant=world["mother_user"],
        applicant_person=world["mother"],
        applicant_name=world["mother"].full_name,
    )

    def step(d, action, actor, **params):
        with django_capture_on_commit_callbacks(execute=True):
            return transitions.perform(d, action, actor=actor, **params)

    for action, actor, params in [
        ("submit", dossier.applicant, {}),
        ("receive", staff[Role.CLERK], {}),
        ("assign", staff[Role.CLERK], {"officer": staff[Role.OFFICER]}),
        ("propose", staff[Role.OFFICER], {"decision": "approve"}),
        ("approve", staff[Role.HEAD], {}),
    ]:
        dossier = step(dossier, action, actor, **params)
    child = child_of(dossier)
    for target, agency_staff in (("residence", police_staff), ("insurance", insurance_staff)):
        handed = Handoff.objects.get(dossier=dossier, target=target).agency_dossier
        handed = step(
            handed, "assign", agency_staff[Role.CLERK], officer=agency_staff[Role.OFFICER]
        )
        handed = step(handed, "propose", agency_staff[Role.OFFICER], decision="approve")
        step(handed, "approve", agency_staff[Role.HEAD])
    dossier.refresh_from_db()
    assert dossier.status == "result_ready"

    documents = {
        entry.kind: entry.document
        for entry in WalletDocument.objects.filter(owner=world["mother_user"]).select_related(
            "document"
        )
    }
    assert set(documents) == {
        "birth_certificate",
        "residence_confirmation",
        "health_insurance_card",
    }
    expected = {
        "birth_certificate": (committee, "TLKS", "Vũ Minh Khôi"),
        "residence_confirmation": (police, "XNCT", "Đỗ Văn Hùng"),
        "health_insurance_card": (insurance, "BHYT", "Hoàng Thị Lan"),
    }
    for kind, (agency, suffix, signer) in expected.items():
        document = documents[kind]
        assert document.issued_by == agency and document.holder == child
        assert document.number == f"1/{TODAY.year}/{suffix}"
        text = text_of(document)
        assert child.full_name in text and signer in text and link_in(document)
        page = client.get(f"/verify/{document.verify_token}", HTTP_ACCEPT_LANGUAGE="vi")
        assert page.status_code == 200
        assert document.number in page.text and agency.name in page.text
        assert "T. M. A." in page.text and child.full_name not in page.text
    card_text = text_of(documents["health_insurance_card"])
    assert "Trạm y tế phường Ba Đình" in card_text
    child.refresh_from_db()
    assert f"Mã số thẻ: {child.health_insurance_number}" in card_text
    assert "Quan hệ với chủ hộ: Con" in text_of(documents["residence_confirmation"])
