"""The citizen's API (/api/v1/me/dossiers/, /api/v1/me/documents/): the same
rules as the pages, machine-readable errors ``{"code", "message", "data"}``."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from citizens.models import Role
from onecounter import transitions
from onecounter.models import Attachment, DossierDocument, Rating, WalletDocument
from onecounter.models import DossierStatus as S
from onecounter.wallet import documents as my_documents
from tests.factories import DossierFactory, ProcedureFactory
from tests.test_my_dossiers import (
    PDF,
    act,
    executable_upload,
    file_dossier,
    keep,
    make_family,
    make_office,
    pdf_upload,
    store_document,
    store_result,
    use_private_storage,
)
from workdays.services import calendar_seed

pytestmark = pytest.mark.django_db

API = "/api/v1/me"


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    return use_private_storage(settings, tmp_path)


@pytest.fixture
def api():
    client = APIClient()
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def office(db):
    return make_office()


@pytest.fixture
def family(db):
    return make_family()


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"code", "message", "data"}, body
    return body


# --- Reading ----------------------------------------------------------------------------------


def test_the_list_has_drafts_first_and_says_what_is_asked(api, office, family):
    user = family["father_user"]
    finished = file_dossier(user, office, S.WITHDRAWN)
    awaiting = file_dossier(user, office, S.AWAITING_SUPPLEMENT)
    draft = file_dossier(user, office, S.DRAFT)
    file_dossier(family["stranger"], office, S.RECEIVED)
    api.force_authenticate(user)

    response = api.get(f"{API}/dossiers/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    rows = body["results"]
    assert [r["id"] for r in rows] == [str(draft.pk), str(awaiting.pk), str(finished.pk)]
    assert rows[0]["asked"]["code"] == "finish_draft"
    assert rows[0]["continue_url"].endswith(f"/file/{draft.pk}/")
    assert rows[0]["public_status"] == "draft"
    deadline = awaiting.supplements.get().deadline
    assert rows[1]["asked"] == {
        "code": "send_documents",
        "message": f"Send the missing documents by {deadline:%d/%m/%Y}.",
        "deadline": deadline.isoformat(),
    }
    assert rows[1]["public_status"] == "awaiting_documents"
    assert rows[1]["status"] == "awaiting_supplement"
    assert rows[1]["url"].endswith(f"/api/v1/me/dossiers/{awaiting.pk}/")
    assert rows[2]["asked"]["code"] == "none"


def test_the_detail_has_the_steps_requests_documents_and_actions(api, office, family):
    user = family["father_user"]
    dossier = file_dossier(user, office, S.AWAITING_SUPPLEMENT, subject=family["minor"])
    receipt = store_document(dossier, DossierDocument.Kind.RECEIPT, "event-2", "Giấy tiếp nhận")
    api.force_authenticate(user)

    body = api.get(f"{API}/dossiers/{dossier.pk}/").json()

    assert body["code"] == dossier.code
    assert [s["label"] for s in body["steps"]][-1] == (
        "Missing documents asked for (time limit paused)"
    )
    assert body["steps"][-1]["reason"] == "Thiếu giấy tờ cư trú"
    assert body["supplements"][0]["items"] == ["Giấy xác nhận cư trú", "Bản sao giấy chứng sinh"]
    assert body["documents"] == [
        {
            "id": str(receipt.pk),
            "kind": "receipt",
            "title": "Giấy tiếp nhận",
            "rendered_at": body["documents"][0]["rendered_at"],
            "url": f"http://testserver/api/v1/me/dossiers/{dossier.pk}/documents/{receipt.pk}/",
        }
    ]
    assert body["allowed_actions"] == ["withdraw", "supply"]
    assert body["rating"] is None and body["about"] == "Nguyễn Minh Châu"


def test_the_list_costs_the_same_queries_however_many_dossiers(
    api, office, family, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = family["father_user"]

    def grow(n):
        for _ in range(n):
            file_dossier(user, office, S.DRAFT)
            file_dossier(user, office, S.SUBMITTED)
            file_dossier(user, office, S.AWAITING_SUPPLEMENT)
            store_result(file_dossier(user, office, S.RESULT_READY))
            file_dossier(family["mother_user"], office, S.RECEIVED, subject=family["minor"])

    grow(1)
    api.force_authenticate(user)
    with CaptureQueriesContext(connection) as captured:
        assert api.get(f"{API}/dossiers/").status_code == 200
    grow(8)
    with django_assert_max_num_queries(len(captured)):
        response = api.get(f"{API}/dossiers/")
    assert response.json()["count"] == 45


# --- Answering a request for documents --------------------------------------------------------


def test_a_supplement_sent_through_the_api_restarts_the_clock(api, office, family, clock):
    calendar_seed()
    _agency, staff = office
    user = family["father_user"]
    dossier = DossierFactory(
        agency=office[0], applicant=user, procedure=ProcedureFactory(days_online=7)
    )
    clock.set(2026, 2, 3)
    dossier = act(dossier, "submit", staff)
    clock.set(2026, 2, 4)
    dossier = act(act(dossier, "receive", staff), "assign", staff)
    clock.set(2026, 2, 9, 9)
    dossier = act(dossier, "request_supplement", staff)
    kept = keep(user)
    api.force_authenticate(user)

    # Wednesday 11 February: 2 working days paused; Tết is 16-20 February
    clock.set(2026, 2, 11)
    response = api.post(
        f"{API}/dossiers/{dossier.pk}/supplement/",
        {"file_0": pdf_upload(), "wallet_1": str(kept.pk), "note": "Bổ sung"},
        format="multipart",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "in_processing"
    assert body["due_date"] == "2026-02-24"  # was 13 February, + 2 working days after Tết
    assert body["supplements"][0]["answered_at"] is not None
    assert [a["from_wallet"] for a in body["supplements"][0]["attachments"]] == [False, True]


def test_a_refused_file_answers_400_with_the_field(api, office, family):
    user = family["father_user"]
    dossier = file_dossier(user, office, S.SUPPLEMENT_REQUESTED)
    api.force_authenticate(user)

    response = api.post(
        f"{API}/dossiers/{dossier.pk}/supplement/",
        {"file_0": executable_upload()},
        format="multipart",
    )

    assert response.status_code == 400
    body = error_of(response)
    assert body["code"] == "file_type"
    assert "file_0" in body["data"]
    missing = api.post(f"{API}/dossiers/{dossier.pk}/supplement/", {}, format="multipart")
    assert missing.status_code == 400 and "file_0" in error_of(missing)["data"]
    dossier.refresh_from_db()
    assert dossier.status == S.SUPPLEMENT_REQUESTED
    assert not Attachment.objects.exists()


def test_a_supplement_when_nothing_is_asked_is_409(api, office, family):
    user = family["father_user"]
    dossier = file_dossier(user, office, S.IN_PROCESSING)
    api.force_authenticate(user)
    response = api.post(
        f"{API}/dossiers/{dossier.pk}/supplement/", {"file_0": pdf_upload()}, format="multipart"
    )
    assert response.status_code == 409
    assert error_of(response)["code"] == "no_supplement_requested"


# --- Withdrawing ------------------------------------------------------------------------------


def test_withdrawing_before_a_decision_then_409_after(api, office, family):
    user = family["father_user"]
    open_dossier = file_dossier(user, office, S.RECEIVED)
    decided = file_dossier(user, office, S.APPROVED)
    api.force_authenticate(user)

    no_reason = api.post(f"{API}/dossiers/{open_dossier.pk}/withdraw/", {}, format="json")
    assert no_reason.status_code == 400 and error_of(no_reason)["code"] == "reason_required"

    done = api.post(
        f"{API}/dossiers/{open_dossier.pk}/withdraw/", {"reason": "Nộp nhầm"}, format="json"
    )
    assert done.status_code == 200 and done.json()["status"] == "withdrawn"
    assert done.json()["steps"][-1]["reason"] == "Nộp nhầm"

    refused = api.post(
        f"{API}/dossiers/{decided.pk}/withdraw/", {"reason": "Không cần nữa"}, format="json"
    )
    assert refused.status_code == 409
    assert error_of(refused)["code"] == "invalid_transition"
    refused_without_reason = api.post(f"{API}/dossiers/{decided.pk}/withdraw/", {}, format="json")
    assert refused_without_reason.status_code == 409
    decided.refresh_from_db()
    assert decided.status == S.APPROVED


# --- Documents ---------------------------------------------------------------------------------


def test_a_slip_downloads_for_the_owner_only(api, office, family):
    user = family["father_user"]
    dossier = file_dossier(user, office, S.RECEIVED)
    receipt = store_document(dossier, DossierDocument.Kind.RECEIPT, "event-2")
    url = f"{API}/dossiers/{dossier.pk}/documents/{receipt.pk}/"
    api.force_authenticate(user)
    response = api.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF

    api.force_authenticate(family["stranger"])
    assert api.get(url).status_code == 404
    assert error_of(api.get(url))["code"] == "not_found"


# --- Rating ------------------------------------------------------------------------------------


def test_rating_is_409_before_the_result_is_returned_then_once(api, office, family):
    user = family["father_user"]
    dossier = file_dossier(user, office, S.RESULT_READY)
    url = f"{API}/dossiers/{dossier.pk}/rating/"
    api.force_authenticate(user)

    early = api.post(url, {"score": 5}, format="json")
    assert early.status_code == 409 and error_of(early)["code"] == "not_returned"

    _agency, staff = office
    transitions.perform(dossier, "hand_back", actor=staff[Role.CLERK])
    assert "rate" in api.get(f"{API}/dossiers/{dossier.pk}/").json()["allowed_actions"]
    bad = api.post(url, {"score": 0}, format="json")
    assert bad.status_code == 400 and "score" in error_of(bad)["data"]

    first = api.post(url, {"score": 3, "comment": "Được"}, format="json")
    assert first.status_code == 201
    assert first.json()["score"] == 3 and first.json()["comment"] == "Được"
    again = api.post(url, {"score": 5}, format="json")
    assert again.status_code == 409 and error_of(again)["code"] == "already_rated"
    assert Rating.objects.get().score == 3
    detail = api.get(f"{API}/dossiers/{dossier.pk}/").json()
    assert detail["rating"]["score"] == 3 and "rate" not in detail["allowed_actions"]


def test_a_full_online_result_is_received_through_the_api(api, office, family):
    user = family["father_user"]
    full = ProcedureFactory(online_level="full")
    dossier = file_dossier(user, office, S.RESULT_READY, procedure=full)
    store_result(dossier)
    api.force_authenticate(user)
    detail = api.get(f"{API}/dossiers/{dossier.pk}/").json()
    assert detail["asked"]["code"] == "download_result"
    assert "hand_back" in detail["allowed_actions"]

    response = api.post(f"{API}/dossiers/{dossier.pk}/receive-result/")

    assert response.status_code == 200 and response.json()["status"] == "returned"


# --- Wallet ------------------------------------------------------------------------------------


def test_the_wallet_lists_keeps_downloads_and_deletes(api, office, family):
    user = family["father_user"]
    dossier = file_dossier(user, office, S.APPROVED)
    store_result(dossier)
    _agency, staff = office
    dossier = transitions.perform(dossier, "mark_result_ready", actor=staff[Role.CLERK])
    my_documents.deliver_results_for_event(dossier.events.order_by("-seq").first())
    api.force_authenticate(user)

    created = api.post(
        f"{API}/documents/",
        {"kind": "id_card", "title": "CCCD", "file": pdf_upload()},
        format="multipart",
    )
    assert created.status_code == 201, created.content
    kept_id = created.json()["id"]
    assert created.json()["source"] == "kept" and created.json()["kind_label"] == (
        "Citizen identity card"
    )

    listing = api.get(f"{API}/documents/").json()
    assert [d["source"] for d in listing["results"]] == ["issued", "kept"]
    issued_id = listing["results"][0]["id"]
    assert listing["results"][0]["dossier"] == str(dossier.pk)

    download = api.get(f"{API}/documents/{kept_id}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF

    issued_delete = api.delete(f"{API}/documents/{issued_id}/")
    assert issued_delete.status_code == 409
    assert error_of(issued_delete)["code"] == "issued_document"
    assert api.delete(f"{API}/documents/{kept_id}/").status_code == 204
    assert list(WalletDocument.objects.values_list("source", flat=True)) == ["issued"]


def test_keeping_a_renamed_executable_is_refused(api, family):
    api.force_authenticate(family["father_user"])
    response = api.post(
        f"{API}/documents/",
        {"kind": "birth_certificate", "file": executable_upload()},
        format="multipart",
    )
    assert response.status_code == 400
    body = error_of(response)
    assert body["code"] == "file_type" and "file" in body["data"]
    wrong_kind = api.post(
        f"{API}/documents/", {"kind": "passport", "file": pdf_upload()}, format="multipart"
    )
    assert wrong_kind.status_code == 400 and "kind" in error_of(wrong_kind)["data"]
    assert not WalletDocument.objects.exists()


def test_the_wallet_list_costs_the_same_queries_however_many_documents(
    api, family, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = family["father_user"]
    keep(user)
    api.force_authenticate(user)
    with CaptureQueriesContext(connection) as captured:
        api.get(f"{API}/documents/")
    for _ in range(15):
        keep(user)
    with django_assert_max_num_queries(len(captured)):
        assert api.get(f"{API}/documents/").json()["count"] == 16


# --- Who may see what --------------------------------------------------------------------------


def test_another_citizen_gets_404_on_every_api_url(api, office, family):
    owner = family["father_user"]
    dossier = file_dossier(owner, office, S.AWAITING_SUPPLEMENT)
    returned = file_dossier(owner, office, S.RETURNED)
    slip = store_document(dossier, DossierDocument.Kind.SUPPLEMENT, "event-4")
    kept = keep(owner)
    api.force_authenticate(family["stranger"])

    gets = [
        f"{API}/dossiers/{dossier.pk}/",
        f"{API}/dossiers/{dossier.pk}/documents/{slip.pk}/",
        f"{API}/documents/{kept.pk}/",
    ]
    posts = [
        (f"{API}/dossiers/{dossier.pk}/supplement/", {"file_0": pdf_upload()}, "multipart"),
        (f"{API}/dossiers/{dossier.pk}/withdraw/", {"reason": "x"}, "json"),
        (f"{API}/dossiers/{returned.pk}/rating/", {"score": 1}, "json"),
        (f"{API}/dossiers/{dossier.pk}/receive-result/", {}, "json"),
    ]
    for url in gets:
        response = api.get(url)
        assert response.status_code == 404, url
        assert error_of(response)["code"] == "not_found"
    for url, data, fmt in posts:
        assert api.post(url, data, format=fmt).status_code == 404, url
    assert api.delete(f"{API}/documents/{kept.pk}/").status_code == 404
    assert api.get(f"{API}/dossiers/").json()["count"] == 0
    assert api.get(f"{API}/documents/").json()["count"] == 0
    dossier.refresh_from_db()
    assert dossier.status == S.AWAITING_SUPPLEMENT
    assert not Rating.objects.exists() and WalletDocument.objects.count() == 1


def test_an_anonymous_client_is_refused(api, office, family):
    dossier = file_dossier(family["father_user"], office, S.RECEIVED)
    for url in (f"{API}/dossiers/", f"{API}/dossiers/{dossier.pk}/", f"{API}/documents/"):
        response = api.get(url)
        assert response.status_code == 403
        assert error_of(response)["code"] == "not_authenticated"


def test_a_parent_reads_a_minor_childs_dossier_and_not_an_adult_childs(api, office, family):
    mother = family["mother_user"]
    for_minor = file_dossier(mother, office, S.RECEIVED, subject=family["minor"])
    slip = store_document(for_minor, DossierDocument.Kind.RECEIPT, "event-2")
    for_adult = file_dossier(mother, office, S.RECEIVED, subject=family["adult"])
    api.force_authenticate(family["father_user"])

    listing = api.get(f"{API}/dossiers/").json()
    assert [r["id"] for r in listing["results"]] == [str(for_minor.pk)]
    assert listing["results"][0]["about"] == "Nguyễn Minh Châu"
    detail = api.get(f"{API}/dossiers/{for_minor.pk}/").json()
    # The other parent acts for the minor as the applicant would.
    assert "withdraw" in detail["allowed_actions"]
    assert api.get(f"{API}/dossiers/{for_minor.pk}/documents/{slip.pk}/").status_code == 200
    assert api.get(f"{API}/dossiers/{for_adult.pk}/").status_code == 404
    supplement = api.post(
        f"{API}/dossiers/{for_minor.pk}/supplement/", {"file_0": pdf_upload()}, format="multipart"
    )
    assert supplement.status_code == 409  # nothing asked on this one
    withdraw = api.post(
        f"{API}/dossiers/{for_minor.pk}/withdraw/", {"reason": "Không cần nữa"}, format="json"
    )
    assert withdraw.status_code == 200
    for_minor.refresh_from_db()
    assert for_minor.status == S.WITHDRAWN


def test_the_schema_documents_the_citizen_api(api):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/me/dossiers/",
        "/api/v1/me/dossiers/{id}/",
        "/api/v1/me/dossiers/{id}/supplement/",
        "/api/v1/me/dossiers/{id}/withdraw/",
        "/api/v1/me/dossiers/{id}/documents/{document_id}/",
        "/api/v1/me/dossiers/{id}/rating/",
        "/api/v1/me/documents/",
        "/api/v1/me/documents/{id}/",
    ):
        assert path in paths, path


@pytest.fixture
def clock(monkeypatch):
    from tests.test_my_dossiers import Clock

    return Clock(monkeypatch)


def test_dates_are_iso(api, office, family):
    dossier = file_dossier(family["father_user"], office, S.RECEIVED)
    api.force_authenticate(family["father_user"])
    body = api.get(f"{API}/dossiers/{dossier.pk}/").json()
    assert dt.date.fromisoformat(body["due_date"]) == dossier.due_date
