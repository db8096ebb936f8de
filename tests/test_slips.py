"""The one-stop slips (Circular 01/2018/TT-VPCP forms 01-05) as PDFs: which step
issues which slip, once; what each says, in Vietnamese; rendered offline."""

import datetime as dt
import hashlib
import io
import socket
import unicodedata

import pypdf
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from weasyprint import HTML

from citizens.models import Role
from egov import vietnamese
from egov.text import money
from onecounter import tasks, transitions
from onecounter.models import DossierDocument, DossierEvent
from onecounter.slips import contexts, pdf
from onecounter.slips import issue as slips
from tests.factories import (
    AgencyFactory,
    DossierFactory,
    MembershipFactory,
    ProcedureFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

Kind = DossierDocument.Kind


@pytest.fixture(autouse=True)
def _private_files(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }


@pytest.fixture
def office(db):
    agency = AgencyFactory(
        code="UBLB",
        name="UBND phường Long Biên",
        address="Số 1 phố Ngọc Lâm, phường Long Biên, Hà Nội",
        phone="024 3827 1234",
    )
    names = {
        Role.CLERK: "Lê Thị Thu Trang",
        Role.OFFICER: "Phạm Đức Thắng",
        Role.HEAD: "Vũ Minh Khôi",
    }
    staff = {
        role: MembershipFactory(agency=agency, role=role, user=UserFactory(full_name=name)).user
        for role, name in names.items()
    }
    return agency, staff


@pytest.fixture
def procedure(db):
    procedure = ProcedureFactory(
        name="Đăng ký khai sinh", code="1.001193", days_online=3, days_counter=5
    )
    procedure.documents.create(name="Tờ khai đăng ký khai sinh", originals=1, order=1)
    procedure.documents.create(name="Giấy chứng sinh", originals=1, order=2)
    procedure.documents.create(
        name="Văn bản ủy quyền", originals=0, copies=1, mandatory=False, order=3
    )
    return procedure


@pytest.fixture
def dossier(office, procedure):
    agency, _staff = office
    return DossierFactory(
        agency=agency,
        procedure=procedure,
        channel="counter",
        applicant=UserFactory(full_name="Đặng Thị Hường"),
        applicant_name="Đặng Thị Hường",
        applicant_address="Số 12 ngõ 34 phố Ngọc Thụy, Hà Nội",
    )


def step(dossier, action, actor, reason="", **params):
    """Take ``action`` and return the dossier and the event it wrote."""
    dossier = transitions.perform(dossier, action, actor=actor, reason=reason, **params)
    return dossier, dossier.events.order_by("-seq").first()


def received(dossier, staff):
    dossier, _ = step(dossier, "submit", dossier.applicant)
    return step(dossier, "receive", staff[Role.CLERK])


def text_of(document) -> str:
    """The PDF's extracted text, whitespace collapsed (lines may wrap anywhere)."""
    with document.file.open("rb") as handle:
        reader = pypdf.PdfReader(io.BytesIO(handle.read()))
    text = " ".join(page.extract_text() for page in reader.pages)
    return " ".join(unicodedata.normalize("NFC", text).split())


def ddmmyyyy(day) -> str:
    return day.strftime("%d/%m/%Y")


def test_given_a_received_dossier_when_the_step_is_processed_then_receipt_and_tracking_slips_exist(
    office, dossier
):
    _agency, staff = office
    dossier, event = received(dossier, staff)

    tasks.after_event(event.pk)

    documents = {d.kind: d for d in DossierDocument.objects.filter(dossier=dossier)}
    assert set(documents) == {Kind.RECEIPT, Kind.TRACKING}
    for document in documents.values():
        assert document.key == f"event-{event.pk}"
        assert document.file.name.startswith(f"dossiers/{dossier.pk}/")
        assert document.rendered_at is not None and document.error == ""
        with document.file.open("rb") as handle:
            content = handle.read()
        assert content.startswith(b"%PDF-")
        assert hashlib.sha256(content).hexdigest() == document.sha256

    receipt = text_of(documents[Kind.RECEIPT])
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in receipt
    assert "Mẫu số 01" in receipt
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in receipt
    assert "Độc lập - Tự do - Hạnh phúc" in receipt
    assert "UBND PHƯỜNG LONG BIÊN" in receipt
    assert dossier.code in receipt
    assert "Đặng Thị Hường" in receipt
    assert "Đăng ký khai sinh" in receipt
    for name in ("Tờ khai đăng ký khai sinh", "Giấy chứng sinh", "Văn bản ủy quyền (nếu có)"):
        assert name in receipt
    received_on = timezone.localdate(dossier.received_at)
    assert f"ngày {ddmmyyyy(received_on)}" in receipt
    assert f"ngày {ddmmyyyy(dossier.due_date)}" in receipt
    assert "5 ngày làm việc" in receipt  # counter channel
    assert "Số 1 phố Ngọc Lâm" in receipt  # where to collect
    assert "Lê Thị Thu Trang" in receipt  # the clerk who received it
    assert vietnamese.place_date(received_on) in receipt

    tracking = text_of(documents[Kind.TRACKING])
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in tracking and "Mẫu số 05" in tracking
    assert dossier.code in tracking and "Đặng Thị Hường" in tracking
    assert "Nộp hồ sơ" in tracking and "Tiếp nhận hồ sơ, hẹn trả kết quả" in tracking
    assert "Người nộp hồ sơ" in tracking and "Lê Thị Thu Trang" in tracking
    assert ddmmyyyy(dossier.due_date) in tracking


def test_given_processed_slips_when_the_step_runs_again_then_nothing_new_and_nothing_rerendered(
    office, dossier, monkeypatch
):
    _agency, staff = office
    dossier, event = received(dossier, staff)
    tasks.after_event(event.pk)
    before = {d.pk: (d.sha256, d.file.name) for d in DossierDocument.objects.all()}

    def must_not_render(*args, **kwargs):
        raise AssertionError("rendered again")

    monkeypatch.setattr(pdf, "render_pdf", must_not_render)
    DossierEvent.objects.filter(pk=event.pk).update(processed_at=None)  # as if the task ran twice
    tasks.after_event(event.pk)
    slips.render_for_event(DossierEvent.objects.get(pk=event.pk))

    after = {d.pk: (d.sha256, d.file.name) for d in DossierDocument.objects.all()}
    assert after == before and len(after) == 2


def test_steps_without_a_slip_issue_nothing(office, dossier):
    _agency, staff = office
    dossier, submitted = step(dossier, "submit", dossier.applicant)
    assert slips.render_for_event(submitted) == []
    dossier, _ = step(dossier, "receive", staff[Role.CLERK])
    dossier, assigned = step(dossier, "assign", staff[Role.CLERK], officer=staff[Role.OFFICER])
    with CaptureQueriesContext(connection) as queries:
        assert slips.render_for_event(assigned) == []
    assert len(queries) == 0
    assert not DossierDocument.objects.filter(key=f"event-{assigned.pk}").exists()


def test_a_supplement_request_before_receipt_lists_everything_missing_in_one_slip(office, dossier):
    _agency, staff = office
    dossier, _ = step(dossier, "submit", dossier.applicant)
    items = [
        "Bản chính Giấy chứng sinh do bệnh viện cấp",
        "Văn bản ủy quyền có chứng thực của người ủy quyền",
        "Tờ khai có đủ chữ ký của người đi khai sinh",
    ]
    dossier, event = step(
        dossier,
        "request_supplement_before_receipt",
        staff[Role.CLERK],
        reason="Hồ sơ chưa đủ thành phần theo quy định",
        items=items,
    )

    tasks.after_event(event.pk)

    document = DossierDocument.objects.get(dossier=dossier)
    assert (document.kind, document.key) == (Kind.SUPPLEMENT, f"event-{event.pk}")
    text = text_of(document)
    assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in text and "Mẫu số 02" in text
    assert dossier.code in text and "Đặng Thị Hường" in text and "Đăng ký khai sinh" in text
    for number, item in enumerate(items, start=1):
        assert f"{number}. {item}" in text
    assert "Hồ sơ chưa đủ thành phần theo quy định" in text
    assert "Lê Thị Thu Trang" in text
    submitted_on = timezone.localdate(dossier.submitted_at)
    assert ddmmyyyy(submitted_on) in text


def test_a_supplement_request_during_processing_has_its_deadline_and_pauses_the_clock(
    office, dossier
):
    _agency, staff = office
    dossier, _ = received(dossier, staff)
    dossier, _ = step(dossier, "assign", staff[Role.CLERK], officer=staff[Role.OFFICER])
    dossier, event = step(
        dossier,
        "request_supplement",
        staff[Role.OFFICER],
        items=["Giấy xác nhận cư trú của người mẹ", "Bản sao giấy chứng nhận kết hôn"],
    )

    slips.render_for_event(event)

    document = DossierDocument.objects.get(dossier=dossier, kind=Kind.SUPPLEMENT)
    request = dossier.supplements.get()
    text = text_of(document)
    assert "1. Giấy xác nhận cư trú của người mẹ" in text
    assert "2. Bản sao giấy chứng nhận kết hôn" in text
    assert f"trước hết ngày {ddmmyyyy(request.deadline)}" in text
    assert "tạm dừng" in text
    assert "Phạm Đức Thắng" in text


def test_a_refusal_slip_gives_the_reason(office, dossier):
    _agency, staff = office
    dossier, _ = step(dossier, "submit", dossier.applicant)
    reason = "Thủ tục không thuộc thẩm quyền giải quyết của UBND phường Long Biên"
    dossier, event = step(dossier, "refuse", staff[Role.CLERK], reason=reason)

    tasks.after_event(event.pk)

    document = DossierDocument.objects.get(dossier=dossier)
    assert document.kind == Kind.REFUSAL
    text = text_of(document)
    assert "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ" in text and "Mẫu số 03" in text
    assert dossier.code in text and "Đặng Thị Hường" in text and "Đăng ký khai sinh" in text
    assert reason in text


def test_an_apology_slip_gives_the_old_and_the_new_date_and_the_reason(office, dossier):
    _agency, staff = office
    dossier, receipt_event = received(dossier, staff)
    old_due = dossier.due_date
    new_due = old_due + dt.timedelta(days=7)
    dossier, event = step(
        dossier,
        "apologise",
        staff[Role.HEAD],
        reason="Cần xác minh thông tin cư trú với Công an phường",
        new_due_date=new_due,
    )

    tasks.after_event(receipt_event.pk)  # processed late, after the apology
    tasks.after_event(event.pk)

    apology = DossierDocument.objects.get(dossier=dossier, kind=Kind.APOLOGY)
    text = text_of(apology)
    assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in text and "Mẫu số 04" in text
    assert dossier.code in text and "Đặng Thị Hường" in text and "Đăng ký khai sinh" in text
    assert f"ngày {ddmmyyyy(old_due)}" in text
    assert f"ngày {ddmmyyyy(new_due)}" in text
    assert "Cần xác minh thông tin cư trú với Công an phường" in text
    # The receipt rendered after the apology still shows the date promised at receipt.
    receipt = text_of(DossierDocument.objects.get(dossier=dossier, kind=Kind.RECEIPT))
    assert f"ngày {ddmmyyyy(old_due)}" in receipt and ddmmyyyy(new_due) not in receipt


def test_an_applicant_name_typed_with_combining_accents_prints_as_precomposed_letters(
    office, dossier
):
    _agency, staff = office
    dossier.applicant_name = unicodedata.normalize("NFD", "Nguyễn Văn An")
    dossier.save(update_fields=["applicant_name"])
    dossier, event = received(dossier, staff)
    slips.render_for_event(event)
    assert "Nguyễn Văn An" in text_of(DossierDocument.objects.get(kind=Kind.RECEIPT))


def test_the_tracking_slip_is_refreshed_on_demand_once_per_new_step(office, dossier):
    _agency, staff = office
    dossier, _ = received(dossier, staff)
    dossier, _ = step(dossier, "assign", staff[Role.CLERK], officer=staff[Role.OFFICER])

    first = slips.render_tracking_slip(dossier)
    assert first.key == "tracking-3"
    again = slips.render_tracking_slip(dossier)
    assert (again.pk, again.sha256) == (first.pk, first.sha256)
    text = text_of(first)
    assert "Phân công cán bộ xử lý" in text and "Lê Thị Thu Trang" in text

    dossier, _ = step(dossier, "propose", staff[Role.OFFICER], decision="approve")
    newer = slips.render_tracking_slip(dossier)
    assert newer.key == "tracking-4" and newer.pk != first.pk
    assert "Đề xuất kết quả giải quyết" in text_of(newer)
    assert "Phạm Đức Thắng" in text_of(newer)


def test_a_rendering_error_is_recorded_on_the_row_and_raised_then_a_retry_renders(
    office, dossier, monkeypatch
):
    _agency, staff = office
    dossier, _ = received(dossier, staff)
    real_render = pdf.render_pdf

    def broken(*args, **kwargs):
        raise RuntimeError("Pango is missing")

    monkeypatch.setattr(pdf, "render_pdf", broken)
    with pytest.raises(RuntimeError):
        slips.render_tracking_slip(dossier)
    document = DossierDocument.objects.get(dossier=dossier, kind=Kind.TRACKING)
    assert "Pango is missing" in document.error and not document.file

    monkeypatch.setattr(pdf, "render_pdf", real_render)
    retried = slips.render_tracking_slip(dossier)
    assert retried.pk == document.pk and retried.file and retried.error == ""


def test_a_failing_step_rolls_back_and_leaves_the_event_pending_for_a_retry(
    office, dossier, monkeypatch
):
    _agency, staff = office
    dossier, event = received(dossier, staff)
    monkeypatch.setattr(pdf, "render_pdf", lambda *a, **k: (_ for _ in ()).throw(OSError("x")))
    with pytest.raises(OSError):
        tasks.after_event(event.pk)
    event.refresh_from_db()
    assert event.processed_at is None


def test_document_response_serves_the_stored_pdf_named_after_the_dossier(office, dossier):
    _agency, staff = office
    dossier, event = received(dossier, staff)
    slips.render_for_event(event)
    document = DossierDocument.objects.select_related("dossier").get(kind=Kind.RECEIPT)

    response = slips.document_response(document)

    body = b"".join(response.streaming_content)
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="{dossier.code}-receipt.pdf"' in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert hashlib.sha256(body).hexdigest() == document.sha256
    download = slips.document_response(document, as_attachment=True)
    assert download["Content-Disposition"].startswith("attachment;")
    download.close()


def test_the_pdf_embeds_the_bundled_vietnamese_font_and_needs_no_network(
    office, dossier, monkeypatch
):
    _agency, staff = office
    dossier, event = received(dossier, staff)
    fetched = []
    real_fetch = pdf.OfflineURLFetcher.fetch

    def spy(self, url, headers=None):
        fetched.append(url)
        return real_fetch(self, url, headers)

    monkeypatch.setattr(pdf.OfflineURLFetcher, "fetch", spy)
    monkeypatch.setattr(socket.socket, "connect", _no_network)
    slips.render_for_event(event)
    assert fetched and all(url.startswith(pdf.FONTS_DIR.as_uri()) for url in fetched)
    document = DossierDocument.objects.get(kind=Kind.RECEIPT)
    with document.file.open("rb") as handle:
        reader = pypdf.PdfReader(io.BytesIO(handle.read()))
    fonts = {
        str(font.get_object()["/BaseFont"])
        for font in reader.pages[0]["/Resources"]["/Font"].values()
    }
    assert fonts and all("Be-Vietnam-Pro" in name for name in fonts)


# --- Offline rendering -----------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/logo.png",
        "https://example.com/style.css",
        "ftp://example.com/font.ttf",
        "file:///etc/passwd",
        (pdf.STATIC_DIR / ".." / "egov" / "settings.py").as_uri(),
    ],
)
def test_the_url_fetcher_refuses_the_network_and_files_outside_static(url):
    fetcher = pdf.OfflineURLFetcher()
    with pytest.raises(pdf.RefusedURL):
        fetcher.fetch(url)
    assert fetcher.refused == [url]


def test_the_url_fetcher_serves_the_bundled_fonts_and_data_urls():
    fetcher = pdf.OfflineURLFetcher()
    font = fetcher.fetch((pdf.FONTS_DIR / "BeVietnamPro-Regular.ttf").as_uri())
    assert font.read(4) == b"\x00\x01\x00\x00"  # a TrueType font
    assert fetcher.fetch("data:text/plain;base64,eGlu").read() == b"xin"
    assert all(face["url"].startswith("file://") for face in pdf.font_faces())


def _no_network(*args, **kwargs):
    raise AssertionError("a network connection was attempted")


def test_rendering_a_page_that_links_to_the_network_opens_no_connection(monkeypatch):
    monkeypatch.setattr(socket.socket, "connect", _no_network)
    monkeypatch.setattr(socket, "create_connection", _no_network)
    fetcher = pdf.OfflineURLFetcher()
    html = (
        '<link rel="stylesheet" href="https://cdn.example.com/x.css">'
        '<p>Xin chào <img src="http://example.com/logo.png"></p>'
    )
    content = HTML(string=html, url_fetcher=fetcher).write_pdf()
    assert content.startswith(b"%PDF-")
    assert sorted(fetcher.refused) == [
        "http://example.com/logo.png",
        "https://cdn.example.com/x.css",
    ]


def test_slip_dates_are_written_as_in_administrative_documents():
    assert vietnamese.format_date(dt.date(2026, 3, 4)) == "04/03/2026"
    assert vietnamese.place_date(dt.date(2026, 3, 4)) == "Hà Nội, ngày 04 tháng 3 năm 2026"
    assert vietnamese.place_date(dt.date(2026, 2, 14)) == "Hà Nội, ngày 14 tháng 02 năm 2026"
    assert vietnamese.place_date(dt.date(2026, 12, 25)) == "Hà Nội, ngày 25 tháng 12 năm 2026"
    assert money(1250000, unit="đồng", language="vi") == "1.250.000 đồng"


def test_form_numbers_and_titles_can_be_replaced_in_settings(settings):
    settings.EGOV_SLIP_FORMS = {"receipt": {"number": "Mẫu số 01/TN"}}
    form = contexts.circular_form(Kind.RECEIPT)
    assert form.number == "Mẫu số 01/TN"
    assert form.title == "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"


@pytest.mark.django_db
def test_a_result_is_rendered_once_per_result_document_when_the_result_is_ready(office, dossier):
    _agency, staff = office
    dossier, _ = received(dossier, staff)
    for action, actor, params in [
        ("assign", staff[Role.CLERK], {"officer": staff[Role.OFFICER]}),
        ("propose", staff[Role.OFFICER], {"decision": "approve"}),
        ("approve", staff[Role.HEAD], {}),
    ]:
        dossier, _ = step(dossier, action, actor, **params)
    dossier, event = step(dossier, "mark_result_ready", staff[Role.OFFICER])
    tasks.after_event(event.pk)
    tasks.after_event(event.pk)
    results = list(DossierDocument.objects.filter(dossier=dossier, kind=Kind.RESULT))
    assert [r.key for r in results] == ["decision"]
    text = text_of(results[0])
    assert "KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH" in text
    assert dossier.code in text and "Đặng Thị Hường" in text


@pytest.mark.django_db
def test_a_rejected_dossier_gets_a_notice_with_the_reason(office, dossier):
    _agency, staff = office
    dossier, _ = received(dossier, staff)
    dossier, _ = step(dossier, "assign", staff[Role.CLERK], officer=staff[Role.OFFICER])
    dossier, _ = step(dossier, "propose", staff[Role.OFFICER], decision="reject")
    dossier, _ = step(dossier, "reject", staff[Role.HEAD], reason="Không đủ điều kiện theo luật")
    dossier, event = step(dossier, "mark_result_ready", staff[Role.OFFICER])
    tasks.after_event(event.pk)
    notice = DossierDocument.objects.get(dossier=dossier, kind=Kind.RESULT)
    assert notice.key == "rejection"
    assert "Không đủ điều kiện theo luật" in text_of(notice)


# --- A dossier handed on by another agency (interconnect: the system step hand_in) ----------


@pytest.fixture
def linked(settings, tmp_path, django_capture_on_commit_callbacks):
    """A birth registered by UBND phường Long Biên and handed on to the ward
    police (whose residence procedure takes 7 days at the counter) and social
    insurance: the police's dossier, the birth and the world."""
    from tests.test_handoffs import World

    settings.EGOV_CIVIL_REGISTRY_URL = ""
    world = World()
    with django_capture_on_commit_callbacks(execute=True):
        birth = world.register_birth()
    police = birth.handoffs.get(target="residence").agency_dossier
    return police, birth, world


def test_a_handed_on_dossier_gets_a_receipt_with_the_handoffs_budget_and_where_it_came_from(
    linked,
):
    police, birth, _world = linked
    hand_in = police.events.get(action="hand_in")
    documents = {
        d.kind: d for d in DossierDocument.objects.filter(dossier=police, key=f"event-{hand_in.pk}")
    }
    assert set(documents) == {Kind.RECEIPT, Kind.TRACKING}

    receipt = text_of(documents[Kind.RECEIPT])
    assert police.code in receipt
    assert "2 ngày làm việc" in receipt  # the handoff's budget, not the counter's 7 days
    assert "7 ngày làm việc" not in receipt
    assert f"do UBND phường Long Biên chuyển đến (hồ sơ {birth.code})" in receipt
    assert "Trực tiếp tại" not in receipt  # nobody filed it in person
    assert f"ngày {ddmmyyyy(police.due_date)}" in receipt
    assert "Hệ thống" in receipt  # received by the system, not by a clerk
    # The parent is named, but nobody stood at the desk to sign as the applicant.
    assert "Nguyễn Thị Hoa" in receipt and receipt.count("(Ký và ghi rõ họ tên)") == 1

    tracking = text_of(documents[Kind.TRACKING])
    assert "Tiếp nhận hồ sơ liên thông từ cơ quan khác, hẹn trả kết quả" in tracking
    assert "2 ngày làm việc" in tracking and "hand_in" not in tracking


def test_the_tracking_slip_names_verification_needed_and_the_extended_budget(linked):
    police, _birth, world = linked
    officer = world.user("CALB", Role.OFFICER)
    police = transitions.perform(police, "need_verification", actor=officer)

    tracking = text_of(slips.render_tracking_slip(police))

    assert "Cần xác minh, thời hạn giải quyết 05 ngày làm việc" in tracking
    assert "need_verification" not in tracking
    assert "5 ngày làm việc" in tracking
    # The receipt issued when it was handed in still says what was promised then.
    receipt = police.documents.get(kind=Kind.RECEIPT)
    assert "2 ngày làm việc" in text_of(receipt)
