"""The citizen's own space: linking an account, my record and its access log,
my minor children's records, correction requests.

Pages are read in English (language cookie) so the assertions can name the
messages; the Vietnamese translation is checked by the browser tests.
"""

import datetime as dt
import re
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from citizens import population
from citizens.forms_me import CORRECTION_LABELS, correction_initial
from citizens.models import AccessLog, CorrectionRequest, IdentityLink, Person, Role
from tests.conftest import enrol_totp
from tests.factories import (
    AgencyFactory,
    MembershipFactory,
    PersonFactory,
    UserFactory,
    WardFactory,
)

pytestmark = pytest.mark.django_db

with translation.override("en"):
    LINK_FAILED = str(population.LinkFailed.default_message)
    LINK_LOCKED = str(population.LinkLocked.default_message)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


@pytest.fixture(autouse=True)
def _clean_cache():
    """Link failures are counted in Redis; start every test with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def years_ago(years: int, month: int = 1, day: int = 15) -> dt.date:
    return dt.date(timezone.localdate().year - years, month, day)


def make_family() -> dict:
    """A father (the account holder, not linked yet) in a household with his wife
    and their 5-year-old daughter; an adult son living elsewhere."""
    ward = WardFactory(name="Phường Hoàn Kiếm")
    father = PersonFactory(full_name="Nguyễn Văn An", sex="M", birth_date=dt.date(1980, 2, 3))
    mother = PersonFactory(full_name="Trần Thị Bình", sex="F", birth_date=dt.date(1982, 5, 6))
    Person.objects.filter(pk=father.pk).update(spouse=mother)
    Person.objects.filter(pk=mother.pk).update(spouse=father)
    minor = PersonFactory(
        full_name="Nguyễn Minh Châu", sex="F", birth_date=years_ago(5), father=father, mother=mother
    )
    adult = PersonFactory(
        full_name="Nguyễn Văn Dũng", sex="M", birth_date=years_ago(20), father=father, mother=mother
    )
    household = population.household_create(
        actor=None, number="HK-000123", address="Số 5 phố Huế", unit=ward, reason="test"
    )
    for person, relation in ((father, "head"), (mother, "spouse"), (minor, "child")):
        population.household_join(
            actor=None,
            household=household,
            person=person,
            relation=relation,
            start_date=dt.date(2021, 1, 1),
            reason="test",
        )
    user = UserFactory(full_name="Nguyễn Văn An")
    return {
        "user": user,
        "father": Person.objects.get(pk=father.pk),
        "mother": Person.objects.get(pk=mother.pk),
        "minor": Person.objects.get(pk=minor.pk),
        "adult": adult,
        "household": household,
        "ward": ward,
    }


@pytest.fixture
def family(db):
    return make_family()


@pytest.fixture
def linked(family):
    IdentityLink.objects.create(
        user=family["user"], person=family["father"], level=1, method="self"
    )
    return family


def link_data(person, **overrides):
    data = {
        "id_number": person.id_number,
        "full_name": person.full_name,
        "birth_date_day": str(person.birth_date.day),
        "birth_date_month": str(person.birth_date.month),
        "birth_date_year": str(person.birth_date.year),
    }
    data.update(overrides)
    return data


def error_summary(response) -> str:
    match = re.search(r'<div class="error-summary".*?</ul>', response.text, re.S)
    assert match, "the page has an error summary"
    return match.group(0)


def correction_data(person, document=None, **changes):
    """The correction form as the browser sends it: every box prefilled."""
    values = correction_initial(person)
    values.update(changes)
    birth_date = values.pop("birth_date")
    data = {k: "" if v is None else v for k, v in values.items()}
    data.update(
        birth_date_day=str(birth_date.day),
        birth_date_month=str(birth_date.month),
        birth_date_year=str(birth_date.year),
        reason="Tên bị viết sai dấu; giấy khai sinh ghi đúng.",
    )
    if document is not None:
        data["document"] = document
    return data


def staff_reads(person, *, agency, role=Role.CLERK, purpose, dossier_ref=""):
    official = MembershipFactory(agency=agency, role=role).user
    return population.access_log_write(
        person=person,
        channel=AccessLog.Channel.STAFF_UI,
        actor=official,
        agency=agency,
        purpose=purpose,
        dossier_ref=dossier_ref,
    )


# --- Anonymous visitors --------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/me/link/",
        "/me/record/",
        "/me/record/correction/",
        f"/me/children/{uuid.uuid4()}/",
        f"/me/children/{uuid.uuid4()}/correction/",
        f"/me/corrections/{uuid.uuid4()}/",
    ],
)
def test_an_anonymous_visitor_is_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


# --- Linking -------------------------------------------------------------------------


def test_linking_with_matching_details_links_at_level_1_and_shows_the_record(client, family):
    """Given a record, when its holder enters ID, name (without accents) and date of
    birth, then the account is linked at level 1 and the record page opens."""
    client.force_login(family["user"])
    response = client.post(
        "/me/link/", link_data(family["father"], full_name="nguyen van an"), follow=True
    )
    assert response.redirect_chain[-1][0] == "/me/record/"
    link = IdentityLink.objects.get(user=family["user"])
    assert (link.person, link.level, link.method) == (family["father"], 1, "self")
    assert "Your account is now linked" in response.text
    assert family["father"].id_number in response.text


def test_a_wrong_name_and_an_unknown_number_get_the_same_answer(client, family):
    """The answer never tells whether a number exists; what was typed is kept."""
    client.force_login(family["user"])
    wrong_name = client.post("/me/link/", link_data(family["father"], full_name="Lê Văn Khác"))
    unknown = client.post(
        "/me/link/", link_data(family["father"], id_number="001080999999", full_name="Lê Văn Khác")
    )
    assert wrong_name.status_code == unknown.status_code == 200
    assert LINK_FAILED in wrong_name.text
    assert error_summary(wrong_name) == error_summary(unknown)
    assert 'value="Lê Văn Khác"' in unknown.text
    assert 'value="001080999999"' in unknown.text
    assert 'name="birth_date_year" value="1980"' in unknown.text
    assert not IdentityLink.objects.exists()


def test_after_five_failures_even_the_right_details_are_locked_out(client, family):
    client.force_login(family["user"])
    for _ in range(population.LINK_MAX_FAILURES):
        response = client.post("/me/link/", link_data(family["father"], full_name="Ai Đó"))
        assert LINK_FAILED in response.text
    response = client.post("/me/link/", link_data(family["father"]))
    assert response.status_code == 200
    assert LINK_LOCKED in response.text
    assert LINK_FAILED not in response.text
    assert not IdentityLink.objects.exists()


def test_a_record_linked_to_one_account_cannot_be_taken_by_another(client, linked):
    intruder = UserFactory(email="ke-gian@example.vn")
    client.force_login(intruder)
    response = client.post("/me/link/", link_data(linked["father"]))
    assert LINK_FAILED in response.text
    assert not IdentityLink.objects.filter(user=intruder).exists()
    assert IdentityLink.objects.get(person=linked["father"]).user == linked["user"]


def test_an_impossible_date_or_a_short_number_is_explained_next_to_the_field(client, family):
    client.force_login(family["user"])
    response = client.post(
        "/me/link/",
        link_data(family["father"], id_number="12345", birth_date_day="31", birth_date_month="2"),
    )
    assert "A personal identification number has exactly 12 digits." in response.text
    assert "Date of birth must be a real date" in response.text
    assert 'href="#id_birth_date_day"' in error_summary(response)
    assert cache.get(f"egov:link-fail:user:{family['user'].pk}") is None, "not an attempt"


def test_a_linked_account_going_to_the_link_page_is_sent_to_its_record(client, linked):
    client.force_login(linked["user"])
    response = client.get("/me/link/")
    assert response.status_code == 302
    assert response["Location"] == "/me/record/"


def test_the_link_page_offers_the_identity_provider_only_when_one_is_configured(
    client, family, settings
):
    client.force_login(family["user"])
    response = client.get("/me/link/")
    assert "one-stop counter" in response.text
    assert "/accounts/oidc/" not in response.text

    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "APPS": [
                {
                    "provider_id": settings.OIDC_PROVIDER_ID,
                    "name": "VNeID",
                    "client_id": "portal",
                    "secret": "s",
                    "settings": {"server_url": "http://127.0.0.1:9/"},
                }
            ]
        }
    }
    response = client.get("/me/link/")
    form = re.search(
        rf'<form[^>]*action="/accounts/oidc/{settings.OIDC_PROVIDER_ID}/login/"[^>]*>(.*?)</form>',
        response.text,
        re.S,
    )
    assert form, "a POST form to allauth's connect URL"
    assert 'method="post"' in form.group(0)
    assert 'name="process" value="connect"' in form.group(1)
    assert "Verify with VNeID" in form.group(1)


def test_the_verify_button_raises_the_link_to_level_2_through_the_provider(
    client, linked, settings
):
    """Given a level-1 account and a configured identity provider, when the citizen
    presses "Verify with ..." on their record and the provider vouches for their ID
    number, then they come back to their record at level 2."""
    from urllib.parse import parse_qs, urlparse

    from tests.oidc_server import FakeIdentityProvider

    claims = {"sub": "vneid-77", "personal_id": linked["father"].id_number}
    with FakeIdentityProvider(claims) as provider:
        settings.SOCIALACCOUNT_PROVIDERS = {
            "openid_connect": {
                "OAUTH_PKCE_ENABLED": True,
                "APPS": [
                    {
                        "provider_id": settings.OIDC_PROVIDER_ID,
                        "name": "VNeID",
                        "client_id": "portal",
                        "secret": "s3cret",
                        "settings": {"server_url": provider.url, "fetch_userinfo": True},
                    }
                ],
            }
        }
        client.force_login(linked["user"])
        page = client.get("/me/record/").text
        form = re.search(r'<form[^>]*action="(/accounts/oidc/[^"]+)"[^>]*>(.*?)</form>', page, re.S)
        assert form, "level 1: the record page offers the provider"
        fields = dict(
            re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form.group(2))
        )
        fields.pop("csrfmiddlewaretoken", None)
        response = client.post(form.group(1), fields)
        assert response.status_code == 302
        state = parse_qs(urlparse(response["Location"]).query)["state"][0]
        response = client.get(
            f"/accounts/oidc/{settings.OIDC_PROVIDER_ID}/login/callback/",
            {"code": "auth-code-1", "state": state},
        )
    assert response.status_code == 302
    assert response["Location"] == "/me/record/"
    assert IdentityLink.objects.get(user=linked["user"]).level == 2
    assert "Identity level 2" in client.get("/me/record/").text


# --- My record -----------------------------------------------------------------------


def test_without_a_link_my_record_points_to_the_link_page(client, family):
    client.force_login(family["user"])
    response = client.get("/me/record/")
    assert response.status_code == 200
    assert 'href="/me/link/"' in response.text
    assert family["father"].id_number not in response.text


def test_a_citizen_sees_their_record_household_and_family(client, linked):
    client.force_login(linked["user"])
    response = client.get("/me/record/")
    text = response.text
    assert response.status_code == 200
    father, mother, minor, adult = (linked[k] for k in ("father", "mother", "minor", "adult"))
    for value in (father.id_number, "Nguyễn Văn An", "Kinh", "Số 5 phố Huế", "Phường Hoàn Kiếm"):
        assert value in text
    assert "Identity level 1" in text
    assert "HK-000123" in text
    # Household members: names, birth years and relation only.
    assert "Trần Thị Bình" in text and "1982" in text
    assert "Nguyễn Minh Châu" in text and str(minor.birth_date.year) in text
    assert mother.id_number not in text and minor.id_number not in text
    # Minor children link to their record, adult children do not.
    assert f'href="/me/children/{minor.pk}/"' in text
    assert "Nguyễn Văn Dũng" in text
    assert f"/me/children/{adult.pk}/" not in text
    # "Report an error" next to the details.
    assert 'href="/me/record/correction/"' in text


def test_a_citizen_sees_who_looked_at_their_record_and_only_that(client, linked):
    """Given reads of my record and of someone else's by officials, when I open my
    record, then I see mine with agency, role, purpose and dossier, and my own
    visit is not logged."""
    agency = AgencyFactory(code="UBHK", name="UBND phường Hoàn Kiếm")
    entry = staff_reads(
        linked["father"],
        agency=agency,
        purpose="Kiểm tra hồ sơ đăng ký khai sinh",
        dossier_ref="UBHK-260304-0007",
    )
    stranger = PersonFactory(full_name="Phạm Thị Lạ")
    staff_reads(
        stranger, agency=agency, purpose="Việc của người khác", dossier_ref="UBHK-260304-0099"
    )
    client.force_login(linked["user"])
    before = AccessLog.objects.count()
    response = client.get("/me/record/")
    text = response.text
    assert "Kiểm tra hồ sơ đăng ký khai sinh" in text
    assert "UBHK-260304-0007" in text
    assert "UBND phường Hoàn Kiếm" in text
    assert "One-stop clerk" in text
    assert entry.actor.email not in text, "the official's personal email is not shown"
    assert "Việc của người khác" not in text and "UBHK-260304-0099" not in text
    assert AccessLog.objects.count() == before, "the data subject's own reads are not logged"


def test_an_agency_systems_read_names_the_agency(client, linked):
    police = AgencyFactory(code="CAHK", name="Công an phường Hoàn Kiếm", kind="police")
    population.access_log_write(
        person=linked["father"],
        channel=AccessLog.Channel.AGENCY_API,
        agency=police,
        purpose="Đăng ký thường trú",
        dossier_ref="CAHK-260304-0001",
    )
    client.force_login(linked["user"])
    text = client.get("/me/record/").text
    assert "Công an phường Hoàn Kiếm" in text
    assert "Agency system" in text
    assert "CAHK-260304-0001" in text


def test_the_access_log_is_shown_25_entries_a_page(client, linked):
    agency = AgencyFactory()
    for n in range(30):
        staff_reads(linked["father"], agency=agency, purpose=f"Lượt đọc số {n}")
    client.force_login(linked["user"])
    first = client.get("/me/record/")
    second = client.get("/me/record/?page=2")
    assert first.text.count('class="access-log__entry"') == 25
    assert second.text.count('class="access-log__entry"') == 5
    assert "Lượt đọc số 29" in first.text  # newest first
    assert "Lượt đọc số 0<" in second.text
    assert 'href="?page=2#access-log"' in first.text


def grow(linked, *, log_entries: int, members: int, children: int, corrections: int):
    agency = AgencyFactory()
    for n in range(log_entries):
        staff_reads(linked["father"], agency=agency, purpose=f"Lượt đọc {n}", dossier_ref=f"D{n}")
    population.access_log_write(
        person=linked["father"],
        channel=AccessLog.Channel.AGENCY_API,
        agency=agency,
        purpose="API",
    )
    for n in range(members):
        member = PersonFactory(full_name=f"Thành Viên {n}")
        population.household_join(
            actor=None,
            household=linked["household"],
            person=member,
            relation="other",
            start_date=dt.date(2022, 1, 1),
            reason="test",
        )
    for n in range(children):
        PersonFactory(
            full_name=f"Con {n}", sex="M", birth_date=years_ago(3 + n), father=linked["father"]
        )
    for n in range(corrections):
        CorrectionRequest.objects.create(
            person=linked["father"],
            changes={"religion": f"Tôn giáo {n}"},
            reason="test",
            requested_by=linked["user"],
        )


def queries_for(client, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured)


def test_my_record_costs_the_same_queries_however_many_rows_there_are(
    client, linked, django_assert_max_num_queries
):
    client.force_login(linked["user"])
    grow(linked, log_entries=2, members=1, children=0, corrections=1)
    baseline = queries_for(client, "/me/record/")
    grow(linked, log_entries=40, members=6, children=4, corrections=30)
    with django_assert_max_num_queries(baseline):
        response = client.get("/me/record/")
    assert response.text.count('class="access-log__entry"') == 25
    with django_assert_max_num_queries(baseline):
        client.get("/me/record/?page=2")


def test_a_childs_record_costs_the_same_queries_however_many_rows_there_are(
    client, linked, django_assert_max_num_queries
):
    client.force_login(linked["user"])
    minor = linked["minor"]
    path = f"/me/children/{minor.pk}/"
    agency = AgencyFactory()
    staff_reads(minor, agency=agency, purpose="Đọc lần đầu")
    baseline = queries_for(client, path)
    for n in range(30):
        staff_reads(minor, agency=agency, purpose=f"Đọc {n}")
    with django_assert_max_num_queries(baseline):
        client.get(path)


# --- My children ---------------------------------------------------------------------


def test_a_parent_sees_a_minor_childs_record_and_the_read_is_logged(client, linked):
    client.force_login(linked["user"])
    minor = linked["minor"]
    response = client.get(f"/me/children/{minor.pk}/")
    assert response.status_code == 200
    assert minor.id_number in response.text
    assert "Nguyễn Minh Châu" in response.text
    assert f'href="/me/children/{minor.pk}/correction/"' in response.text
    entry = AccessLog.objects.get(person=minor)
    assert entry.channel == AccessLog.Channel.GUARDIAN
    assert entry.actor == linked["user"]
    assert entry.purpose == "Parent viewing a minor child's record"


def test_no_other_record_can_be_opened_as_a_child_and_nothing_is_revealed(client, linked):
    """Another person, someone else's child, one's own adult child and an unknown
    id all answer 404, and nothing is logged."""
    stranger = PersonFactory(full_name="Phạm Văn Lạ", sex="M", birth_date=dt.date(1979, 1, 1))
    strangers_child = PersonFactory(
        full_name="Phạm Văn Bé", sex="M", birth_date=years_ago(4), father=stranger
    )
    client.force_login(linked["user"])
    for person_id in (
        stranger.pk,
        strangers_child.pk,
        linked["adult"].pk,
        linked["father"].pk,
        uuid.uuid4(),
    ):
        assert client.get(f"/me/children/{person_id}/").status_code == 404
        assert client.get(f"/me/children/{person_id}/correction/").status_code == 404
    assert not AccessLog.objects.exists()


def test_an_unlinked_account_cannot_open_any_childs_record(client, family):
    client.force_login(family["user"])
    assert client.get(f"/me/children/{family['minor'].pk}/").status_code == 404


def test_a_deceased_child_is_not_opened(client, linked):
    minor = linked["minor"]
    Person.objects.filter(pk=minor.pk).update(status="deceased", death_date=years_ago(1))
    client.force_login(linked["user"])
    assert client.get(f"/me/children/{minor.pk}/").status_code == 404


# --- Corrections ---------------------------------------------------------------------


@pytest.fixture
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }
    return tmp_path / "private"


def test_the_correction_form_is_prefilled_with_the_record(client, linked):
    client.force_login(linked["user"])
    response = client.get("/me/record/correction/")
    assert response.status_code == 200
    assert 'value="Nguyễn Văn An"' in response.text
    assert 'name="birth_date_year" value="1980"' in response.text
    assert 'value="Trần Thị Bình"' in response.text  # spouse linked by record, shown by name
    assert 'enctype="multipart/form-data"' in response.text


def test_a_correction_with_a_pdf_sends_only_the_changed_detail_and_stores_it_privately(
    client, linked, private_storage
):
    client.force_login(linked["user"])
    document = SimpleUploadedFile("giấy khai sinh.pdf", PDF, content_type="application/pdf")
    response = client.post(
        "/me/record/correction/",
        correction_data(linked["father"], document=document, full_name="Nguyễn Văn Ân"),
    )
    correction = CorrectionRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/me/corrections/{correction.pk}/"
    assert correction.changes == {"full_name": "Nguyễn Văn Ân"}
    assert correction.requested_by == linked["user"]
    assert correction.person == linked["father"]
    assert correction.status == CorrectionRequest.Status.PENDING
    # Stored under the private storage with a random name, never at a public URL.
    name = correction.document.name
    assert name.startswith("corrections/") and name.endswith(".pdf")
    assert "khai" not in name
    stored = Path(private_storage) / name
    assert stored.read_bytes() == PDF
    assert not stored.resolve().is_relative_to(Path(settings.STATIC_ROOT).resolve())
    public = "/" + correction.document.storage.url(name).lstrip("/")
    assert client.get(public).status_code == 404, "no URL serves the private files"

    confirmation = client.get(response["Location"])
    reference = f"CR-{str(correction.pk)[:8]}"
    assert reference in confirmation.text
    assert "Nguyễn Văn Ân" in confirmation.text
    record = client.get("/me/record/")
    assert reference in record.text
    assert "Awaiting decision" in record.text


def test_a_renamed_executable_is_refused_next_to_the_field_and_the_rest_is_kept(
    client, linked, private_storage
):
    client.force_login(linked["user"])
    document = SimpleUploadedFile("giay-to.pdf", EXECUTABLE, content_type="application/pdf")
    data = correction_data(linked["father"], document=document, religion="Phật giáo")
    data["reason"] = "Tôn giáo ghi thiếu."
    response = client.post("/me/record/correction/", data)
    assert response.status_code == 200
    error = re.search(r'<p class="error-message" id="id_document_error">(.*?)</p>', response.text)
    assert error and "Only PDF, JPEG and PNG files can be uploaded." in error.group(1)
    assert 'href="#id_document"' in error_summary(response)
    assert 'value="Phật giáo"' in response.text
    assert "Tôn giáo ghi thiếu." in response.text
    assert "Choose it again." in response.text, "the citizen is told the file was not kept"
    assert not CorrectionRequest.objects.exists()
    assert not any(Path(private_storage).rglob("*.*"))


def test_a_correction_needs_a_change_a_reason_and_a_document(client, linked):
    client.force_login(linked["user"])
    unchanged = correction_data(
        linked["father"],
        document=SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf"),
    )
    response = client.post("/me/record/correction/", unchanged)
    assert "Change at least one detail that is wrong." in response.text

    data = correction_data(linked["father"], native_place="Hà Nam")
    data["reason"] = ""
    response = client.post("/me/record/correction/", data)
    assert "Explain what is wrong." in response.text
    assert "Choose a supporting document." in response.text
    assert not CorrectionRequest.objects.exists()


def test_a_parent_asks_for_a_correction_of_a_minor_childs_record(client, linked, private_storage):
    client.force_login(linked["user"])
    minor = linked["minor"]
    form = client.get(f"/me/children/{minor.pk}/correction/")
    assert form.status_code == 200
    assert AccessLog.objects.filter(person=minor, channel="guardian").count() == 1
    document = SimpleUploadedFile("khai-sinh.pdf", PDF, content_type="application/pdf")
    response = client.post(
        f"/me/children/{minor.pk}/correction/",
        correction_data(minor, document=document, full_name="Nguyễn Minh Trâu"),
    )
    correction = CorrectionRequest.objects.get()
    assert response["Location"] == f"/me/corrections/{correction.pk}/"
    assert (correction.person, correction.requested_by) == (minor, linked["user"])
    assert correction.changes == {"full_name": "Nguyễn Minh Trâu"}


def test_someone_elses_correction_request_is_not_shown(client, linked):
    other = UserFactory()
    correction = CorrectionRequest.objects.create(
        person=linked["father"], changes={"religion": "x"}, reason="r", requested_by=other
    )
    client.force_login(linked["user"])
    assert client.get(f"/me/corrections/{correction.pk}/").status_code == 404


def test_the_correction_form_labels_every_correctable_field():
    assert set(CORRECTION_LABELS) == set(population.CORRECTABLE_FIELDS)


# --- My space overview ---------------------------------------------------------------


def test_my_space_invites_an_unlinked_citizen_to_link(client, family):
    client.force_login(family["user"])
    response = client.get("/me/")
    assert 'href="/me/link/"' in response.text
    assert "Off" in response.text  # two-step verification


def test_my_space_shows_the_identity_level_children_and_two_step_status(client, linked):
    enrol_totp(linked["user"])
    client.force_login(linked["user"])
    response = client.get("/me/")
    text = response.text
    assert "Identity level 1" in text
    assert 'href="/me/record/"' in text
    assert f'href="/me/children/{linked["minor"].pk}/"' in text
    assert f"/me/children/{linked['adult'].pk}/" not in text
    mfa = re.search(r'id="mfa-status".*?</section>', text, re.S).group(0)
    assert "tag--green" in mfa
