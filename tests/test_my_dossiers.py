"""My dossiers (/me/dossiers/): the citizen's list and dossier page, answering
a request for missing documents, withdrawing, downloads, rating, drafts; who
may see what. Pages are read in English (language cookie).

The helpers here (a family with linked accounts, dossiers driven through the
state machine, stored PDFs) are shared with test_wallet.py and test_citizen_api.py.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from citizens.models import IdentityLink, Person, Role
from onecounter import transitions
from onecounter.models import Attachment, Dossier, DossierDocument, Rating, WalletDocument
from onecounter.models import DossierStatus as S
from tests.factories import (
    AgencyFactory,
    DossierFactory,
    MembershipFactory,
    PersonFactory,
    ProcedureFactory,
    UserFactory,
)
from workdays.services import calendar_seed

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
HANOI = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")


# --- Shared helpers ----------------------------------------------------------------------------


def use_private_storage(settings, tmp_path):
    """Stored files go to a temporary directory (returned)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }
    return tmp_path / "private"


def in_english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def make_office():
    """A ward People's Committee with a clerk, an officer and a head."""
    agency = AgencyFactory(
        code="UBLB", name="UBND phường Long Biên", address="Số 1 phố Long Biên", phone="024 1234"
    )
    staff = {
        role: MembershipFactory(agency=agency, role=role).user
        for role in (Role.CLERK, Role.OFFICER, Role.HEAD)
    }
    return agency, staff


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    return use_private_storage(settings, tmp_path)


@pytest.fixture
def client(client):
    return in_english(client)


@pytest.fixture
def office(db):
    return make_office()


def years_ago(years: int) -> dt.date:
    return dt.date(timezone.localdate().year - years, 1, 15)


def make_family() -> dict:
    """Two parents with linked accounts, their 5-year-old daughter and their
    20-year-old son; and a stranger (another citizen, linked too)."""
    father = PersonFactory(full_name="Nguyễn Văn An", sex="M", birth_date=dt.date(1980, 2, 3))
    mother = PersonFactory(full_name="Trần Thị Bình", sex="F", birth_date=dt.date(1982, 5, 6))
    minor = PersonFactory(
        full_name="Nguyễn Minh Châu", sex="F", birth_date=years_ago(5), father=father, mother=mother
    )
    adult = PersonFactory(
        full_name="Nguyễn Văn Dũng", sex="M", birth_date=years_ago(20), father=father, mother=mother
    )
    stranger_person = PersonFactory(full_name="Lê Thị Giang", birth_date=dt.date(1985, 1, 1))
    users = {}
    for key, person in (
        ("father_user", father),
        ("mother_user", mother),
        ("adult_user", adult),
        ("stranger", stranger_person),
    ):
        user = UserFactory(full_name=person.full_name)
        IdentityLink.objects.create(user=user, person=person, level=1, method="self")
        users[key] = user
    return {
        "father": father,
        "mother": mother,
        "minor": minor,
        "adult": adult,
        **users,
    }


@pytest.fixture
def family(db):
    return make_family()


def actor_for(action: str, dossier: Dossier, staff: dict):
    spec = transitions.ACTIONS[action]
    if transitions.APPLICANT in spec.actors:
        return dossier.applicant
    for role in (Role.CLERK, Role.OFFICER, Role.HEAD):
        if role in spec.actors:
            return staff[role]
    raise AssertionError(action)


PARAMS = {
    "request_supplement_before_receipt": {"items": ["Bản sao giấy chứng sinh"]},
    "request_supplement": {
        "items": ["Giấy xác nhận cư trú", "Bản sao giấy chứng sinh"],
        "reason": "Thiếu giấy tờ cư trú",
    },
    "propose": {"decision": "approve"},
    "withdraw": {"reason": "Nộp nhầm"},
    "refuse": {"reason": "Không thuộc thẩm quyền"},
    "reject": {"reason": "Không đủ điều kiện"},
}


def act(dossier: Dossier, action: str, staff: dict, **extra) -> Dossier:
    params = {**PARAMS.get(action, {}), **extra}
    if action == "assign":
        params.setdefault("officer", staff[Role.OFFICER])
    reason = params.pop("reason", "")
    return transitions.perform(
        dossier, action, actor=actor_for(action, dossier, staff), reason=reason, **params
    )


PATHS = {
    S.DRAFT: [],
    S.SUBMITTED: ["submit"],
    S.SUPPLEMENT_REQUESTED: ["submit", "request_supplement_before_receipt"],
    S.RECEIVED: ["submit", "receive"],
    S.IN_PROCESSING: ["submit", "receive", "assign"],
    S.AWAITING_SUPPLEMENT: ["submit", "receive", "assign", "request_supplement"],
    S.APPROVED: ["submit", "receive", "assign", "propose", "approve"],
    S.REJECTED: ["submit", "receive", "assign", "propose", "reject"],
    S.RESULT_READY: ["submit", "receive", "assign", "propose", "approve", "mark_result_ready"],
    S.RETURNED: [
        "submit", "receive", "assign", "propose", "approve", "mark_result_ready", "hand_back",
    ],
    S.WITHDRAWN: ["submit", "receive", "withdraw"],
    S.REFUSED: ["submit", "refuse"],
}  # fmt: skip


def file_dossier(
    applicant,
    office,
    status: str = S.DRAFT,
    *,
    procedure=None,
    subject: Person | None = None,
    hand_back_by_clerk: bool = True,
) -> Dossier:
    """A dossier of ``applicant`` driven through the state machine to ``status``."""
    agency, staff = office
    link = IdentityLink.objects.filter(user=applicant).first() if applicant else None
    dossier = DossierFactory(
        agency=agency,
        applicant=applicant,
        applicant_person=link.person if link else None,
        subject_person=subject,
        procedure=procedure or ProcedureFactory(name="Chứng thực bản sao"),
    )
    for action in PATHS[status]:
        if action == "hand_back" and hand_back_by_clerk:
            dossier = transitions.perform(dossier, action, actor=staff[Role.CLERK])
        else:
            dossier = act(dossier, action, staff)
    return Dossier.objects.get(pk=dossier.pk)


def store_document(dossier: Dossier, kind: str, key: str, title: str = "") -> DossierDocument:
    """A rendered slip or result, as the rendering code would store it."""
    document = DossierDocument(dossier=dossier, kind=kind, key=key, title=title or kind)
    document.file.save(f"{kind}-{key}.pdf", ContentFile(PDF), save=False)
    document.rendered_at = timezone.now()
    document.save()
    return document


def store_result(
    dossier: Dossier, key: str = "decision", title: str = "Quyết định"
) -> DossierDocument:
    return store_document(dossier, DossierDocument.Kind.RESULT, key, title)


def pdf_upload(name: str = "giay-to.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def executable_upload(name: str = "giay-khai-sinh.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, EXECUTABLE, content_type="application/pdf")


def keep(owner, kind: str = "birth_certificate", title: str = "Giấy khai sinh") -> WalletDocument:
    from onecounter.wallet import documents as my_documents

    return my_documents.wallet_keep(owner=owner, upload=pdf_upload(), kind=kind, title=title)


class Clock:
    """Sets "now" for the code under test (``django.utils.timezone.now``)."""

    def __init__(self, monkeypatch):
        self.monkeypatch = monkeypatch

    def set(self, year, month, day, hour=10, minute=0):
        moment = dt.datetime(year, month, day, hour, minute, tzinfo=HANOI)
        self.monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def order_of(html: str, dossiers: list[Dossier]) -> list[int]:
    return [html.index(f'id="dossier-{d.pk}"') for d in dossiers]


def queries_for(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured)


# --- The list ----------------------------------------------------------------------------------


def test_the_list_shows_drafts_first_then_open_then_finished_and_what_is_asked_now(
    client, office, family
):
    # Given a citizen with a draft, dossiers in progress and finished ones
    user = family["father_user"]
    returned = file_dossier(user, office, S.RETURNED)
    awaiting = file_dossier(user, office, S.AWAITING_SUPPLEMENT)
    draft = file_dossier(user, office, S.DRAFT)
    sent = file_dossier(user, office, S.SUBMITTED)
    full = ProcedureFactory(name="Đăng ký kết hôn", online_level="full")
    ready = file_dossier(user, office, S.RESULT_READY, procedure=full)
    store_result(ready)
    at_counter = file_dossier(user, office, S.RESULT_READY)
    withdrawn = file_dossier(user, office, S.WITHDRAWN)
    someone_elses = file_dossier(family["stranger"], office, S.RECEIVED)
    client.force_login(user)

    # When they open My dossiers
    response = client.get("/me/dossiers/")

    # Then drafts come first, then open ones, then finished ones; nobody else's
    html = response.text
    assert response.status_code == 200
    first, *rest = order_of(html, [draft, sent, awaiting, ready, at_counter, returned, withdrawn])
    assert all(first < position for position in rest)
    assert max(order_of(html, [sent, awaiting, ready, at_counter])) < min(
        order_of(html, [returned, withdrawn])
    )
    assert someone_elses.code not in html
    # and each says what is asked of the citizen now
    deadline = awaiting.supplements.get().deadline
    assert f"Send the missing documents by {deadline:%d/%m/%Y}." in html
    assert f'href="/file/{draft.pk}/"' in html and f"/me/dossiers/{draft.pk}/delete/" in html
    assert "Download your result." in html
    assert "Collect your result at the one-stop desk of UBND phường Long Biên." in html
    assert "Tell us how it went: rate the service." in html
    assert "Finish your dossier and send it." in html
    assert "waiting for your documents" in html.lower()
    assert sent.code in html and "Expected by:" in html


def test_a_dossier_past_its_promised_date_is_tagged_late(client, office, family):
    user = family["father_user"]
    late = file_dossier(user, office, S.IN_PROCESSING)
    on_time = file_dossier(user, office, S.IN_PROCESSING)
    Dossier.objects.filter(pk=late.pk).update(due_date=timezone.localdate() - dt.timedelta(days=3))
    client.force_login(user)

    html = client.get("/me/dossiers/").text

    late_row = html[html.index(f'id="dossier-{late.pk}"') :]
    on_time_row = html[html.index(f'id="dossier-{on_time.pk}"') :]
    assert 'data-flag="late"' in late_row.split("</li>")[0]
    assert 'data-flag="late"' not in on_time_row.split("</li>")[0]


def test_the_list_is_paginated_and_costs_the_same_queries_however_many_dossiers(
    client, office, family, django_assert_max_num_queries
):
    user = family["father_user"]

    def grow(n):
        for _ in range(n):
            file_dossier(user, office, S.DRAFT)
            file_dossier(user, office, S.SUBMITTED)
            file_dossier(user, office, S.AWAITING_SUPPLEMENT)
            store_result(file_dossier(user, office, S.RESULT_READY))
            file_dossier(family["mother_user"], office, S.RECEIVED, subject=family["minor"])

    grow(1)
    client.force_login(user)
    baseline = queries_for(client, "/me/dossiers/")
    grow(6)
    with django_assert_max_num_queries(baseline):
        response = client.get("/me/dossiers/")
    assert response.text.count('class="dossier-list__item"') == 20
    assert "Page 1 of 2" in response.text
    with django_assert_max_num_queries(baseline):
        client.get("/me/dossiers/?page=2")


def test_without_dossiers_the_list_says_so(client, family):
    client.force_login(family["father_user"])
    response = client.get("/me/dossiers/")
    assert response.status_code == 200
    assert 'id="no-dossiers"' in response.text


def test_an_anonymous_visitor_is_sent_to_sign_in(client, office, family):
    dossier = file_dossier(family["father_user"], office, S.RECEIVED)
    for url in ("/me/dossiers/", f"/me/dossiers/{dossier.pk}/", "/me/documents/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- The dossier page --------------------------------------------------------------------------


def test_the_page_shows_the_steps_with_reasons_the_promised_date_and_the_slips(
    client, office, family
):
    # Given a dossier late enough for an apology, with its receipt
    agency, staff = office
    user = family["father_user"]
    dossier = file_dossier(user, office, S.IN_PROCESSING)
    first_date = dossier.due_date
    new_date = first_date + dt.timedelta(days=10)
    transitions.perform(
        dossier,
        "apologise",
        actor=staff[Role.OFFICER],
        reason="Cần xác minh thêm với công an",
        new_due_date=new_date,
    )
    receipt = store_document(dossier, DossierDocument.Kind.RECEIPT, "event-1", "Giấy tiếp nhận")
    store_document(dossier, DossierDocument.Kind.APOLOGY, "event-9", "Phiếu xin lỗi")
    DossierDocument.objects.create(dossier=dossier, kind="tracking", key="pending", title="x")
    client.force_login(user)

    # When the applicant opens it
    response = client.get(f"/me/dossiers/{dossier.pk}/")

    # Then they see their steps and the agency's reason (it is their own dossier)
    html = response.text
    assert response.status_code == 200
    assert dossier.code in html
    for step in ("Dossier sent", "Received: receipt and promised date issued", "Being processed"):
        assert step in html
    assert f"Apology: new promised date: {new_date:%d/%m/%Y}" in html
    assert "Cần xác minh thêm với công an" in html
    assert f"(it was {first_date:%d/%m/%Y})" in html
    assert 'data-flag="late"' in html
    # and the rendered slips only
    assert f"/me/dossiers/{dossier.pk}/documents/{receipt.pk}/" in html
    assert "Phiếu xin lỗi" in html and 'key="pending"' not in html
    assert html.count('class="doc-list__item"') == 2
    # and can withdraw it (no decision yet)
    assert f"/me/dossiers/{dossier.pk}/withdraw/" in html


def test_internal_review_steps_and_staff_notes_are_not_shown(client, office, family):
    user = family["father_user"]
    dossier = file_dossier(user, office, S.IN_PROCESSING)
    _agency, staff = office
    dossier = transitions.perform(
        dossier, "propose", actor=staff[Role.OFFICER], reason="Ghi chú nội bộ", decision="approve"
    )
    dossier = transitions.perform(
        dossier, "send_back", actor=staff[Role.HEAD], reason="Xem lại nội bộ"
    )
    client.force_login(user)
    html = client.get(f"/me/dossiers/{dossier.pk}/").text
    assert "Ghi chú nội bộ" not in html and "Xem lại nội bộ" not in html


# --- Answering a request for missing documents --------------------------------------------------


def test_answering_a_supplement_restarts_the_clock_and_moves_the_date_by_the_paused_days(
    client, office, family, clock
):
    # Given the official calendar (Tết 2026: 16-20 February) and a 7-working-day
    # dossier received on Wednesday 4 February 2026: promised for Friday 13 February
    calendar_seed()
    _agency, staff = office
    user = family["father_user"]
    procedure = ProcedureFactory(days_online=7)
    dossier = DossierFactory(agency=office[0], applicant=user, procedure=procedure)
    clock.set(2026, 2, 3)
    dossier = act(dossier, "submit", staff)
    clock.set(2026, 2, 4)
    dossier = act(act(dossier, "receive", staff), "assign", staff)
    assert dossier.due_date == dt.date(2026, 2, 13)
    # and paused on Monday 9 February for two missing documents
    clock.set(2026, 2, 9, 9)
    dossier = act(dossier, "request_supplement", staff)
    request = dossier.supplements.get()
    kept = keep(user, kind="birth_certificate", title="Giấy khai sinh của con")
    client.force_login(user)
    page = client.get(f"/me/dossiers/{dossier.pk}/supplement/")
    assert page.status_code == 200
    assert "Giấy xác nhận cư trú" in page.text and "Giấy khai sinh của con" in page.text

    # When the citizen sends them on Wednesday 11 February (2 working days paused):
    # an upload for the first, a wallet document for the second
    clock.set(2026, 2, 11)
    client.force_login(user)  # sessions expire: sign in again "two days later"
    response = client.post(
        f"/me/dossiers/{dossier.pk}/supplement/",
        {"file_0": pdf_upload(), "wallet_1": str(kept.pk), "note": "Gửi bổ sung"},
    )

    # Then the clock runs again and the date moves 2 working days later, over Tết
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == S.IN_PROCESSING
    assert dossier.paused_on is None
    assert dossier.due_date == dt.date(2026, 2, 24)
    request.refresh_from_db()
    assert request.answered_by == user and request.answer["note"] == "Gửi bổ sung"
    uploaded, from_wallet = request.attachments.order_by("label")
    assert {uploaded.label, from_wallet.label} == {
        "Giấy xác nhận cư trú",
        "Bản sao giấy chứng sinh",
    }
    by_label = {a.label: a for a in request.attachments.all()}
    assert by_label["Giấy xác nhận cư trú"].file.read() == PDF
    assert by_label["Giấy xác nhận cư trú"].sha256
    assert by_label["Bản sao giấy chứng sinh"].wallet_document == kept
    assert dossier.events.order_by("-seq").first().action == "supply"


def test_a_request_before_receipt_is_answered_by_sending_the_dossier_again(client, office, family):
    user = family["father_user"]
    dossier = file_dossier(user, office, S.SUPPLEMENT_REQUESTED)
    client.force_login(user)
    detail = client.get(f"/me/dossiers/{dossier.pk}/").text
    assert "Send the missing documents." in detail and "Bản sao giấy chứng sinh" in detail

    response = client.post(f"/me/dossiers/{dossier.pk}/supplement/", {"file_0": pdf_upload()})

    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == S.SUBMITTED
    assert dossier.events.order_by("-seq").first().action == "resubmit"
    assert dossier.supplements.get().answered_at is not None


def test_a_renamed_executable_is_refused_and_nothing_changes(client, office, family):
    user = family["father_user"]
    dossier = file_dossier(user, office, S.AWAITING_SUPPLEMENT)
    client.force_login(user)

    response = client.post(
        f"/me/dossiers/{dossier.pk}/supplement/",
        {"file_0": executable_upload(), "file_1": pdf_upload()},
    )

    assert response.status_code == 400
    assert "Only PDF, JPEG and PNG files can be uploaded." in response.text
    assert 'href="#id_file_0"' in response.text  # the error summary points at the file box
    dossier.refresh_from_db()
    assert dossier.status == S.AWAITING_SUPPLEMENT
    assert not Attachment.objects.filter(dossier=dossier).exists()


def test_every_missing_item_needs_a_file_or_a_wallet_document(client, office, family):
    user = family["father_user"]
    dossier = file_dossier(user, office, S.AWAITING_SUPPLEMENT)
    client.force_login(user)
    response = client.post(f"/me/dossiers/{dossier.pk}/supplement/", {"file_0": pdf_upload()})
    assert response.status_code == 400
    assert "Choose a file for “Bản sao giấy chứng sinh”." in response.text
    dossier.refresh_from_db()
    assert dossier.status == S.AWAITING_SUPPLEMENT


def test_another_citizens_wallet_document_cannot_be_given(client, office, family):
    user = family["father_user"]
    dossier = file_dossier(user, office, S.SUPPLEMENT_REQUESTED)
    theirs = keep(family["stranger"])
    client.force_login(user)
    response = client.post(f"/me/dossiers/{dossier.pk}/supplement/", {"wallet_0": str(theirs.pk)})
    assert response.status_code == 400
    dossier.refresh_from_db()
    assert dossier.status == S.SUPPLEMENT_REQUESTED
    assert not Attachment.objects.filter(wallet_document=theirs).exists()


def test_with_nothing_asked_the_supplement_page_sends_back_to_the_dossier(client, office, family):
    user = family["father_user"]
    dossier = file_dossier(user, office, S.IN_PROCESSING)
    client.force_login(user)
    response = client.post(f"/me/dossiers/{dossier.pk}/supplement/", {"file_0": pdf_upload()})
    assert response.status_code == 302
    assert response["Location"] == f"/me/dossiers/{dossier.pk}/"
    assert not Attachment.objects.exists()


# --- Withdrawing ---------------------------------------------------------------------------------


def test_the_applicant_withdraws_before_a_decision_with_a_reason(client, office, family):
    user = family["father_user"]
    dossier = file_dossier(user, office, S.IN_PROCESSING)
    client.force_login(user)

    without_reason = client.post(f"/me/dossiers/{dossier.pk}/withdraw/", {"reason": ""})
    assert without_reason.status_code == 400 and "Give a reason." in without_reason.text

    response = client.post(f"/me/dossiers/{dossier.pk}/withdraw/", {"reason": "Nộp nhầm thủ tục"})

    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == S.WITHDRAWN
    event = dossier.events.order_by("-seq").first()
    assert event.action == "withdraw" and event.actor == user and event.reason == "Nộp nhầm thủ tục"


@pytest.mark.parametrize("status", [S.APPROVED, S.REJECTED, S.RESULT_READY, S.RETURNED])
def test_after_a_decision_withdrawing_is_refused_with_409(client, office, family, status):
    user = family["father_user"]
    dossier = file_dossier(user, office, status)
    client.force_login(user)

    page = client.get(f"/me/dossiers/{dossier.pk}/withdraw/")
    response = client.post(f"/me/dossiers/{dossier.pk}/withdraw/", {"reason": "Không cần nữa"})

    assert page.status_code == 409 and response.status_code == 409
    assert 'id="withdraw-refused"' in response.text
    assert (
        f"/me/dossiers/{dossier.pk}/withdraw/" not in client.get(f"/me/dossiers/{dossier.pk}/").text
    )
    dossier.refresh_from_db()
    assert dossier.status == status


# --- Downloads -----------------------------------------------------------------------------------


def test_slips_and_uploads_download_for_the_owner_only(client, office, family):
    user = family["father_user"]
    dossier = file_dossier(user, office, S.AWAITING_SUPPLEMENT)
    receipt = store_document(dossier, DossierDocument.Kind.RECEIPT, "event-2")
    client.force_login(user)
    client.post(
        f"/me/dossiers/{dossier.pk}/supplement/", {"file_0": pdf_upload(), "file_1": pdf_upload()}
    )
    upload = Attachment.objects.filter(dossier=dossier).first()
    urls = [
        f"/me/dossiers/{dossier.pk}/documents/{receipt.pk}/",
        f"/me/dossiers/{dossier.pk}/attachments/{upload.pk}/",
    ]

    for url in urls:
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert "no-store" in response["Cache-Control"]
    assert client.get(urls[0])["Content-Type"] == "application/pdf"

    client.force_login(family["stranger"])
    for url in urls:
        assert client.get(url).status_code == 404
    # nor under a dossier of their own
    own = file_dossier(family["stranger"], office, S.RECEIVED)
    assert client.get(f"/me/dossiers/{own.pk}/documents/{receipt.pk}/").status_code == 404
    assert client.get(f"/me/dossiers/{own.pk}/attachments/{upload.pk}/").status_code == 404


def test_a_full_online_result_is_taken_online_then_rated(client, office, family):
    user = family["father_user"]
    full = ProcedureFactory(name="Cấp bản sao trích lục", online_level="full")
    dossier = file_dossier(user, office, S.RESULT_READY, procedure=full)
    result = store_result(dossier, title="Bản sao trích lục")
    client.force_login(user)
    page = client.get(f"/me/dossiers/{dossier.pk}/").text
    assert 'id="receive-result"' in page and "Download your result." in page

    response = client.post(f"/me/dossiers/{dossier.pk}/receive/")

    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == S.RETURNED
    event = dossier.events.order_by("-seq").first()
    assert event.action == "hand_back" and event.actor == user
    page = client.get(f"/me/dossiers/{dossier.pk}/").text
    assert f"/me/dossiers/{dossier.pk}/documents/{result.pk}/" in page
    assert 'id="rating"' in page


def test_a_paper_result_is_not_taken_online(client, office, family):
    user = family["father_user"]
    dossier = file_dossier(user, office, S.RESULT_READY)  # partial online: at the counter
    store_result(dossier)
    client.force_login(user)
    assert 'id="receive-result"' not in client.get(f"/me/dossiers/{dossier.pk}/").text
    client.post(f"/me/dossiers/{dossier.pk}/receive/")
    dossier.refresh_from_db()
    assert dossier.status == S.RESULT_READY


# --- Rating ---------------------------------------------------------------------------------------


def test_rating_is_possible_once_after_the_result_is_returned(client, office, family):
    user = family["father_user"]
    dossier = file_dossier(user, office, S.RESULT_READY)
    client.force_login(user)

    before = client.post(f"/me/dossiers/{dossier.pk}/rating/", {"score": "5"})
    assert before.status_code == 302 and not Rating.objects.exists()

    _agency, staff = office
    transitions.perform(dossier, "hand_back", actor=staff[Role.CLERK])
    page = client.get(f"/me/dossiers/{dossier.pk}/").text
    assert 'name="score"' in page

    bad = client.post(f"/me/dossiers/{dossier.pk}/rating/", {"score": "9"})
    assert bad.status_code == 400 and not Rating.objects.exists()

    first = client.post(
        f"/me/dossiers/{dossier.pk}/rating/", {"score": "4", "comment": "Nhanh, đúng hẹn"}
    )
    second = client.post(f"/me/dossiers/{dossier.pk}/rating/", {"score": "1"})

    assert first.status_code == 302 and second.status_code == 302
    rating = Rating.objects.get()
    assert (rating.dossier, rating.user, rating.score, rating.comment) == (
        dossier,
        user,
        4,
        "Nhanh, đúng hẹn",
    )
    page = client.get(f"/me/dossiers/{dossier.pk}/").text
    assert "4 out of 5" in page and 'name="score"' not in page


# --- Drafts ---------------------------------------------------------------------------------------


def test_the_applicant_deletes_their_draft_and_its_files(
    client, office, family, private_storage, django_capture_on_commit_callbacks
):
    user = family["father_user"]
    draft = file_dossier(user, office, S.DRAFT)
    upload = Attachment(dossier=draft, label="Tờ khai", uploaded_by=user)
    upload.file.save("to-khai.pdf", ContentFile(PDF), save=True)
    stored = private_storage / upload.file.name
    assert stored.exists()
    client.force_login(user)
    assert client.get(f"/me/dossiers/{draft.pk}/delete/").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/me/dossiers/{draft.pk}/delete/")

    assert response.status_code == 302 and response["Location"] == "/me/dossiers/"
    assert not Dossier.objects.filter(pk=draft.pk).exists()
    assert not stored.exists()


def test_only_a_draft_can_be_deleted_and_only_by_its_applicant(client, office, family):
    user = family["father_user"]
    sent = file_dossier(user, office, S.SUBMITTED)
    draft = file_dossier(user, office, S.DRAFT)
    client.force_login(user)
    assert client.post(f"/me/dossiers/{sent.pk}/delete/").status_code == 404
    client.force_login(family["stranger"])
    assert client.post(f"/me/dossiers/{draft.pk}/delete/").status_code == 404
    assert Dossier.objects.filter(pk__in=[sent.pk, draft.pk]).count() == 2


# --- Who may see what -------------------------------------------------------------------------------


def citizen_urls(dossier: Dossier, document: DossierDocument, upload: Attachment) -> list[str]:
    base = f"/me/dossiers/{dossier.pk}/"
    return [
        base,
        f"{base}supplement/",
        f"{base}withdraw/",
        f"{base}delete/",
        f"{base}documents/{document.pk}/",
        f"{base}attachments/{upload.pk}/",
    ]


def test_another_citizen_gets_404_on_every_url_of_a_dossier(client, office, family):
    owner = family["father_user"]
    dossier = file_dossier(owner, office, S.AWAITING_SUPPLEMENT)
    document = store_document(dossier, DossierDocument.Kind.SUPPLEMENT, "event-4")
    upload = Attachment(dossier=dossier, label="Tờ khai", uploaded_by=owner)
    upload.file.save("to-khai.pdf", ContentFile(PDF), save=True)
    client.force_login(family["stranger"])

    for url in citizen_urls(dossier, document, upload):
        assert client.get(url).status_code == 404, url
    for url in (
        f"/me/dossiers/{dossier.pk}/supplement/",
        f"/me/dossiers/{dossier.pk}/withdraw/",
        f"/me/dossiers/{dossier.pk}/rating/",
        f"/me/dossiers/{dossier.pk}/receive/",
        f"/me/dossiers/{dossier.pk}/delete/",
    ):
        response = client.post(url, {"reason": "x", "score": "1", "file_0": pdf_upload()})
        assert response.status_code == 404, url
    dossier.refresh_from_db()
    assert dossier.status == S.AWAITING_SUPPLEMENT
    assert dossier.code not in client.get("/me/dossiers/").text


def test_a_parent_sees_a_minor_childs_dossier_but_not_an_adult_childs(client, office, family):
    # Given dossiers filed by the mother about each child, and the adult son's own
    mother = family["mother_user"]
    for_minor = file_dossier(mother, office, S.RECEIVED, subject=family["minor"])
    receipt = store_document(for_minor, DossierDocument.Kind.RECEIPT, "event-2")
    for_adult = file_dossier(mother, office, S.RECEIVED, subject=family["adult"])
    adults_own = file_dossier(family["adult_user"], office, S.RECEIVED)
    minor_draft = file_dossier(mother, office, S.DRAFT, subject=family["minor"])
    client.force_login(family["father_user"])

    # When the father looks
    listing = client.get("/me/dossiers/").text

    # Then he sees his minor daughter's dossier, with her name, and its slips
    assert for_minor.code in listing and "For Nguyễn Minh Châu" in listing
    assert client.get(f"/me/dossiers/{for_minor.pk}/").status_code == 200
    assert client.get(f"/me/dossiers/{for_minor.pk}/documents/{receipt.pk}/").status_code == 200
    # but not his adult son's, nor the mother's draft (a draft is its applicant's own)
    for dossier in (for_adult, adults_own, minor_draft):
        assert client.get(f"/me/dossiers/{dossier.pk}/").status_code == 404
        assert str(dossier.pk) not in listing
    assert for_adult.code not in listing and adults_own.code not in listing


def test_a_parent_who_filed_for_a_minor_child_acts_on_the_dossier(client, office, family):
    user = family["father_user"]
    dossier = file_dossier(user, office, S.AWAITING_SUPPLEMENT, subject=family["minor"])
    client.force_login(user)
    response = client.post(
        f"/me/dossiers/{dossier.pk}/supplement/", {"file_0": pdf_upload(), "file_1": pdf_upload()}
    )
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == S.IN_PROCESSING


def test_the_other_parent_acts_for_their_minor_child_too(client, office, family):
    """A linked parent of the minor the dossier is about takes the applicant's steps."""
    dossier = file_dossier(
        family["mother_user"], office, S.AWAITING_SUPPLEMENT, subject=family["minor"]
    )
    client.force_login(family["father_user"])
    page = client.get(f"/me/dossiers/{dossier.pk}/").text
    assert "Send the missing documents by" in page
    assert 'id="withdraw-link"' in page
    withdraw = client.post(f"/me/dossiers/{dossier.pk}/withdraw/", {"reason": "Không cần nữa"})
    assert withdraw.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == S.WITHDRAWN


def test_the_nav_has_my_dossiers_and_my_documents(client, family):
    client.force_login(family["father_user"])
    html = client.get("/me/dossiers/").text
    assert re.search(r'href="/me/dossiers/"[^>]*aria-current="page"[^>]*>My dossiers<', html)
    assert 'href="/me/documents/"' in html and ">My documents<" in html
