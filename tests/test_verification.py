"""Results anyone can verify: the public page a result's QR code leads to and
its API (only initials and year of birth, each check logged, unknown codes
answered alike and logged nowhere, throttled per client address), revocation
and replacement by the head of the issuing agency, and the birth certificate
taken from the wallet by a later procedure instead of an upload."""

from __future__ import annotations

import hashlib
import hmac
import re

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from citizens.models import Role
from egov.errors import ConflictError, PermissionDeniedError
from onecounter import transitions
from onecounter.intake import validation
from onecounter.models import Attachment, DocumentVerification, DossierDocument, WalletDocument
from onecounter.results import rendering, services, verification
from onecounter.wallet import documents as my_documents
from tests.conftest import enrol_totp
from tests.factories import AgencyFactory, MembershipFactory, ProcedureFactory, UserFactory
from tests.test_filing import check_url, documents_url, page_url, start_draft
from tests.test_result_documents import (
    BIRTH_DATE,
    PUBLIC,
    TODAY,
    child_of,
    link_in,
    make_world,
    register_birth,
    result,
    text_of,
)

pytestmark = pytest.mark.django_db


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


@pytest.fixture
def world(db):
    return make_world()


@pytest.fixture(autouse=True)
def fresh_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def extract(world):
    return result(register_birth(world), "birth_certificate")


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def main_of(html: str) -> str:
    """The page's <main> (the header holds the language form, which differs per request)."""
    return re.search(r"<main.*?</main>", html, re.S).group(0)


# --- The public page ------------------------------------------------------------------------


def test_the_page_confirms_the_document_showing_only_initials_and_year_of_birth(
    world, extract, client
):
    child = child_of(extract.dossier)
    response = client.get(
        f"/verify/{extract.verify_token}", HTTP_USER_AGENT="Zalo/1.0 " + "x" * 300
    )

    assert response.status_code == 200
    page = response.text
    assert 'lang="vi"' in page  # Vietnamese first
    assert "Văn bản hợp lệ" in page and 'data-status="valid"' in page
    for shown in [
        "Trích lục khai sinh",
        extract.number,
        TODAY.strftime("%d/%m/%Y"),
        "UBND phường Ba Đình",
        "T. M. A.",
        str(BIRTH_DATE.year),
    ]:
        assert shown in page, shown
    for hidden in [child.full_name, child.id_number, "Nguyễn Thị Hoa", "Trần Văn Bình"]:
        assert hidden not in page, hidden

    assert response["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response["X-Robots-Tag"] and '<meta name="robots" content="noindex' in page
    cache_control = response["Cache-Control"]
    assert "private" in cache_control and "no-store" in cache_control

    check = DocumentVerification.objects.get()
    assert (check.document, check.outcome) == (extract, "valid")
    expected_hash = hmac.new(
        settings.SECRET_KEY.encode(), b"verify:127.0.0.1", hashlib.sha256
    ).hexdigest()
    assert check.client_hash == expected_hash and "127.0.0.1" not in check.client_hash
    assert check.user_agent == ("Zalo/1.0 " + "x" * 300)[:200]

    # Each check is logged, with or without the trailing slash.
    assert client.get(f"/verify/{extract.verify_token}/").status_code == 200
    assert DocumentVerification.objects.filter(document=extract).count() == 2


def test_the_page_is_in_english_through_the_language_switcher(extract, client):
    switched = client.post(
        reverse("set_language"),
        {"language": "en", "next": f"/verify/{extract.verify_token}"},
    )
    assert switched.status_code == 302
    page = client.get(switched["Location"]).text
    assert 'lang="en"' in page
    assert "Birth certificate extract" in page and "This document is genuine and valid." in page
    assert f"T. M. A.</abbr>, born in {BIRTH_DATE.year}" in page


def test_an_unknown_or_malformed_code_answers_the_same_404_and_is_logged_nowhere(
    extract, client, caplog
):
    unknown = verification.new_token()
    answers, queries = [], []
    for code in [unknown, "abc", "x" * 300, "abc%20d%C3%A9f", extract.verify_token[:-1] + "!"]:
        with CaptureQueriesContext(connection) as captured:
            response = english(client).get(f"/verify/{code}")
        assert response.status_code == 404
        assert "No document with this code" in response.text
        assert response["Referrer-Policy"] == "no-referrer"
        answers.append(main_of(response.text))
        queries.append(len(captured))
    assert len(set(answers)) == 1  # the same page for every wrong code
    assert len(set(queries)) == 1  # after the same work
    assert client.get(f"/api/v1/verify/{unknown}/").status_code == 404
    assert not DocumentVerification.objects.exists()
    assert unknown not in caplog.text  # not even Django's "Not Found: <path>"


def test_a_revoked_document_says_when_and_why(world, extract, client):
    _agency, staff = world["committee"]
    services.document_revoke(extract, staff[Role.HEAD], "Cấp nhầm cho người khác")
    page = english(client).get(f"/verify/{extract.verify_token}").text
    assert 'data-status="revoked"' in page
    assert "This document has been revoked. It is no longer valid." in page
    assert f"Revoked on {TODAY:%d/%m/%Y}." in page and "Cấp nhầm cho người khác" in page
    assert DocumentVerification.objects.get().outcome == "revoked"


def test_a_replaced_document_names_its_replacement(world, extract, client):
    _agency, staff = world["committee"]
    new = services.document_replace(extract, staff[Role.HEAD], "Sửa quê quán")
    old_page = english(client).get(f"/verify/{extract.verify_token}").text
    assert 'data-status="replaced"' in old_page
    assert (
        f"It was replaced by document number {new.number}, issued on {TODAY:%d/%m/%Y}" in old_page
    )
    assert "Sửa quê quán" not in old_page  # the reason for a replacement stays internal
    new_page = english(client).get(f"/verify/{new.verify_token}").text
    assert 'data-status="valid"' in new_page
    assert [v.outcome for v in DocumentVerification.objects.order_by("at")] == [
        "replaced",
        "valid",
    ]


# --- Throttle --------------------------------------------------------------------------------


def test_unknown_codes_are_throttled_per_client_address(settings, extract, client):
    settings.EGOV_VERIFY_MAX_FAILURES = 3
    for _ in range(3):
        assert (
            client.get(f"/verify/{verification.new_token()}", REMOTE_ADDR="10.0.0.1").status_code
            == 404
        )
    blocked = client.get(f"/verify/{extract.verify_token}", REMOTE_ADDR="10.0.0.1")
    assert blocked.status_code == 429 and int(blocked["Retry-After"]) > 0
    api = client.get(f"/api/v1/verify/{extract.verify_token}/", REMOTE_ADDR="10.0.0.1")
    assert api.status_code == 429 and api.json()["code"] == "throttled"
    assert not DocumentVerification.objects.exists()  # nothing was shown, nothing logged

    elsewhere = client.get(f"/verify/{extract.verify_token}", REMOTE_ADDR="10.0.0.2")
    assert elsewhere.status_code == 200


def test_too_many_checks_of_any_kind_are_throttled_too(settings, extract, client):
    settings.EGOV_VERIFY_MAX_LOOKUPS = 2
    for _ in range(2):
        assert (
            client.get(f"/verify/{extract.verify_token}", REMOTE_ADDR="10.0.0.3").status_code == 200
        )
    assert client.get(f"/verify/{extract.verify_token}", REMOTE_ADDR="10.0.0.3").status_code == 429
    assert DocumentVerification.objects.count() == 2


# --- API --------------------------------------------------------------------------------------


def test_the_api_gives_the_same_facts_as_json(world, extract, client):
    response = english(client).get(f"/api/v1/verify/{extract.verify_token}/")
    assert response.status_code == 200
    assert response["Referrer-Policy"] == "no-referrer" and "no-store" in response["Cache-Control"]
    assert response.json() == {
        "kind": "birth_certificate",
        "title": "Trích lục khai sinh",
        "kind_label": "Birth certificate extract",
        "number": extract.number,
        "issued_on": TODAY.isoformat(),
        "issuing_agency": "UBND phường Ba Đình",
        "holder_initials": "T. M. A.",
        "holder_birth_year": BIRTH_DATE.year,
        "status": "valid",
        "revoked_on": None,
        "revoked_reason": "",
        "replaced_by_number": "",
        "replaced_by_issued_on": None,
    }
    assert DocumentVerification.objects.get().outcome == "valid"

    _agency, staff = world["committee"]
    new = services.document_replace(extract, staff[Role.HEAD], "Sửa lỗi chính tả")
    replaced = client.get(f"/api/v1/verify/{extract.verify_token}/").json()
    assert replaced["status"] == "replaced" and replaced["replaced_by_number"] == new.number
    assert replaced["replaced_by_issued_on"] == TODAY.isoformat()
    services.document_revoke(new, staff[Role.HEAD], "Hồ sơ giả mạo")
    revoked = client.get(f"/api/v1/verify/{new.verify_token}/").json()
    assert (revoked["status"], revoked["revoked_reason"]) == ("revoked", "Hồ sơ giả mạo")

    for code in [verification.new_token(), "not-a-code"]:
        missing = client.get(f"/api/v1/verify/{code}/")
        assert missing.status_code == 404
        assert missing.json()["code"] == "document_not_found"
        assert set(missing.json()) == {"code", "message", "data"}


def test_the_verification_api_is_in_the_openapi_schema(client):
    schema = client.get(reverse("api-schema"), {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/verify/{token}/"]["get"]
    assert operation["operationId"] == "verify_document"
    assert {"200", "404", "429"} <= set(operation["responses"])


# --- Revocation and replacement ---------------------------------------------------------------


def staff_client(client, user):
    enrol_totp(user)
    client.force_login(user)
    return english(client)


def test_the_head_of_the_issuing_agency_revokes_from_the_back_office(world, extract, client):
    _agency, staff = world["committee"]
    head = staff_client(client, staff[Role.HEAD])
    url = reverse("verify:document", args=[extract.pk])
    page = head.get(url).text
    assert extract.number in page and 'id="form-revoke"' in page and 'id="form-replace"' in page

    refused = head.post(reverse("verify:document-revoke", args=[extract.pk]), {"revoke-reason": ""})
    assert refused.status_code == 400 and "Give the reason." in refused.text
    done = head.post(
        reverse("verify:document-revoke", args=[extract.pk]),
        {"revoke-reason": "Cấp nhầm"},
    )
    assert done.status_code == 302 and done["Location"] == url
    extract.refresh_from_db()
    assert extract.revoked_at is not None and extract.revoked_reason == "Cấp nhầm"
    again = head.post(reverse("verify:document-revoke", args=[extract.pk]), {"revoke-reason": "x"})
    assert again.status_code == 403 or again.status_code == 409
    with pytest.raises(ConflictError):
        services.document_revoke(extract, staff[Role.HEAD], "again")


@pytest.mark.parametrize("role", [Role.CLERK, Role.OFFICER])
def test_other_staff_of_the_issuing_agency_see_the_document_but_cannot_revoke_or_replace(
    world, extract, client, role
):
    _agency, staff = world["committee"]
    user = staff_client(client, staff[role])
    page = user.get(reverse("verify:document", args=[extract.pk]))
    assert page.status_code == 200 and 'id="form-revoke"' not in page.text
    for name, field in (
        ("verify:document-revoke", "revoke-reason"),
        ("verify:document-replace", "replace-reason"),
    ):
        response = user.post(reverse(name, args=[extract.pk]), {field: "Không có quyền"})
        assert response.status_code == 403
    extract.refresh_from_db()
    assert extract.revoked_at is None and extract.replaced_by is None
    with pytest.raises(PermissionDeniedError):
        services.document_revoke(extract, staff[role], "x")
    with pytest.raises(PermissionDeniedError):
        services.document_replace(extract, staff[role], "x")


def test_the_head_of_another_agency_finds_nothing_and_a_citizen_is_refused(world, extract, client):
    stranger_head = MembershipFactory(agency=AgencyFactory(code="UBKM"), role=Role.HEAD).user
    other = staff_client(client, stranger_head)
    assert other.get(reverse("verify:document", args=[extract.pk])).status_code == 404
    assert (
        other.post(
            reverse("verify:document-revoke", args=[extract.pk]), {"revoke-reason": "x"}
        ).status_code
        == 404
    )
    with pytest.raises(PermissionDeniedError):
        services.document_revoke(extract, stranger_head, "x")
    # The police head of the same ward did not issue it either.
    _police, police_staff = world["police"]
    with pytest.raises(PermissionDeniedError):
        services.document_replace(extract, police_staff[Role.HEAD], "x")

    client.logout()
    client.force_login(world["mother_user"])
    assert client.get(reverse("verify:document", args=[extract.pk])).status_code == 403
    client.logout()
    anonymous = client.get(reverse("verify:document", args=[extract.pk]))
    assert anonymous.status_code == 302 and reverse("account_login") in anonymous["Location"]
    extract.refresh_from_db()
    assert extract.revoked_at is None


def test_a_replacement_is_a_new_document_and_the_wallet_holds_it(world, client):
    dossier = register_birth(world)
    my_documents.deliver_results(dossier)
    old = result(dossier, "birth_certificate")
    entry = WalletDocument.objects.get(owner=world["mother_user"], document=old)
    _agency, staff = world["committee"]
    head = staff_client(client, staff[Role.HEAD])

    response = head.post(
        reverse("verify:document-replace", args=[old.pk]),
        {"replace-reason": "Sửa nơi sinh theo giấy chứng sinh"},
    )
    new = DossierDocument.objects.get(dossier=dossier, kind="result", key="birth_certificate")
    assert response.status_code == 302
    assert response["Location"] == reverse("verify:document", args=[new.pk])
    old.refresh_from_db()
    assert old.replaced_by == new and old.key == "birth_certificate~1"
    assert new.verify_token != old.verify_token
    assert (old.number, new.number) == (f"1/{TODAY.year}/TLKS", f"2/{TODAY.year}/TLKS")
    assert new.issued_by == old.issued_by and new.holder == old.holder
    assert f"thay thế văn bản số {old.number}" in text_of(new) and link_in(new)
    assert default_storage.exists(old.file.name) and old.file.name != new.file.name
    assert link_in(old)  # the superseded PDF is kept as it was

    entry.refresh_from_db()
    assert entry.document == new and entry.kind == "birth_certificate"
    # Processing the results again changes nothing.
    assert rendering.render_results(dossier) == [new]
    my_documents.deliver_results(dossier)
    assert WalletDocument.objects.filter(owner=world["mother_user"], document=new).count() == 1

    page = head.get(reverse("verify:document", args=[old.pk])).text
    assert new.number in page and "Sửa nơi sinh theo giấy chứng sinh" in page


def test_the_admin_lists_issued_results_and_revokes_with_a_reason(world, extract, client):
    admin = UserFactory(is_superuser=True, is_staff=True)
    staff_client(client, admin)
    changelist = reverse("admin:onecounter_dossierdocument_changelist")
    listing = client.get(changelist)
    assert listing.status_code == 200 and extract.number in listing.text
    asked = client.post(
        changelist, {"action": "revoke_selected", "_selected_action": [str(extract.pk)]}
    )
    assert asked.status_code == 200 and 'name="reason"' in asked.text
    done = client.post(
        changelist,
        {
            "action": "revoke_selected",
            "_selected_action": [str(extract.pk)],
            "apply": "1",
            "reason": "Thu hồi theo quyết định số 12/QĐ-UBND",
        },
    )
    assert done.status_code == 302
    extract.refresh_from_db()
    assert extract.revoked_reason == "Thu hồi theo quyết định số 12/QĐ-UBND"
    assert (
        client.get(reverse("admin:onecounter_documentverification_changelist")).status_code == 200
    )


# --- The birth certificate from the wallet, instead of an upload --------------------------------


def test_a_later_procedure_takes_the_birth_certificate_from_the_parents_wallet(world, client):
    dossier = register_birth(world)
    my_documents.deliver_results(dossier)
    child = child_of(dossier)
    extract = result(dossier, "birth_certificate")
    entry = WalletDocument.objects.get(owner=world["mother_user"], kind="birth_certificate")
    assert entry.document == extract

    insurance, staff = world["insurance"]
    procedure = ProcedureFactory(
        handler="health_insurance",
        name="Cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi",
        online_level="full",
        identity_level=1,
        fee_online=0,
        fee_counter=0,
    )
    procedure.offered_by.add(insurance)
    certificate = procedure.documents.create(
        name="Giấy khai sinh của trẻ",
        name_en="The child's birth certificate",
        order=1,
        wallet_kind="birth_certificate",
    )
    mother = english(client)
    mother.force_login(world["mother_user"])
    draft = start_draft(mother, procedure, subject=str(child.pk))
    assert draft.subject_person == child
    answered = mother.post(page_url(draft, 1), {"health_facility": "Trạm y tế phường Ba Đình"})
    assert answered.status_code == 302
    documents = mother.get(documents_url(draft)).text
    assert str(entry.pk) in documents  # offered from the wallet
    chosen = mother.post(
        documents_url(draft), {f"doc-{certificate.pk}-wallet": str(entry.pk), "continue": ""}
    )
    assert chosen["Location"] == check_url(draft)
    sent = mother.post(check_url(draft), {"declaration": "on", "send": ""})
    assert sent.status_code == 302
    draft.refresh_from_db()
    assert draft.status == "submitted" and validation.missing_documents(draft) == []

    attachment = Attachment.objects.get(dossier=draft)
    assert attachment.wallet_document == entry and not attachment.file
    assert attachment.sha256 == extract.sha256  # the issued PDF itself, no copy
    assert attachment.wallet_document.document.verify_token == extract.verify_token

    # Social insurance decides on it and issues the card.
    draft = transitions.perform(draft, "receive", actor=staff[Role.CLERK])
    draft = decide_after_receipt(draft, staff)
    card = result(draft, "health_insurance_card")
    child.refresh_from_db()
    assert child.health_insurance_number and child.health_insurance_number in text_of(card)


def decide_after_receipt(dossier, staff):
    for action, actor, params in [
        ("assign", staff[Role.CLERK], {"officer": staff[Role.OFFICER]}),
        ("propose", staff[Role.OFFICER], {"decision": "approve"}),
        ("approve", staff[Role.HEAD], {}),
        ("mark_result_ready", staff[Role.OFFICER], {}),
    ]:
        dossier = transitions.perform(dossier, action, actor=actor, **params)
    rendering.render_results(dossier)
    return dossier


def test_a_later_delivery_does_not_bring_the_superseded_copy_back_to_the_wallet(world):
    dossier = register_birth(world)
    my_documents.deliver_results(dossier)
    old = result(dossier, "birth_certificate")
    _agency, staff = world["committee"]
    new = services.document_replace(old, staff[Role.HEAD], "Sửa quê quán")
    my_documents.deliver_results(dossier)
    documents = list(
        WalletDocument.objects.filter(owner=world["mother_user"]).values_list("document", flat=True)
    )
    assert documents == [new.pk]


def test_an_agency_never_gives_one_number_to_two_documents(world, extract):
    """Given an issued extract, when another of the agency's documents is given
    the same number by any path (the numbering bypassed), then the database
    refuses it; documents without a number yet (slips) are many."""
    from django.db import IntegrityError, transaction

    other = DossierDocument.objects.create(
        dossier=extract.dossier, kind=DossierDocument.Kind.RESULT, key="copy", title="Bản sao"
    )
    DossierDocument.objects.create(
        dossier=extract.dossier, kind=DossierDocument.Kind.RESULT, key="copy-2", title="Bản sao"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        DossierDocument.objects.filter(pk=other.pk).update(
            issued_by=extract.issued_by, number=extract.number
        )
    # Another agency may use the same number in its own series.
    DossierDocument.objects.filter(pk=other.pk).update(
        issued_by=AgencyFactory(), number=extract.number
    )
