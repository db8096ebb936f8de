"""My documents (/me/documents/): results delivered to the applicant's wallet
when they are ready (once, however often the step is processed), documents the
citizen keeps (checked like every upload), downloads and deletions for the
owner only."""

from __future__ import annotations

import pytest

from citizens.models import Role
from egov.errors import ConflictError, ValidationFailed
from onecounter import tasks, transitions
from onecounter.models import Attachment, DossierDocument, DossierEvent, WalletDocument
from onecounter.models import DossierStatus as S
from onecounter.wallet import documents as my_documents
from tests.test_my_dossiers import (
    PDF,
    executable_upload,
    file_dossier,
    in_english,
    keep,
    make_family,
    make_office,
    pdf_upload,
    queries_for,
    store_result,
    use_private_storage,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    return use_private_storage(settings, tmp_path)


@pytest.fixture
def client(client):
    return in_english(client)


@pytest.fixture
def office(db):
    return make_office()


@pytest.fixture
def family(db):
    return make_family()


def mark_result_ready(dossier, office):
    _agency, staff = office
    dossier = transitions.perform(dossier, "mark_result_ready", actor=staff[Role.CLERK])
    return dossier, dossier.events.order_by("-seq").first()


# --- Delivery of results -------------------------------------------------------------------


def test_results_go_to_the_applicants_wallet_once_when_the_result_is_ready(office, family):
    # Given an approved dossier about the applicant's minor child, with its result rendered
    user = family["father_user"]
    dossier = file_dossier(user, office, S.APPROVED, subject=family["minor"])
    result = store_result(dossier, title="Quyết định công nhận")

    # When "result ready" is processed by the background task, twice
    dossier, event = mark_result_ready(dossier, office)
    tasks.after_event(event.pk)
    DossierEvent.objects.filter(pk=event.pk).update(processed_at=None)  # a retried task
    tasks.after_event(event.pk)
    my_documents.deliver_results_for_event(event)  # and once more directly

    # Then the result is in the applicant's wallet exactly once
    entry = WalletDocument.objects.get()
    assert entry.owner == user
    assert entry.document == result
    assert entry.source == WalletDocument.Source.ISSUED
    assert entry.kind == "decision"  # the "form" handler's result document
    assert entry.person == family["minor"]
    assert entry.issued_by == dossier.agency and entry.dossier == dossier
    assert entry.title == "Quyết định công nhận"
    event.refresh_from_db()
    assert event.processed_at is not None


def test_each_result_is_delivered_and_named_after_the_handlers_kinds(office, family, monkeypatch):
    from procedures.handlers import registry

    user = family["father_user"]
    dossier = file_dossier(user, office, S.APPROVED)
    handler = registry.get("form")
    specs = [
        registry.ResultSpec(name="birth_certificate", title="Giấy khai sinh"),
        registry.ResultSpec(name="residence", title="Xác nhận cư trú"),
    ]
    monkeypatch.setattr(type(handler), "results", lambda self, p: specs)
    store_result(dossier, key="birth_certificate", title="Giấy khai sinh")
    store_result(dossier, key="other", title="Văn bản khác")
    _dossier, event = mark_result_ready(dossier, office)

    created = my_documents.deliver_results_for_event(event)

    assert sorted(e.kind for e in created) == ["birth_certificate", "result"]
    assert my_documents.deliver_results_for_event(event) == []
    assert WalletDocument.objects.count() == 2
    assert {e.person for e in created} == {family["father"]}  # about the applicant


def test_a_result_is_filed_under_the_person_it_is_about_not_the_applicant(client, office, family):
    # Given a father's dossier (about himself) whose result is about his minor
    # daughter: its holder, as given when the result was issued
    user = family["father_user"]
    dossier = file_dossier(user, office, S.APPROVED)
    about_her = store_result(dossier, key="birth_certificate", title="Trích lục khai sinh")
    about_her.holder = family["minor"]
    about_her.save(update_fields=["holder"])
    about_him = store_result(dossier, key="decision", title="Quyết định")

    # When the result is ready
    _dossier, event = mark_result_ready(dossier, office)
    my_documents.deliver_results_for_event(event)

    # Then each wallet entry is about the result's holder, else the dossier's person
    entries = {e.document_id: e for e in WalletDocument.objects.filter(owner=user)}
    assert entries[about_her.pk].person == family["minor"]
    assert entries[about_him.pk].person == family["father"]
    # ... and his wallet names her on her document only
    client.force_login(user)
    page = client.get("/me/documents/").content.decode()
    assert page.count("· Nguyễn Minh Châu") == 1
    mine = page.split(f'id="document-{entries[about_her.pk].pk}"')[1].split("</li>")[0]
    assert "· Nguyễn Minh Châu" in mine


def test_a_procedure_without_an_installed_handler_still_delivers(office, family):
    user = family["father_user"]
    dossier = file_dossier(user, office, S.APPROVED)
    dossier.procedure.handler = "not-installed"
    dossier.procedure.save(update_fields=["handler"])
    store_result(dossier)
    _dossier, event = mark_result_ready(dossier, office)

    my_documents.deliver_results_for_event(event)

    assert WalletDocument.objects.get().kind == "result"


def test_a_result_rendered_after_result_ready_arrives_on_hand_back(office, family):
    user = family["father_user"]
    dossier = file_dossier(user, office, S.APPROVED)
    dossier, ready = mark_result_ready(dossier, office)
    assert my_documents.deliver_results_for_event(ready) == []  # nothing rendered yet
    store_result(dossier)
    _agency, staff = office
    dossier = transitions.perform(dossier, "hand_back", actor=staff[Role.CLERK])

    my_documents.deliver_results_for_event(dossier.events.order_by("-seq").first())

    assert WalletDocument.objects.filter(owner=user).count() == 1


def test_other_steps_and_slips_deliver_nothing(office, family):
    user = family["father_user"]
    dossier = file_dossier(user, office, S.RECEIVED)
    DossierDocument.objects.create(dossier=dossier, kind="receipt", key="event-2", title="x")
    for event in dossier.events.all():
        assert my_documents.deliver_results_for_event(event) == []
    assert not WalletDocument.objects.exists()


def test_a_walk_in_without_an_account_gets_no_wallet_delivery(office, family):
    dossier = file_dossier(family["father_user"], office, S.APPROVED)
    dossier.applicant = None
    dossier.save(update_fields=["applicant"])
    store_result(dossier)
    _dossier, event = mark_result_ready(dossier, office)
    assert my_documents.deliver_results_for_event(event) == []
    assert not WalletDocument.objects.exists()


# --- The wallet page --------------------------------------------------------------------------


def test_the_wallet_lists_issued_results_first_then_kept_documents(client, office, family):
    user = family["father_user"]
    dossier = file_dossier(user, office, S.APPROVED, subject=family["minor"])
    store_result(dossier, title="Trích lục khai sinh")
    _dossier, event = mark_result_ready(dossier, office)
    my_documents.deliver_results_for_event(event)
    keep(user, kind="id_card", title="Căn cước của tôi")
    keep(family["stranger"], title="Giấy tờ của người khác")
    client.force_login(user)

    html = client.get("/me/documents/").text

    assert html.index("Issued to you") < html.index("Trích lục khai sinh")
    assert html.index("Trích lục khai sinh") < html.index("Documents you keep")
    assert html.index("Documents you keep") < html.index("Căn cước của tôi")
    assert "Citizen identity card" in html and "Nguyễn Minh Châu" in html
    assert "Giấy tờ của người khác" not in html
    assert html.count("/delete/") == 1  # only the kept document can be deleted


def test_the_wallet_costs_the_same_queries_however_many_documents(
    client, office, family, django_assert_max_num_queries
):
    user = family["father_user"]

    def grow(n):
        for _ in range(n):
            dossier = file_dossier(user, office, S.APPROVED, subject=family["minor"])
            store_result(dossier)
            my_documents.deliver_results_for_event(mark_result_ready(dossier, office)[1])
            keep(user)

    grow(1)
    client.force_login(user)
    baseline = queries_for(client, "/me/documents/")
    grow(12)
    with django_assert_max_num_queries(baseline):
        response = client.get("/me/documents/")
    assert response.text.count('class="doc-list__item"') == 20
    with django_assert_max_num_queries(baseline):
        client.get("/me/documents/?page=2")


# --- Keeping documents ------------------------------------------------------------------------


def test_a_citizen_keeps_a_pdf_and_downloads_it(client, family, private_storage):
    user = family["father_user"]
    client.force_login(user)
    assert client.get("/me/documents/add/").status_code == 200

    response = client.post(
        "/me/documents/add/",
        {"kind": "marriage_certificate", "title": "", "file": pdf_upload("../../etc/x.pdf")},
    )

    assert response.status_code == 302 and response["Location"] == "/me/documents/"
    kept = WalletDocument.objects.get()
    assert (kept.owner, kept.source, kept.kind, kept.title) == (
        user,
        WalletDocument.Source.KEPT,
        "marriage_certificate",
        "Marriage certificate",
    )
    assert kept.person == family["father"]
    assert ".." not in kept.file.name and kept.file.name.endswith(".pdf")
    download = client.get(f"/me/documents/{kept.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"
    assert "no-store" in download["Cache-Control"]


def test_a_renamed_executable_is_refused_next_to_the_file_box(client, family):
    client.force_login(family["father_user"])

    response = client.post(
        "/me/documents/add/", {"kind": "birth_certificate", "file": executable_upload()}
    )

    assert response.status_code == 400
    assert "Only PDF, JPEG and PNG files can be uploaded." in response.text
    assert 'href="#id_file"' in response.text
    assert "Choose it again." in response.text
    assert not WalletDocument.objects.exists()


def test_a_kind_outside_the_list_is_refused(client, family):
    client.force_login(family["father_user"])
    response = client.post("/me/documents/add/", {"kind": "passport", "file": pdf_upload()})
    assert response.status_code == 400
    assert not WalletDocument.objects.exists()
    with pytest.raises(ValidationFailed):
        my_documents.wallet_keep(owner=family["father_user"], upload=pdf_upload(), kind="passport")


def test_a_kept_document_is_deleted_with_its_file(
    client, family, private_storage, django_capture_on_commit_callbacks
):
    user = family["father_user"]
    kept = keep(user)
    stored = private_storage / kept.file.name
    assert stored.exists()
    client.force_login(user)
    assert client.get(f"/me/documents/{kept.pk}/delete/").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/me/documents/{kept.pk}/delete/")

    assert response.status_code == 302
    assert not WalletDocument.objects.exists()
    assert not stored.exists()


def test_an_issued_result_and_a_document_given_in_a_dossier_stay(client, office, family):
    user = family["father_user"]
    dossier = file_dossier(user, office, S.APPROVED)
    store_result(dossier)
    my_documents.deliver_results_for_event(mark_result_ready(dossier, office)[1])
    issued = WalletDocument.objects.get()
    given = keep(user)
    other = file_dossier(user, office, S.SUPPLEMENT_REQUESTED)
    Attachment.objects.create(dossier=other, wallet_document=given, label="x", uploaded_by=user)
    client.force_login(user)

    assert client.get(f"/me/documents/{issued.pk}/delete/").status_code == 404
    assert client.post(f"/me/documents/{issued.pk}/delete/").status_code == 404
    response = client.post(f"/me/documents/{given.pk}/delete/", follow=True)
    assert "stays in your wallet" in response.text
    assert WalletDocument.objects.count() == 2
    with pytest.raises(ConflictError) as info:
        my_documents.wallet_remove(owner=user, document=issued)
    assert info.value.code == "issued_document"


def test_an_issued_result_downloads_as_the_dossiers_pdf(client, office, family):
    user = family["father_user"]
    dossier = file_dossier(user, office, S.APPROVED)
    store_result(dossier)
    my_documents.deliver_results_for_event(mark_result_ready(dossier, office)[1])
    issued = WalletDocument.objects.get()
    client.force_login(user)
    response = client.get(f"/me/documents/{issued.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert f"{dossier.code}-result.pdf" in response["Content-Disposition"]


def test_another_citizen_gets_404_on_every_wallet_url(client, office, family):
    owner = family["father_user"]
    kept = keep(owner)
    dossier = file_dossier(owner, office, S.APPROVED)
    store_result(dossier)
    my_documents.deliver_results_for_event(mark_result_ready(dossier, office)[1])
    issued = WalletDocument.objects.get(source="issued")
    client.force_login(family["stranger"])

    for item in (kept, issued):
        assert client.get(f"/me/documents/{item.pk}/").status_code == 404
        assert client.get(f"/me/documents/{item.pk}/delete/").status_code == 404
        assert client.post(f"/me/documents/{item.pk}/delete/").status_code == 404
    assert WalletDocument.objects.count() == 2
    assert kept.title not in client.get("/me/documents/").text
