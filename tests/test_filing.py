"""Filing a procedure online: start, pages, documents, check your answers,
submission, drafts, prefill, permissions, retention and the API.

Pages are read in English (language cookie) so the assertions can name the
messages; the Vietnamese pages are driven by the browser tests. Tests that
need ``on_commit`` (the submission receipt rendered after commit) commit
(``transaction=True``); Celery runs eagerly in the tests.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pypdf
import pytest
from django.conf import settings
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from citizens import demo as citizens_demo
from citizens.models import AccessLog, IdentityLink
from citizens.services import administrative_units_load
from egov.errors import NotFoundError, ValidationFailed
from onecounter import tasks
from onecounter.intake import dates, drafts, validation
from onecounter.intake.answers import answers_of
from onecounter.models import (
    Attachment,
    Dossier,
    DossierDocument,
    DossierEvent,
    Payment,
    WalletDocument,
)
from procedures import demo
from procedures.handlers import registry
from procedures.models import FormField, Procedure
from tests.factories import (
    AgencyFactory,
    PersonFactory,
    ProcedureFactory,
    UserFactory,
)
from tests.test_my_record import EXECUTABLE, PDF, make_family

pytestmark = pytest.mark.django_db

PNG_CORRUPT = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"garbage" * 40
ANSWERS_1 = {"full_name": "Nguyễn Văn Bình", "event_date": "2026-03-02"}
ANSWERS_2 = {"reason": "Lost", "copies": "2"}


# --- Fixtures and helpers -----------------------------------------------------------------


@pytest.fixture(autouse=True)
def private_dir(settings, tmp_path) -> Path:
    """Uploads and slips go to a private directory of the test."""
    location = tmp_path / "private"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location), "base_url": None},
        },
    }
    return location


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def english_client(user) -> Client:
    other = Client()
    other.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    other.force_login(user)
    return other


def stored_files(location: Path) -> list[Path]:
    return [p for p in location.rglob("*") if p.is_file()] if location.exists() else []


def make_procedure(agency, *, extra_questions: int = 0, **fields) -> Procedure:
    """A "form" procedure: two pages of questions and three documents (one
    may come from the wallet, one is optional)."""
    defaults = {
        "online_level": "full",
        "handler": "form",
        "fee_online": 0,
        "fee_counter": 0,
        "identity_level": 1,
        "days_online": 3,
        "days_counter": 5,
    }
    procedure = ProcedureFactory(**{**defaults, **fields})
    procedure.offered_by.add(agency)
    kind = FormField.Kind
    questions = [
        ("full_name", kind.TEXT, "Full name of the person concerned", 1, {"max_length": 150}),
        ("event_date", kind.DATE, "Date of the event", 1, {}),
        ("reason", kind.CHOICE, "Why you ask for a copy", 2, {"choices": "Lost\nDamaged"}),
        ("copies", kind.NUMBER, "Number of copies", 2, {"min_value": 1, "max_value": 5}),
    ]
    questions += [
        (f"note_{i}", kind.TEXT, f"Note {i}", 2, {"required": False})
        for i in range(extra_questions)
    ]
    for order, (key, question_kind, label, page, extra) in enumerate(questions):
        FormField.objects.create(
            procedure=procedure,
            key=key,
            label=label,
            label_en=label,
            kind=question_kind,
            page=page,
            order=order,
            **extra,
        )
    procedure.documents.create(name="Tờ khai", name_en="Declaration form", order=1)
    procedure.documents.create(
        name="Giấy báo tử", name_en="Death notice", order=2, wallet_kind="death_notice"
    )
    procedure.documents.create(
        name="Văn bản ủy quyền", name_en="Power of attorney", order=3, mandatory=False
    )
    return procedure


@pytest.fixture
def office(db):
    return AgencyFactory(code="UBLB", name="UBND phường Long Biên")


@pytest.fixture
def family(db):
    family = make_family()
    IdentityLink.objects.create(
        user=family["user"], person=family["father"], level=1, method="self"
    )
    family["user"].refresh_from_db()
    return family


@pytest.fixture
def procedure(office):
    return make_procedure(office)


@pytest.fixture
def citizen_client(client, family):
    client.force_login(family["user"])
    return client


def slot_keys(procedure) -> list[str]:
    return [f"doc-{d.pk}" for d in procedure.documents.order_by("order")]


def start_draft(client, procedure, **data) -> Dossier:
    data.setdefault("subject", "self")
    response = client.post(reverse("filing:start", args=[procedure.code]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    dossier = Dossier.objects.latest("created_at")
    assert response["Location"] == reverse("filing:resume", args=[dossier.pk])
    return dossier


def page_url(dossier, number: int) -> str:
    return reverse("filing:page", args=[dossier.pk, number])


def documents_url(dossier) -> str:
    return reverse("filing:documents", args=[dossier.pk])


def pdf(name: str = "giay-to.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def answer_pages(client, dossier) -> None:
    """The question pages, so the documents step may be opened."""
    assert client.post(page_url(dossier, 1), ANSWERS_1).status_code == 302
    assert client.post(page_url(dossier, 2), ANSWERS_2).status_code == 302


def answer_everything(client, dossier, procedure) -> None:
    answer_pages(client, dossier)
    declaration, notice, _optional = slot_keys(procedure)
    response = client.post(
        documents_url(dossier), {declaration: pdf(), notice: pdf(), "continue": ""}
    )
    assert response.status_code == 302, response.content.decode()[:3000]


def check_url(dossier) -> str:
    return reverse("filing:check", args=[dossier.pk])


# --- The whole flow ----------------------------------------------------------------------------


@pytest.fixture
def seeded(db):
    administrative_units_load(provinces=["01"])
    citizens_demo.seed_agencies()
    demo.seed_catalog()


@pytest.mark.django_db(transaction=True)
def test_a_linked_citizen_files_a_form_procedure_of_the_catalog_from_start_to_code(
    client, seeded, private_dir
):
    """Given the demo catalog and a citizen linked at level 1, when they file the
    death registration (two ward agencies offer it) page by page with the
    documents, then the dossier is submitted with a code, the online
    submission receipt is rendered after commit and a notice is emailed."""
    family = make_family()
    IdentityLink.objects.create(
        user=family["user"], person=family["father"], level=1, method="self"
    )
    user = family["user"]
    client.force_login(user)
    procedure = Procedure.objects.get(code="1.000656")
    detail = client.get(reverse("procedures:detail", args=[procedure.code])).text
    assert f'href="{reverse("filing:start", args=[procedure.code])}"' in detail

    start_page = client.get(reverse("filing:start", args=[procedure.code]))
    assert start_page.status_code == 200
    assert 'name="agency"' in start_page.text  # two agencies: the citizen chooses
    agency = procedure.offered_by.get(code="UBBD")
    missing_agency = client.post(reverse("filing:start", args=[procedure.code]), {})
    assert "Choose where you want to file." in missing_agency.text
    assert not Dossier.objects.exists()
    dossier = start_draft(client, procedure, agency=str(agency.pk), subject="self")
    assert dossier.agency == agency and dossier.status == "draft"
    assert dossier.applicant_person == family["father"]

    resume = client.get(reverse("filing:resume", args=[dossier.pk]))
    assert resume["Location"] == page_url(dossier, 1)
    first = client.get(page_url(dossier, 1))
    assert family["father"].id_number in first.text  # the applicant section, read-only
    assert reverse("me:correction") in first.text
    deceased = PersonFactory(full_name="Nguyễn Văn Cả", sex="M", birth_date=dt.date(1940, 1, 1))
    response = client.post(
        page_url(dossier, 1),
        {
            "deceased_id_number": deceased.id_number,
            "deceased_name": deceased.full_name,
            "date_of_death": "2026-03-01",
            "place_of_death": "Bệnh viện Bạch Mai",
        },
    )
    assert response["Location"] == page_url(dossier, 2)
    response = client.post(page_url(dossier, 2), {"cause_of_death": "Bệnh", "relation": "Con"})
    assert response["Location"] == documents_url(dossier)
    declaration, notice = (f"doc-{d.pk}" for d in procedure.documents.order_by("order", "id"))
    response = client.post(
        documents_url(dossier), {declaration: pdf("to-khai.pdf"), notice: pdf(), "continue": ""}
    )
    assert response["Location"] == check_url(dossier)

    check = client.get(check_url(dossier))
    assert "Nguyễn Văn Cả" in check.text and "01/03/2026" in check.text
    assert "Confirm and send" in check.text
    refused = client.post(check_url(dossier), {"send": ""})
    assert "Confirm that the information you gave is true." in refused.text
    response = client.post(check_url(dossier), {"declaration": "on", "send": ""})
    assert response["Location"] == reverse("filing:submitted", args=[dossier.pk])

    dossier.refresh_from_db()
    assert dossier.status == "submitted"
    assert re.fullmatch(rf"UBBD-{timezone.localdate():%y%m%d}-\d{{4}}", dossier.code)
    assert dossier.declaration_accepted_at is not None
    event = DossierEvent.objects.get(dossier=dossier, action="submit")
    assert event.processed_at is not None
    slip = DossierDocument.objects.get(dossier=dossier, kind=DossierDocument.Kind.SUBMISSION)
    assert slip.file and slip.sha256
    with slip.file.open("rb") as handle:
        text = " ".join(
            " ".join(
                p.extract_text() for p in pypdf.PdfReader(io.BytesIO(handle.read())).pages
            ).split()
        )
    assert "BIÊN NHẬN NỘP HỒ SƠ TRỰC TUYẾN" in text
    assert dossier.code in text and "Đăng ký khai tử" in text and "Nguyễn Văn An" in text
    expected = dates.expected_result_date(dossier)
    assert expected.strftime("%d/%m/%Y") in text
    assert timezone.localtime(dossier.submitted_at).strftime("%d/%m/%Y") in text
    assert [m.to for m in mail.outbox] == [[user.email]]

    confirmation = client.get(reverse("filing:submitted", args=[dossier.pk]))
    assert dossier.code in confirmation.text
    assert expected.strftime("%d/%m/%Y") in confirmation.text
    receipt_url = reverse("filing:receipt", args=[dossier.pk])
    assert receipt_url in confirmation.text
    receipt = client.get(receipt_url)
    assert receipt.status_code == 200 and receipt["Content-Type"] == "application/pdf"
    assert b"".join(receipt.streaming_content).startswith(b"%PDF-")


def test_the_confirmation_says_the_receipt_is_being_prepared_until_it_is_rendered(
    citizen_client, family, procedure
):
    dossier = start_draft(citizen_client, procedure)
    answer_everything(citizen_client, dossier, procedure)
    citizen_client.post(check_url(dossier), {"declaration": "on", "send": ""})
    page = citizen_client.get(reverse("filing:submitted", args=[dossier.pk]))
    assert "is being prepared" in page.text  # on_commit has not run in this test
    assert citizen_client.get(reverse("filing:receipt", args=[dossier.pk])).status_code == 404


def test_an_information_only_procedure_has_no_file_online_button(citizen_client, office):
    procedure = make_procedure(office, online_level="info")
    page = citizen_client.get(reverse("procedures:detail", args=[procedure.code])).text
    assert reverse("filing:start", args=[procedure.code]) not in page
    assert citizen_client.get(reverse("filing:start", args=[procedure.code])).status_code == 404


def test_an_anonymous_visitor_is_asked_to_sign_in(client, procedure):
    response = client.get(reverse("filing:start", args=[procedure.code]))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- Identity level ---------------------------------------------------------------------------


def test_an_unlinked_account_is_told_how_to_link_and_no_draft_is_made(client, procedure):
    user = UserFactory()
    client.force_login(user)
    for response in (
        client.get(reverse("filing:start", args=[procedure.code])),
        client.post(reverse("filing:start", args=[procedure.code]), {}),
    ):
        assert response.status_code == 403
        assert reverse("me:link") in response.text
        assert "Confirm who you are first" in response.text
    assert not Dossier.objects.exists()


def test_level_1_is_not_enough_for_a_level_2_procedure(citizen_client, office):
    procedure = make_procedure(office, identity_level=2)
    response = citizen_client.get(reverse("filing:start", args=[procedure.code]))
    assert response.status_code == 403
    assert "identity level 2" in response.text and "one-stop desk" in response.text
    assert "UBND phường Long Biên" in response.text  # where to have the ID card checked
    citizen_client.post(reverse("filing:start", args=[procedure.code]), {})
    assert not Dossier.objects.exists()


# --- Pages, drafts, resume ----------------------------------------------------------------------


def test_a_draft_is_resumed_in_another_session_with_every_answer_intact(
    citizen_client, family, procedure
):
    dossier = start_draft(citizen_client, procedure)
    response = citizen_client.post(page_url(dossier, 1), {**ANSWERS_1, "later": ""})
    assert response["Location"] == reverse("filing:saved", args=[dossier.pk])
    saved = citizen_client.get(response["Location"])
    assert reverse("filing:resume", args=[dossier.pk]) in saved.text

    other_session = english_client(family["user"])
    resume = other_session.get(reverse("filing:resume", args=[dossier.pk]))
    assert resume["Location"] == page_url(dossier, 2)  # page 1 is complete
    first = other_session.get(page_url(dossier, 1)).text
    assert 'value="Nguyễn Văn Bình"' in first and 'value="2026-03-02"' in first
    other_session.post(page_url(dossier, 2), ANSWERS_2)
    assert other_session.get(reverse("filing:resume", args=[dossier.pk]))["Location"] == (
        documents_url(dossier)
    )
    dossier.refresh_from_db()
    assert dossier.data == {
        "full_name": "Nguyễn Văn Bình",
        "event_date": "2026-03-02",
        "reason": "Lost",
        "copies": 2,
    }
    second = other_session.get(page_url(dossier, 2)).text
    assert re.search(r'value="Lost"[^>]*checked|checked[^>]*value="Lost"', second)
    assert 'value="2"' in second


def test_a_refused_page_keeps_what_was_typed_and_shows_each_problem(citizen_client, procedure):
    dossier = start_draft(citizen_client, procedure)
    response = citizen_client.post(
        page_url(dossier, 1), {"full_name": "Trần Thị Cúc", "event_date": "32/13/2026"}
    )
    assert response.status_code == 200
    html = response.text
    assert 'class="error-summary"' in html
    assert 'href="#id_event_date"' in html  # the summary links to the field
    assert 'id="id_event_date_error"' in html  # and the message is next to it
    assert 'value="Trần Thị Cúc"' in html and 'value="32/13/2026"' in html
    assert html.count("Error:") >= 2  # the title and the field
    dossier.refresh_from_db()
    assert dossier.data == {}


def test_save_and_come_back_later_keeps_the_answers_that_are_right(citizen_client, procedure):
    dossier = start_draft(citizen_client, procedure)
    response = citizen_client.post(
        page_url(dossier, 1), {"full_name": "Trần Thị Cúc", "event_date": "bad", "later": ""}
    )
    assert response["Location"] == reverse("filing:saved", args=[dossier.pk]) + "?partial=1"
    dossier.refresh_from_db()
    assert dossier.data == {"full_name": "Trần Thị Cúc"}
    assert "were not saved" in citizen_client.get(response["Location"]).text


def test_a_change_link_comes_back_to_the_check_page(citizen_client, procedure):
    dossier = start_draft(citizen_client, procedure)
    answer_everything(citizen_client, dossier, procedure)
    check = citizen_client.get(check_url(dossier)).text
    change = f"{page_url(dossier, 2)}?next=check#id_copies"
    assert change in check
    response = citizen_client.post(f"{page_url(dossier, 2)}?next=check", {**ANSWERS_2, "copies": 3})
    assert response["Location"] == check_url(dossier)
    assert Dossier.objects.get(pk=dossier.pk).data["copies"] == 3


def test_changing_an_answer_after_the_declaration_asks_for_it_again(
    citizen_client, family, procedure
):
    dossier = start_draft(citizen_client, procedure)
    answer_everything(citizen_client, dossier, procedure)
    drafts.declaration_accept(dossier=dossier, user=family["user"])
    citizen_client.post(page_url(dossier, 2), {**ANSWERS_2, "copies": 4})
    dossier.refresh_from_db()
    assert dossier.declaration_accepted_at is None
    with pytest.raises(ValidationFailed) as refused:
        drafts.submit_online(dossier=dossier, actor=family["user"])
    assert refused.value.code == "declaration_required"


def test_the_check_page_of_an_incomplete_draft_leads_to_the_first_step_not_done(
    citizen_client, procedure
):
    """Given a draft whose second page is not answered, when the citizen opens
    (or posts to) the check page, then they are sent to that page and nothing
    is sent; once the pages are done, the check page leads to the documents
    still missing."""
    dossier = start_draft(citizen_client, procedure)
    citizen_client.post(page_url(dossier, 1), ANSWERS_1)
    response = citizen_client.post(check_url(dossier), {"declaration": "on", "send": ""})
    assert response.status_code == 302
    assert response["Location"] == page_url(dossier, 2)
    assert Dossier.objects.get(pk=dossier.pk).status == "draft"
    citizen_client.post(page_url(dossier, 2), ANSWERS_2)
    response = citizen_client.get(check_url(dossier))
    assert response["Location"] == documents_url(dossier)


# --- Documents ---------------------------------------------------------------------------------


def raw_upload(client, url: str, field: str, filename: str, content: bytes):
    """A multipart body written by hand, so the file name reaches the server as typed."""
    boundary = "----filingtestboundary"
    body = (
        (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="continue"\r\n\r\n\r\n'
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
            f"Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return client.generic(
        "POST", url, body, content_type=f"multipart/form-data; boundary={boundary}"
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("anh-chup.pdf", EXECUTABLE, "Only PDF, JPEG and PNG files can be uploaded."),
        ("../../../egov/settings.py", b"import os\nos.system('rm -rf /')\n", "Only PDF, JPEG"),
        ("anh.png", PNG_CORRUPT, "The image is damaged and cannot be read."),
        ("to-khai.pdf", b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 10) + b"\n%%EOF\n", "larger than 1"),
    ],
    ids=["renamed-executable", "dot-dot-slash-name", "corrupt-image", "oversized"],
)
def test_a_bad_upload_is_refused_with_a_message_and_nothing_is_stored(
    citizen_client, procedure, private_dir, settings, name, content, message
):
    settings.EGOV_UPLOAD_MAX_BYTES = 1024 * 1024
    dossier = start_draft(citizen_client, procedure)
    answer_pages(citizen_client, dossier)
    field = slot_keys(procedure)[0]
    response = raw_upload(citizen_client, documents_url(dossier), field, name, content)
    assert response.status_code == 200
    assert message in response.text
    assert f'id="id_{field}_error"' in response.text
    assert not Attachment.objects.exists()
    assert stored_files(private_dir) == []


def test_a_file_name_never_reaches_the_disk(citizen_client, procedure, private_dir):
    """Given a valid PDF named "../../../tmp/evil.pdf", it is stored inside the
    private directory under a new random name."""
    dossier = start_draft(citizen_client, procedure)
    answer_pages(citizen_client, dossier)
    field = slot_keys(procedure)[0]
    raw_upload(citizen_client, documents_url(dossier), field, "../../../tmp/evil.pdf", PDF)
    attachment = Attachment.objects.get()
    assert "evil" not in attachment.file.name and ".." not in attachment.file.name
    assert re.fullmatch(r"attachments/\d{4}/\d{2}/[0-9a-f]{32}\.pdf", attachment.file.name)
    assert [p.resolve().is_relative_to(private_dir.resolve()) for p in stored_files(private_dir)]
    assert attachment.sha256 and attachment.size == len(PDF)
    assert attachment.label == "Tờ khai"


def test_mandatory_documents_must_be_there_before_the_check_page(citizen_client, procedure):
    dossier = start_draft(citizen_client, procedure)
    answer_pages(citizen_client, dossier)
    declaration, notice, optional = slot_keys(procedure)
    response = citizen_client.post(documents_url(dossier), {declaration: pdf(), "continue": ""})
    assert response.status_code == 200
    assert "Upload “Death notice”" in response.text
    assert f'id="id_{notice}_error"' in response.text
    assert f'id="id_{optional}_error"' not in response.text
    assert Attachment.objects.count() == 1  # the good one is kept


def test_an_uploaded_document_can_be_removed(
    citizen_client, procedure, private_dir, django_capture_on_commit_callbacks
):
    dossier = start_draft(citizen_client, procedure)
    answer_pages(citizen_client, dossier)
    declaration = slot_keys(procedure)[0]
    citizen_client.post(documents_url(dossier), {declaration: pdf(), "upload": ""})
    attachment = Attachment.objects.get()
    page = citizen_client.get(documents_url(dossier)).text
    assert f'name="remove" value="{attachment.pk}"' in page
    file_response = citizen_client.get(
        reverse("filing:attachment", args=[dossier.pk, attachment.pk])
    )
    assert b"".join(file_response.streaming_content) == PDF
    with django_capture_on_commit_callbacks(execute=True):
        response = citizen_client.post(documents_url(dossier), {"remove": str(attachment.pk)})
    assert response.status_code == 302
    assert not Attachment.objects.exists()
    assert stored_files(private_dir) == []


def test_a_wallet_document_stands_in_for_an_upload(citizen_client, family, procedure):
    dossier = start_draft(citizen_client, procedure)
    answer_pages(citizen_client, dossier)
    user = family["user"]
    notice = WalletDocument.objects.create(
        owner=user,
        kind="death_notice",
        title="Giấy báo tử của ông Nguyễn Văn Cả",
        source=WalletDocument.Source.KEPT,
        file=ContentFile(PDF, name="bao-tu.pdf"),
    )
    someone_elses = WalletDocument.objects.create(
        owner=UserFactory(),
        kind="death_notice",
        title="Not yours",
        source=WalletDocument.Source.KEPT,
        file=ContentFile(PDF, name="khac.pdf"),
    )
    WalletDocument.objects.create(
        owner=user, kind="marriage_certificate", title="Other kind", source="kept"
    )
    declaration, notice_slot, _optional = slot_keys(procedure)
    page = citizen_client.get(documents_url(dossier)).text
    assert f'name="{notice_slot}-wallet"' in page and str(notice.pk) in page
    assert str(someone_elses.pk) not in page and "Other kind" not in page
    assert f'name="{declaration}-wallet"' not in page  # that document has no wallet kind

    refused = citizen_client.post(
        documents_url(dossier), {f"{notice_slot}-wallet": str(someone_elses.pk), "continue": ""}
    )
    assert "Select a valid choice" in refused.text
    assert not Attachment.objects.exists()

    response = citizen_client.post(
        documents_url(dossier),
        {declaration: pdf(), f"{notice_slot}-wallet": str(notice.pk), "continue": ""},
    )
    assert response["Location"] == check_url(dossier)
    from_wallet = Attachment.objects.get(wallet_document=notice)
    assert not from_wallet.file and from_wallet.requirement.wallet_kind == "death_notice"
    assert from_wallet.sha256 == __import__("hashlib").sha256(PDF).hexdigest()
    assert validation.missing_documents(dossier) == []
    assert "from your wallet" in citizen_client.get(check_url(dossier)).text


# --- Permissions -----------------------------------------------------------------------------------


def test_another_citizen_cannot_read_or_change_a_draft_or_its_documents(
    citizen_client, family, procedure
):
    dossier = start_draft(citizen_client, procedure)
    answer_pages(citizen_client, dossier)
    citizen_client.post(documents_url(dossier), {slot_keys(procedure)[0]: pdf(), "upload": ""})
    attachment = Attachment.objects.get()
    before = Dossier.objects.get(pk=dossier.pk).data

    intruder = UserFactory()
    IdentityLink.objects.create(user=intruder, person=PersonFactory(), level=2, method="counter")
    other = english_client(intruder)
    for url in (
        reverse("filing:resume", args=[dossier.pk]),
        page_url(dossier, 1),
        documents_url(dossier),
        reverse("filing:attachment", args=[dossier.pk, attachment.pk]),
        check_url(dossier),
        reverse("filing:saved", args=[dossier.pk]),
        reverse("filing:submitted", args=[dossier.pk]),
        reverse("filing:receipt", args=[dossier.pk]),
        reverse("api:me-draft", args=[dossier.pk]),
    ):
        assert other.get(url).status_code == 404, url
    assert other.post(page_url(dossier, 1), {**ANSWERS_1, "full_name": "X"}).status_code == 404
    assert other.post(documents_url(dossier), {"remove": str(attachment.pk)}).status_code == 404
    assert other.post(check_url(dossier), {"declaration": "on"}).status_code == 404
    api = reverse("api:me-draft", args=[dossier.pk])
    assert (
        other.patch(api, {"data": {"full_name": "X"}}, content_type="application/json").status_code
        == 404
    )
    assert (
        other.delete(
            reverse("api:me-draft-attachment", args=[dossier.pk, attachment.pk])
        ).status_code
        == 404
    )
    assert (
        other.post(
            reverse("api:me-draft-submit", args=[dossier.pk]),
            {"declaration": True},
            content_type="application/json",
        ).status_code
        == 404
    )
    with pytest.raises(NotFoundError):
        drafts.draft_save_page(
            dossier=dossier, user=intruder, page=1, cleaned_data={"full_name": "X"}
        )
    with pytest.raises(NotFoundError):
        drafts.submit_online(dossier=dossier, actor=intruder)
    assert Dossier.objects.get(pk=dossier.pk).data == before
    assert Attachment.objects.filter(pk=attachment.pk).exists()

    # Nor can the owner reach another dossier's attachment through their own draft.
    own = start_draft(citizen_client, procedure)
    url = reverse("filing:attachment", args=[own.pk, attachment.pk])
    assert citizen_client.get(url).status_code == 404


def test_a_sent_dossier_can_no_longer_be_changed_through_the_draft_pages(
    citizen_client, family, procedure
):
    dossier = start_draft(citizen_client, procedure)
    answer_everything(citizen_client, dossier, procedure)
    citizen_client.post(check_url(dossier), {"declaration": "on", "send": ""})
    sent = Dossier.objects.get(pk=dossier.pk)
    assert sent.status == "submitted"
    confirmation = reverse("filing:submitted", args=[dossier.pk])
    for url in (page_url(dossier, 1), documents_url(dossier), check_url(dossier)):
        assert citizen_client.get(url)["Location"] == confirmation
    response = citizen_client.post(page_url(dossier, 1), {**ANSWERS_1, "full_name": "Đổi"})
    assert response["Location"] == confirmation
    assert citizen_client.get(reverse("filing:resume", args=[dossier.pk]))["Location"] == (
        confirmation
    )
    assert Dossier.objects.get(pk=dossier.pk).data == sent.data
    response = citizen_client.patch(
        reverse("api:me-draft", args=[dossier.pk]),
        {"data": {"full_name": "Đổi"}},
        content_type="application/json",
    )
    assert response.status_code == 409 and response.json()["code"] == "not_draft"


# --- Filing for a child ------------------------------------------------------------------------------


def test_a_parent_files_for_their_minor_child_but_not_for_an_adult_child(
    citizen_client, family, procedure
):
    minor, adult = family["minor"], family["adult"]
    start = citizen_client.get(reverse("filing:start", args=[procedure.code])).text
    assert f'value="{minor.pk}"' in start and minor.full_name in start
    assert f'value="{adult.pk}"' not in start

    refused = citizen_client.post(
        reverse("filing:start", args=[procedure.code]), {"subject": str(adult.pk)}
    )
    assert refused.status_code == 200 and "Select a valid choice" in refused.text
    assert not Dossier.objects.exists()
    with pytest.raises(ValidationFailed):
        drafts.draft_start(
            user=family["user"],
            procedure=procedure,
            agency=procedure.offered_by.get(),
            subject_person=adult,
        )

    dossier = start_draft(citizen_client, procedure, subject=str(minor.pk))
    assert dossier.subject_person == minor and dossier.applicant_person == family["father"]
    first = citizen_client.get(page_url(dossier, 1)).text
    assert minor.id_number in first
    assert reverse("me:child_correction", args=[minor.pk]) in first


def test_the_prefill_is_logged_once_per_draft_and_person(citizen_client, family, procedure):
    minor = family["minor"]
    dossier = start_draft(citizen_client, procedure, subject=str(minor.pk))
    for _ in range(3):
        citizen_client.get(page_url(dossier, 1))
    citizen_client.get(check_url(dossier))
    citizen_client.get(reverse("api:me-draft", args=[dossier.pk]))
    entries = AccessLog.objects.filter(channel=AccessLog.Channel.PREFILL)
    assert sorted((e.person_id, e.dossier_ref) for e in entries) == sorted(
        [(family["father"].pk, str(dossier.pk)), (minor.pk, str(dossier.pk))]
    )
    assert {e.actor_id for e in entries} == {family["user"].pk}
    assert {e.purpose for e in entries} == {"Prefill of dossier form"}
    second = start_draft(citizen_client, procedure)
    assert AccessLog.objects.filter(dossier_ref=str(second.pk)).count() == 1


# --- Any registered handler ----------------------------------------------------------------------


class PrefillingHandler(registry.ProcedureHandler):
    """A handler in code: prefills from the record, asks a file question on
    page 2 that its form requires in some cases, checks the whole data."""

    name = "test_filing_handler"

    def pages(self, procedure):
        return [1, 2]

    def form_class(self, procedure, page):
        from django import forms

        if page == 1:

            class About(forms.Form):
                id_number = forms.CharField(label="ID number")
                full_name = forms.CharField(label="Name")
                purpose = forms.CharField(label="Purpose")

            return About

        class Evidence(forms.Form):
            evidence = forms.ChoiceField(
                label="Evidence", choices=[("paper", "Paper"), ("statement", "Statement")]
            )
            statement = forms.FileField(label="Witness statement", required=False)

            def clean(self):
                data = super().clean()
                if data.get("evidence") == "statement" and not data.get("statement"):
                    self.add_error("statement", "Attach the witness statement.")
                return data

        return Evidence

    prefill_editable = {"purpose"}  # a suggestion the citizen may change

    def prefill(self, procedure, person):
        return {
            "id_number": person.id_number,
            "full_name": person.full_name,
            "purpose": "travel",
            "unknown": 1,  # not a question: dropped
        }

    def validate(self, procedure, data):
        data["checked"] = True  # handlers may add what follows from the answers
        if data.get("purpose") == "forbidden":
            return {"purpose": ["Not allowed."]}
        return {}


@pytest.fixture
def handler_procedure(office):
    registry.register(PrefillingHandler)
    procedure = ProcedureFactory(handler=PrefillingHandler.name, online_level="partial")
    procedure.offered_by.add(office)
    yield procedure
    registry.unregister(PrefillingHandler.name)


def test_any_registered_handler_drives_the_pages_with_prefill_read_only(
    citizen_client, family, handler_procedure
):
    user, father = family["user"], family["father"]
    dossier = start_draft(citizen_client, handler_procedure)
    assert dossier.data == {
        "id_number": father.id_number,
        "full_name": father.full_name,
        "purpose": "travel",
        "_prefilled": ["full_name", "id_number"],
    }
    first = citizen_client.get(page_url(dossier, 1)).text
    # Shown as text (no input: nothing to post), under its question
    assert 'name="full_name"' not in first
    assert re.search(
        rf'<dd class="summary-list__value" id="id_full_name"[^>]*>\s*{father.full_name}', first
    )
    citizen_client.post(page_url(dossier, 1), {"full_name": "Someone Else", "purpose": "visa"})
    dossier.refresh_from_db()
    assert dossier.data["full_name"] == father.full_name and dossier.data["purpose"] == "visa"
    refused = citizen_client.patch(
        reverse("api:me-draft", args=[dossier.pk]),
        {"data": {"full_name": "Someone Else"}},
        content_type="application/json",
    )
    assert refused.status_code == 400 and "full_name" in refused.json()["data"]
    questions = {
        q["key"]: q
        for q in citizen_client.get(reverse("api:me-draft", args=[dossier.pk])).json()["questions"]
    }
    assert questions["full_name"]["read_only"] and not questions["purpose"]["read_only"]

    # The file question is asked on the documents step, not on its page.
    second = citizen_client.get(page_url(dossier, 2)).text
    assert 'name="statement"' not in second
    response = citizen_client.post(page_url(dossier, 2), {"evidence": "statement"})
    assert response["Location"] == documents_url(dossier)
    assert "Witness statement" in citizen_client.get(documents_url(dossier)).text
    check = citizen_client.post(check_url(dossier), {"declaration": "on"})
    assert "Attach the witness statement." in check.text
    assert f"{documents_url(dossier)}?next=check#id_q-statement" in check.text
    citizen_client.post(documents_url(dossier), {"q-statement": pdf(), "continue": ""})
    assert Attachment.objects.get().field_key == "statement"

    response = citizen_client.post(check_url(dossier), {"declaration": "on", "send": ""})
    assert response["Location"] == reverse("filing:submitted", args=[dossier.pk])
    dossier.refresh_from_db()
    assert dossier.status == "submitted" and dossier.data["checked"] is True
    assert dossier.data["full_name"] == father.full_name
    assert answers_of(dossier)["purpose"] == "visa"
    assert user.pk == dossier.applicant_id


def test_a_procedure_whose_handler_is_not_installed_cannot_be_started(citizen_client, office):
    procedure = ProcedureFactory(handler="not_installed_yet", online_level="full")
    procedure.offered_by.add(office)
    response = citizen_client.get(reverse("filing:start", args=[procedure.code]))
    assert response.status_code == 503
    assert "cannot be filed online at the moment" in response.text
    assert not Dossier.objects.exists()


# --- Submission, payment, idempotency ------------------------------------------------------------


def test_submit_online_waits_for_the_payment_of_a_full_online_fee_and_is_idempotent(
    citizen_client, family, office
):
    procedure = make_procedure(office, fee_online=50000, fee_counter=70000)
    user = family["user"]
    dossier = start_draft(citizen_client, procedure)
    answer_everything(citizen_client, dossier, procedure)
    drafts.declaration_accept(dossier=dossier, user=user)
    with pytest.raises(drafts.PaymentRequired) as refused:
        drafts.submit_online(dossier=dossier, actor=user)
    assert refused.value.http_status == 402 and refused.value.data["amount"] == 50000
    assert Dossier.objects.get(pk=dossier.pk).status == "draft"

    # The check page sends the citizen to the payments engineer's start page.
    response = citizen_client.post(check_url(dossier), {"declaration": "on", "send": ""})
    assert "Confirm and pay the fee" in citizen_client.get(check_url(dossier)).text
    try:
        payment_start = reverse("payments:start", args=[dossier.pk])
    except Exception:  # noqa: BLE001 - the payments pages may not be installed
        assert "Online payment is not available" in response.text
    else:
        assert response["Location"] == payment_start

    Dossier.objects.filter(pk=dossier.pk).update(paid_at=timezone.now())
    sent = drafts.submit_online(dossier=dossier, actor=user)
    again = drafts.submit_online(dossier=dossier, actor=user)
    assert sent.status == again.status == "submitted" and sent.code == again.code
    assert sent.fee == 50000
    assert DossierEvent.objects.filter(dossier=dossier, action="submit").count() == 1


def test_a_partly_online_procedure_with_a_fee_is_sent_without_paying_online(
    citizen_client, family, office
):
    procedure = make_procedure(office, online_level="partial", fee_online=2000)
    dossier = start_draft(citizen_client, procedure)
    answer_everything(citizen_client, dossier, procedure)
    citizen_client.post(check_url(dossier), {"declaration": "on", "send": ""})
    assert Dossier.objects.get(pk=dossier.pk).status == "submitted"
    page = citizen_client.get(reverse("filing:submitted", args=[dossier.pk])).text
    assert "You pay the fee at the counter" in page


def test_the_check_page_costs_the_same_queries_however_many_answers(citizen_client, family, office):
    def queries_for(extra: int) -> int:
        procedure = make_procedure(office, extra_questions=extra)
        dossier = start_draft(citizen_client, procedure)
        answer_everything(citizen_client, dossier, procedure)
        notes = {f"note_{i}": f"Ghi chú {i}" for i in range(extra)}
        citizen_client.post(page_url(dossier, 2), {**ANSWERS_2, **notes})
        citizen_client.post(documents_url(dossier), {slot_keys(procedure)[2]: pdf(), "upload": ""})
        citizen_client.get(check_url(dossier))  # the prefill is logged once, before
        with CaptureQueriesContext(connection) as queries:
            response = citizen_client.get(check_url(dossier))
        assert response.status_code == 200
        assert "Ghi chú" in response.text or extra == 0
        return len(queries)

    assert queries_for(1) == queries_for(12)


# --- Retention ----------------------------------------------------------------------------------


def test_drafts_older_than_the_age_are_purged_with_their_files_and_newer_ones_kept(
    citizen_client, family, procedure, private_dir, settings, django_capture_on_commit_callbacks
):
    settings.EGOV_DRAFT_MAX_AGE_DAYS = 30
    old = start_draft(citizen_client, procedure)
    answer_pages(citizen_client, old)
    citizen_client.post(documents_url(old), {slot_keys(procedure)[0]: pdf(), "upload": ""})
    recent = start_draft(citizen_client, procedure)
    answer_pages(citizen_client, recent)
    citizen_client.post(documents_url(recent), {slot_keys(procedure)[0]: pdf(), "upload": ""})
    paying = start_draft(citizen_client, procedure)
    Payment.objects.create(dossier=paying, provider="test", reference="P-1", amount=1000)
    sent = start_draft(citizen_client, procedure)
    answer_everything(citizen_client, sent, procedure)
    citizen_client.post(check_url(sent), {"declaration": "on", "send": ""})
    now = timezone.now()
    Dossier.objects.filter(pk__in=[old.pk, paying.pk, sent.pk]).update(
        updated_at=now - dt.timedelta(days=31)
    )
    Dossier.objects.filter(pk=recent.pk).update(updated_at=now - dt.timedelta(days=29))
    old_file = Attachment.objects.get(dossier=old).file.name
    assert (private_dir / old_file).exists()

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.purge_old_drafts() == 1  # the beat task, with the configured age
    assert set(Dossier.objects.values_list("pk", flat=True)) == {recent.pk, paying.pk, sent.pk}
    assert not (private_dir / old_file).exists()
    assert Attachment.objects.filter(dossier=recent).exists()
    assert drafts.purge_old_drafts(30) == 0  # safe to run again
    from egov.celery import app

    beat = app.conf.beat_schedule["onecounter-purge-old-drafts"]
    assert beat["task"] == tasks.purge_old_drafts.name
    assert drafts.purge_old_drafts(28) == 1  # a shorter age takes the recent one too


# --- API ------------------------------------------------------------------------------------------


def api(client, method: str, url: str, data=None):
    return getattr(client, method)(url, data, content_type="application/json")


def test_the_api_journey_from_a_new_draft_to_the_code(citizen_client, family, procedure):
    drafts = reverse("api:me-drafts")
    refused = english_client(UserFactory()).post(
        drafts, {"procedure": procedure.code}, content_type="application/json"
    )
    assert refused.status_code == 403 and refused.json()["code"] == "identity_level"

    response = api(citizen_client, "post", drafts, {"procedure": procedure.code})
    assert response.status_code == 201, response.json()
    draft = response.json()
    pk = draft["id"]
    assert draft["status"] == "draft" and draft["agency"]["code"] == "UBLB"
    assert [q["key"] for q in draft["questions"]] == ["full_name", "event_date", "reason", "copies"]
    assert draft["missing_documents"] == slot_keys(procedure)[:2]
    assert draft["resume_url"].endswith(reverse("filing:resume", args=[pk]))
    assert [d["id"] for d in api(citizen_client, "get", drafts).json()] == [pk]

    url = reverse("api:me-draft", args=[pk])
    bad = api(citizen_client, "patch", url, {"data": {"event_date": "not a date", "nope": 1}})
    assert bad.status_code == 400
    body = bad.json()
    assert body["code"] == "invalid"
    assert set(body["data"]) == {"event_date", "nope"}
    assert body["data"]["event_date"] == ["Enter a valid date."]
    assert Dossier.objects.get(pk=pk).data == {}
    ok = api(citizen_client, "patch", url, {"data": {**ANSWERS_1, "copies": "2"}})
    assert ok.status_code == 200
    assert ok.json()["data"] == {**ANSWERS_1, "copies": 2}
    api(citizen_client, "patch", url, {"data": {"reason": "Lost"}})

    attachments = reverse("api:me-draft-attachments", args=[pk])
    declaration, notice, _optional = procedure.documents.order_by("order")
    exe = citizen_client.post(
        attachments,
        {"requirement": declaration.pk, "file": SimpleUploadedFile("a.pdf", EXECUTABLE)},
    )
    assert exe.status_code == 400 and exe.json()["code"] == "file_type"
    assert not Attachment.objects.exists()
    for document in (declaration, notice):
        created = citizen_client.post(attachments, {"requirement": document.pk, "file": pdf()})
        assert created.status_code == 201, created.json()
    extra = citizen_client.post(attachments, {"requirement": declaration.pk, "file": pdf()})
    removed = citizen_client.delete(
        reverse("api:me-draft-attachment", args=[pk, extra.json()["id"]])
    )
    assert removed.status_code == 204 and Attachment.objects.count() == 2

    submit = reverse("api:me-draft-submit", args=[pk])
    undeclared = api(citizen_client, "post", submit, {"declaration": False})
    assert undeclared.status_code == 400 and undeclared.json()["code"] == "declaration_required"
    sent = api(citizen_client, "post", submit, {"declaration": True})
    assert sent.status_code == 200, sent.json()
    dossier = Dossier.objects.get(pk=pk)
    assert sent.json()["code"] == dossier.code and dossier.status == "submitted"
    assert sent.json()["expected_result_date"] == dates.expected_result_date(dossier).isoformat()
    again = api(citizen_client, "post", submit, {"declaration": True})
    assert again.status_code == 409 and again.json()["code"] == "not_draft"


def test_the_api_refuses_to_send_an_unpaid_full_online_fee_with_402(citizen_client, family, seeded):
    """Given the demo's temporary residence registration (fully online, 7,000 đồng
    online) filed through the API, sending answers 402 until the fee is paid."""
    procedure = Procedure.objects.get(code="HN.CA.01")
    drafts = reverse("api:me-drafts")
    draft = api(citizen_client, "post", drafts, {"procedure": procedure.code, "agency": "CALB"})
    assert draft.status_code == 201, draft.json()
    pk = draft.json()["id"]
    assert draft.json()["payment_required"] is True
    ward = Procedure.objects.get(code="HN.CA.01").offered_by.get().unit
    answers = {
        "address": {"address": "Số 3 ngõ 12 phố Huế", "unit_code": ward.code},
        "from_date": "2026-02-01",
        "months": 12,
        "home_kind": "Nhà thuê",
        "host_id_number": "",
    }
    patched = api(citizen_client, "patch", reverse("api:me-draft", args=[pk]), {"data": answers})
    assert patched.status_code == 200, patched.json()
    for document in procedure.documents.all():
        citizen_client.post(
            reverse("api:me-draft-attachments", args=[pk]),
            {"requirement": document.pk, "file": pdf()},
        )
    submit = reverse("api:me-draft-submit", args=[pk])
    unpaid = api(citizen_client, "post", submit, {"declaration": True})
    assert unpaid.status_code == 402, unpaid.json()
    assert unpaid.json()["code"] == "payment_required"
    assert unpaid.json()["data"]["amount"] == 7000
    assert Dossier.objects.get(pk=pk).status == "draft"
    Dossier.objects.filter(pk=pk).update(paid_at=timezone.now())
    paid = api(citizen_client, "post", submit, {"declaration": True})
    assert paid.status_code == 200 and paid.json()["code"].startswith("CALB-")


def test_the_api_creates_a_draft_for_a_minor_child_only(citizen_client, family, procedure):
    drafts = reverse("api:me-drafts")
    adult = api(
        citizen_client,
        "post",
        drafts,
        {"procedure": procedure.code, "subject_person": str(family["adult"].pk)},
    )
    assert adult.status_code == 400 and "subject_person" in adult.json()["data"]
    stranger = api(
        citizen_client,
        "post",
        drafts,
        {"procedure": procedure.code, "subject_person": str(PersonFactory().pk)},
    )
    assert stranger.status_code == 400
    minor = api(
        citizen_client,
        "post",
        drafts,
        {"procedure": procedure.code, "subject_person": str(family["minor"].pk)},
    )
    assert minor.status_code == 201
    assert minor.json()["subject_person"]["id"] == str(family["minor"].pk)
    assert Dossier.objects.count() == 1


def test_the_filing_api_is_in_the_openapi_schema(client):
    schema = client.get(reverse("api-schema"), HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/me/drafts/",
        "/api/v1/me/drafts/{id}/",
        "/api/v1/me/drafts/{id}/attachments/",
        "/api/v1/me/drafts/{id}/submit/",
    ):
        assert path in paths, path
    assert "402" in paths["/api/v1/me/drafts/{id}/submit/"]["post"]["responses"]
