"""The API for other agencies' systems: API keys, purpose-limited answers,
access log, query budget, throttling and the OpenAPI description."""

import base64
import datetime as dt
import io
import itertools

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from citizens.agency_api.auth import (
    AgencyApiKeyAuthentication,
    agency_credential_for_key,
    agency_credential_issue,
    agency_credential_revoke,
)
from citizens.agency_api.lookup import person_row, person_values
from citizens.agency_api.purposes import PURPOSES
from citizens.agency_api.serialisation import person_payload
from citizens.agency_api.throttling import AgencyCredentialThrottle
from citizens.agency_api.views import AgencyPersonView, AgencyWhoAmIView
from citizens.idnumbers import century_sex_digit
from citizens.models import AccessLog, AgencyApiCredential, Person
from citizens.population import household_create, household_join, person_create, person_update
from egov.errors import ValidationFailed
from tests.factories import PASSWORD, AgencyFactory, WardFactory

pytestmark = pytest.mark.django_db

IDENTITY = {"id_number", "full_name", "birth_date", "sex", "status"}
EXPECTED_FIELDS = {
    "identity_check": IDENTITY,
    "residence": IDENTITY
    | {
        "permanent_address",
        "permanent_unit",
        "current_address",
        "current_unit",
        "household_number",
        "household_members",
        "father_id_number",
        "mother_id_number",
        "spouse_id_number",
    },
    "health_insurance": {
        "id_number",
        "full_name",
        "birth_date",
        "sex",
        "permanent_address",
        "permanent_unit",
        "health_insurance_number",
        "status",
    },
    "civil_status": {
        "id_number",
        "full_name",
        "birth_date",
        "sex",
        "ethnicity",
        "nationality",
        "birth_place",
        "native_place",
        "father_name",
        "father_id_number",
        "mother_name",
        "mother_id_number",
        "spouse_name",
        "spouse_id_number",
        "status",
        "death_date",
    },
}

_serials = itertools.count(100001)


def make_person(*, sex="M", birth_date=dt.date(1990, 5, 17), **fields) -> Person:
    number = (
        f"001{century_sex_digit(sex, birth_date.year)}{birth_date.year % 100:02d}"
        f"{next(_serials):06d}"
    )
    fields.setdefault("full_name", "Nguyễn Văn Thử")
    return person_create(
        actor=None, reason="test", id_number=number, sex=sex, birth_date=birth_date, **fields
    )


def join(household, person, relation):
    return household_join(
        actor=None,
        household=household,
        person=person,
        relation=relation,
        start_date=dt.date(2024, 1, 1),
        reason="test",
    )


@pytest.fixture
def ward():
    return WardFactory(name="Phường Long Biên", code="00100")


@pytest.fixture
def family(ward):
    """A father and mother in one household with their child; the child's
    father is linked, the mother is also linked; the father's mother is only
    known by name."""
    father = make_person(full_name="Trần Văn Bố", mother_name="Lê Thị Bà")
    mother = make_person(sex="F", full_name="Phạm Thị Mẹ", birth_date=dt.date(1992, 3, 3))
    child = make_person(
        full_name="Trần Minh Con",
        birth_date=dt.date(2025, 6, 1),
        father=father,
        mother=mother,
        birth_place="Bệnh viện Phụ sản Hà Nội",
        native_place="Xã Đông Anh, Hà Nội",
        health_insurance_number="TE1010123456789",
        current_address="Số 9 ngõ 1 Nguyễn Văn Cừ",
        current_unit=ward,
    )
    household = household_create(
        actor=None, number="HK-LB-0001", address="Số 9 Nguyễn Văn Cừ", unit=ward, reason="test"
    )
    join(household, father, "head")
    join(household, mother, "spouse")
    join(household, child, "child")
    father.refresh_from_db()
    person_update(person=father, actor=None, changes={"spouse_id": mother.pk}, reason="test")
    return {"father": father, "mother": mother, "child": child, "household": household}


@pytest.fixture
def police():
    return AgencyFactory(code="CALB", name="Công an phường Long Biên")


def issue(agency, purpose):
    return agency_credential_issue(agency=agency, name=f"{purpose} system", purpose=purpose)


def lookup(client, key, id_number, **extra):
    headers = {"HTTP_AUTHORIZATION": f"Api-Key {key}"} if key is not None else {}
    query = extra.pop("query", "")
    url = reverse("api:agency-person", args=[id_number]) + query
    return client.get(url, **headers, **extra)


# --- Purposes ----------------------------------------------------------------------


def test_the_purposes_in_code_are_the_documented_ones():
    assert {code: set(p.fields) for code, p in PURPOSES.items()} == EXPECTED_FIELDS


@pytest.mark.parametrize("purpose", sorted(EXPECTED_FIELDS))
def test_a_lookup_answers_with_exactly_the_fields_of_the_keys_purpose(
    client, family, police, purpose
):
    # given a key for one purpose, when its system looks the child up
    _credential, key = issue(police, purpose)
    response = lookup(client, key, family["child"].id_number)
    # then the answer holds exactly that purpose's fields
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == EXPECTED_FIELDS[purpose]
    assert body["id_number"] == family["child"].id_number
    assert body["birth_date"] == "2025-06-01"


def test_residence_answers_with_addresses_household_and_relatives_ids(client, family, police, ward):
    _credential, key = issue(police, "residence")
    body = lookup(client, key, family["child"].id_number).json()
    assert body["permanent_address"] == "Số 9 Nguyễn Văn Cừ"
    assert body["permanent_unit"] == {"era": "2025", "code": "00100", "name": "Phường Long Biên"}
    assert body["current_unit"]["code"] == "00100"
    assert body["household_number"] == "HK-LB-0001"
    assert sorted((m["id_number"], m["relation"]) for m in body["household_members"]) == sorted(
        [
            (family["father"].id_number, "head"),
            (family["mother"].id_number, "spouse"),
            (family["child"].id_number, "child"),
        ]
    )
    assert body["father_id_number"] == family["father"].id_number
    assert body["mother_id_number"] == family["mother"].id_number
    assert body["spouse_id_number"] is None


def test_a_person_without_household_or_relatives_gets_nulls_not_errors(client, police):
    loner = make_person(full_name="Đỗ Văn Một")
    _credential, key = issue(police, "residence")
    body = lookup(client, key, loner.id_number).json()
    assert body["household_number"] is None
    assert body["household_members"] == []
    assert body["permanent_unit"] is None
    assert body["father_id_number"] is None


def test_civil_status_gives_linked_relatives_names_and_free_text_names(client, family, police):
    _credential, key = issue(police, "civil_status")
    father = lookup(client, key, family["father"].id_number).json()
    assert father["mother_name"] == "Lê Thị Bà"  # not in the database: free text
    assert father["mother_id_number"] is None
    assert father["spouse_name"] == "Phạm Thị Mẹ"
    assert father["spouse_id_number"] == family["mother"].id_number
    assert father["death_date"] is None
    child = lookup(client, key, family["child"].id_number).json()
    assert child["father_name"] == "Trần Văn Bố"
    assert child["ethnicity"] == "01"
    assert child["native_place"] == "Xã Đông Anh, Hà Nội"


def test_a_key_cannot_read_fields_outside_its_purpose(client, family, police):
    # given keys for identity check and health insurance
    _c1, identity_key = issue(police, "identity_check")
    _c2, insurance_key = issue(police, "health_insurance")
    child = family["child"]
    # when the identity-check system reads the child
    identity = lookup(client, identity_key, child.id_number)
    # then nothing of the address, the card or the family is in the answer at all
    for secret in ("Nguyễn Văn Cừ", "TE1010123456789", family["father"].id_number, "HK-LB"):
        assert secret not in identity.content.decode()
    # and social insurance gets the card but not the family or the household
    insurance = lookup(client, insurance_key, child.id_number).json()
    assert insurance["health_insurance_number"] == "TE1010123456789"
    assert family["father"].id_number not in str(insurance)
    assert not {"household_members", "father_id_number", "birth_place"} & set(insurance)


# --- Authentication -----------------------------------------------------------------


def assert_invalid_credentials(response):
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    assert response["WWW-Authenticate"].startswith("Api-Key")


def test_a_missing_or_malformed_authorization_header_is_refused(client, family):
    number = family["child"].id_number
    assert_invalid_credentials(lookup(client, None, number))
    assert_invalid_credentials(lookup(client, "no-dot-in-this-key", number))
    assert_invalid_credentials(
        client.get(reverse("api:agency-person", args=[number]), HTTP_AUTHORIZATION="Bearer abc.def")
    )


def test_a_wrong_secret_or_unknown_prefix_is_refused(client, family, police):
    credential, key = issue(police, "identity_check")
    number = family["child"].id_number
    assert_invalid_credentials(lookup(client, f"{credential.prefix}.wrong-secret", number))
    assert_invalid_credentials(lookup(client, "0000000000." + key.split(".", 1)[1], number))


def test_a_revoked_key_is_refused(client, family, police):
    credential, key = issue(police, "identity_check")
    assert lookup(client, key, family["child"].id_number).status_code == 200
    agency_credential_revoke(credential=credential)
    credential.refresh_from_db()
    assert credential.revoked_at is not None and not credential.is_active
    assert_invalid_credentials(lookup(client, key, family["child"].id_number))


def test_the_credential_read_with_its_own_sql_is_the_orm_record(police):
    credential, key = issue(police, "civil_status")
    found = agency_credential_for_key(key)
    orm = AgencyApiCredential.objects.select_related("agency").get(pk=credential.pk)
    assert found is not None and found.pk == orm.pk
    assert [getattr(found, f.attname) for f in AgencyApiCredential._meta.concrete_fields] == [
        getattr(orm, f.attname) for f in AgencyApiCredential._meta.concrete_fields
    ]
    assert found.agency == police and found.agency.code == "CALB"
    assert found.created_at.tzinfo is not None
    assert not found._state.adding  # a loaded record: saving it updates


def test_a_key_of_an_inactive_agency_is_refused(client, family, police):
    _credential, key = issue(police, "identity_check")
    police.is_active = False
    police.save(update_fields=["is_active"])
    assert_invalid_credentials(lookup(client, key, family["child"].id_number))


def test_a_users_session_or_password_does_not_reach_the_agency_api(client, family, citizen):
    # given a signed-in account (even a superuser)
    citizen.is_superuser = citizen.is_staff = True
    citizen.save()
    client.force_login(citizen)
    # when it calls the agency API without a key, then it is refused
    assert_invalid_credentials(lookup(client, None, family["child"].id_number))
    assert_invalid_credentials(client.get(reverse("api:agency-whoami")))
    # and so is HTTP Basic with the account's password
    basic = base64.b64encode(f"{citizen.email}:{PASSWORD}".encode()).decode()
    response = client.get(
        reverse("api:agency-person", args=[family["child"].id_number]),
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    assert_invalid_credentials(response)
    assert not AccessLog.objects.exists()


def test_only_a_hash_of_the_secret_is_stored(police):
    credential, key = issue(police, "residence")
    prefix, secret = key.split(".", 1)
    assert credential.prefix == prefix
    stored = AgencyApiCredential.objects.get(pk=credential.pk)
    assert secret not in stored.secret_hash
    assert stored.secret_hash.startswith("sha256$")
    assert len(secret) >= 43  # 32 random bytes


def test_an_unknown_purpose_cannot_be_issued(police):
    with pytest.raises(ValidationFailed) as error:
        issue(police, "everything")
    assert error.value.code == "unknown_purpose"


# --- Errors -------------------------------------------------------------------------


def test_an_unknown_id_number_is_404_and_leaves_no_access_log(client, police):
    _credential, key = issue(police, "identity_check")
    response = lookup(client, key, "001090999999")
    assert response.status_code == 404
    assert response.json()["code"] == "person_not_found"
    assert not AccessLog.objects.exists()


@pytest.mark.parametrize(
    ("number", "named_part"),
    [
        ("12345", "12345"),
        ("00109012345X", "12 digits"),
        ("999090123456", "999"),
    ],
)
def test_a_malformed_id_number_is_400_naming_the_wrong_part_without_a_lookup(
    client, police, django_assert_max_num_queries, number, named_part
):
    _credential, key = issue(police, "identity_check")
    with django_assert_max_num_queries(1):  # the credential only
        response = lookup(client, key, number, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_id_number"
    assert named_part in body["message"]
    if number.startswith("999"):
        assert "first 3 digits" in body["message"]
        assert body["data"]["errors"][0]["code"] == "id_province"


def test_a_too_long_dossier_reference_is_refused(client, family, police):
    _credential, key = issue(police, "identity_check")
    response = lookup(client, key, family["child"].id_number, HTTP_X_DOSSIER_REF="X" * 41)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_dossier_ref"
    assert not AccessLog.objects.exists()


# --- Access log ---------------------------------------------------------------------


def test_each_lookup_writes_one_access_log_with_agency_purpose_reason_and_dossier(
    client, family, police
):
    _credential, key = issue(police, "residence")
    child = family["child"]
    # when the police system reads the child's record for a dossier
    response = lookup(
        client,
        key,
        child.id_number,
        HTTP_X_DOSSIER_REF="CALB-260304-0001",
        query="?reason=%C4%90%C4%83ng%20k%C3%BD%20th%C6%B0%E1%BB%9Dng%20tr%C3%BA",
    )
    assert response.status_code == 200
    # then exactly one entry names the agency, the purpose, the reason and the dossier
    entry = AccessLog.objects.get()
    assert entry.person == child
    assert entry.channel == AccessLog.Channel.AGENCY_API
    assert entry.agency == police
    assert entry.actor is None
    assert "[residence]" in entry.purpose
    assert "Đăng ký thường trú" in entry.purpose
    assert entry.dossier_ref == "CALB-260304-0001"
    # and a second call writes a second entry
    lookup(client, key, child.id_number)
    assert AccessLog.objects.filter(person=child).count() == 2
    assert AccessLog.objects.filter(person=child, dossier_ref="").count() == 1


# --- Query budget -------------------------------------------------------------------


@pytest.mark.parametrize("purpose", sorted(EXPECTED_FIELDS))
def test_a_lookup_costs_at_most_three_queries_with_auth_and_access_log(
    client, family, police, django_assert_max_num_queries, purpose
):
    _credential, key = issue(police, purpose)
    with django_assert_max_num_queries(3):
        assert lookup(client, key, family["child"].id_number).status_code == 200


def test_on_postgresql_the_lookup_and_its_access_log_are_one_statement(client, family, police):
    _credential, key = issue(police, "residence")
    with CaptureQueriesContext(connection) as ctx:
        assert (
            lookup(client, key, family["child"].id_number, HTTP_X_DOSSIER_REF="D-1").status_code
            == 200
        )
    # Prepared statements of the session: "PREPARE ... AS <sql>; EXECUTE ..." the
    # first time, "EXECUTE ..." alone after that.
    credential_query, lookup_and_log = (q["sql"] for q in ctx.captured_queries)
    assert "egov_agency_credential" in credential_query
    assert "egov_agency_lookup_residence" in lookup_and_log
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement FROM pg_prepared_statements WHERE name = %s",
            ["egov_agency_lookup_residence"],
        )
        (statement,) = cursor.fetchone()
    assert "INSERT INTO" in statement and "citizens_accesslog" in statement
    entry = AccessLog.objects.get()
    assert (entry.person, entry.agency, entry.dossier_ref) == (family["child"], police, "D-1")
    assert entry.channel == AccessLog.Channel.AGENCY_API and entry.actor is None
    # Once prepared, the statements answer again, and log again.
    assert lookup(client, key, family["child"].id_number).status_code == 200
    assert AccessLog.objects.count() == 2


def test_without_prepared_statements_the_lookup_costs_the_same_queries(
    client, family, police, settings
):
    settings.EGOV_DB_PREPARED_STATEMENTS = False
    _credential, key = issue(police, "identity_check")
    with CaptureQueriesContext(connection) as ctx:
        assert lookup(client, key, family["child"].id_number).status_code == 200
    credential_query, lookup_and_log = (q["sql"] for q in ctx.captured_queries)
    assert "citizens_agencyapicredential" in credential_query
    assert "INSERT INTO" in lookup_and_log and "citizens_accesslog" in lookup_and_log
    assert AccessLog.objects.get().person == family["child"]


def test_a_residence_lookup_costs_the_same_queries_for_a_big_household(client, family, ward):
    _credential, key = issue(AgencyFactory(), "residence")
    big = household_create(
        actor=None, number="HK-LB-0002", address="Số 1 Ngọc Lâm", unit=ward, reason="test"
    )
    head = make_person(full_name="Ngô Văn Chủ")
    join(big, head, "head")
    for i in range(40):
        join(
            big,
            make_person(full_name=f"Ngô Văn Cháu {i}", birth_date=dt.date(2001, 1, 1)),
            "grandchild",
        )

    def queries_for(person):
        with CaptureQueriesContext(connection) as ctx:
            body = lookup(client, key, person.id_number).json()
        return len(ctx.captured_queries), body

    small_count, small = queries_for(family["child"])
    big_count, large = queries_for(head)
    assert len(small["household_members"]) == 3
    assert len(large["household_members"]) == 41
    assert small_count == big_count <= 3


def test_without_postgresql_the_household_costs_one_more_query_but_the_same_answer(
    client, family, police, monkeypatch
):
    # the SQLite demo has no JSONB_AGG: the household is read in a second query
    _credential, key = issue(police, "residence")
    in_query = lookup(client, key, family["child"].id_number).json()
    monkeypatch.setattr("citizens.agency_api.lookup._household_in_query", lambda alias: False)
    with CaptureQueriesContext(connection) as ctx:
        separate = lookup(client, key, family["child"].id_number).json()
    assert len(ctx.captured_queries) == 4
    assert separate == in_query


@pytest.mark.parametrize("purpose", sorted(EXPECTED_FIELDS))
def test_the_sql_compiled_once_answers_like_the_orm_query(family, purpose):
    number = family["child"].id_number
    orm_row = list(person_values(purpose=purpose, id_number=number, household_in_query=True))[0]
    row = person_row(id_number=number, purpose=purpose)
    assert row is not None and set(row) == set(orm_row)
    assert person_payload(row, purpose) == person_payload(orm_row, purpose)


def test_whoami_tells_the_agency_purpose_and_fields_in_one_query(
    client, police, django_assert_max_num_queries
):
    _credential, key = issue(police, "health_insurance")
    with django_assert_max_num_queries(1):
        response = client.get(reverse("api:agency-whoami"), HTTP_AUTHORIZATION=f"Api-Key {key}")
    body = response.json()
    assert body["agency_code"] == "CALB"
    assert body["purpose"] == "health_insurance"
    assert set(body["fields"]) == EXPECTED_FIELDS["health_insurance"]
    assert body["credential_name"] == "health_insurance system"


# --- Throttling ---------------------------------------------------------------------


def test_a_key_is_throttled_after_its_rate_and_others_are_not(
    client, family, police, settings, monkeypatch
):
    settings.EGOV_AGENCY_API_RATE = "2/min"
    # one fixed moment, so the test never straddles two windows
    monkeypatch.setattr(AgencyCredentialThrottle, "timer", staticmethod(lambda: 1_800_000_030.0))
    _c1, key = issue(police, "identity_check")
    _c2, other_key = issue(police, "identity_check")
    number = family["child"].id_number
    assert lookup(client, key, number).status_code == 200
    assert lookup(client, key, number).status_code == 200
    response = lookup(client, key, number)
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert response["Retry-After"] == "30"
    assert lookup(client, other_key, number).status_code == 200
    assert AccessLog.objects.count() == 3  # the throttled call read nothing


def test_the_throttle_counter_expires_after_its_window(client, family, police, settings):
    from django.core.cache import cache

    settings.EGOV_AGENCY_API_RATE = "100/min"
    credential, key = issue(police, "identity_check")
    number = family["child"].id_number
    for _ in range(3):
        assert lookup(client, key, number).status_code == 200
    window = int(AgencyCredentialThrottle.timer() // 60)
    name = f"throttle_agency_api_{credential.pk}_{window}"
    assert cache.get(name) == 3  # a counter Django's cache reads as well
    ttl = cache._cache.get_client(write=False).ttl(cache.make_and_validate_key(name))
    assert 0 < ttl <= 61


def test_at_a_high_rate_a_process_adds_its_requests_to_the_counter_in_batches(
    client, family, police, settings
):
    from django.core.cache import cache

    settings.EGOV_AGENCY_API_RATE = "1000/min"  # batches of 10
    credential, key = issue(police, "identity_check")
    number = family["child"].id_number
    for _ in range(25):
        assert lookup(client, key, number).status_code == 200
    window = int(AgencyCredentialThrottle.timer() // 60)
    assert cache.get(f"throttle_agency_api_{credential.pk}_{window}") == 20  # 5 not yet added
    assert AccessLog.objects.count() == 25


def test_a_batched_rate_still_stops_at_its_limit(client, family, police, settings, monkeypatch):
    settings.EGOV_AGENCY_API_RATE = "200/min"  # batches of 2
    monkeypatch.setattr(AgencyCredentialThrottle, "timer", staticmethod(lambda: 1_800_000_030.0))
    _credential, key = issue(police, "identity_check")
    number = family["child"].id_number
    statuses = [lookup(client, key, number).status_code for _ in range(202)]
    assert statuses == [200] * 200 + [429, 429]


def test_without_redis_the_throttle_counts_in_the_configured_cache(
    client, family, police, settings
):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.EGOV_AGENCY_API_RATE = "1/min"
    _credential, key = issue(police, "identity_check")
    number = family["child"].id_number
    assert lookup(client, key, number).status_code == 200
    assert lookup(client, key, number).status_code == 429


# --- The lean path (no session middleware) ----------------------------------------


def test_the_agency_api_skips_the_session_middleware_but_keeps_headers_and_language(
    client, family, police
):
    _credential, key = issue(police, "identity_check")
    response = lookup(client, key, family["child"].id_number)
    assert response.status_code == 200
    assert not hasattr(response.wsgi_request, "session")  # the lean path answered
    assert response.wsgi_request.resolver_match.view_name == "api:agency-person"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Language"] == "vi"
    assert "Accept-Language" in response["Vary"]
    assert int(response["Content-Length"]) == len(response.content)
    assert "Set-Cookie" not in response
    english = lookup(client, key, "12345", HTTP_ACCEPT_LANGUAGE="en")
    assert english["Content-Language"] == "en"
    assert "12 digits" in english.json()["message"]


def test_the_agency_api_answers_json_whatever_the_accept_header(client, family, police):
    _credential, key = issue(police, "identity_check")
    response = lookup(client, key, family["child"].id_number, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["id_number"] == family["child"].id_number


def test_an_agency_path_without_its_slash_is_redirected_as_elsewhere(client):
    response = client.get("/api/v1/agency/whoami")
    assert response.status_code == 301
    assert response["Location"] == "/api/v1/agency/whoami/"


def test_other_api_paths_keep_the_full_middleware(client):
    response = client.get("/api/v1/agency-not-really/")
    assert hasattr(response.wsgi_request, "session")


def test_agency_endpoints_use_only_their_own_key_throttle():
    # not the project-wide anonymous/user rates: an agency's system is keyed by its credential
    for view in (AgencyPersonView, AgencyWhoAmIView):
        assert view.throttle_classes == [AgencyCredentialThrottle]
        assert view.authentication_classes == [AgencyApiKeyAuthentication]


# --- Management command and schema ---------------------------------------------------


def test_issue_agency_key_prints_a_working_key_once(client, police):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "issue_agency_key",
        agency="calb",
        purpose="residence",
        name="Phần mềm cư trú",
        stdout=out,
        stderr=err,
    )
    key = out.getvalue().strip()
    credential = AgencyApiCredential.objects.get()
    assert key.startswith(credential.prefix + ".")
    assert credential.purpose == "residence" and credential.agency == police
    assert "only once" in err.getvalue()
    response = client.get(reverse("api:agency-whoami"), HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert response.json()["purpose"] == "residence"


def test_issue_agency_key_refuses_an_unknown_agency(db):
    with pytest.raises(CommandError):
        call_command(
            "issue_agency_key", agency="NOPE", purpose="residence", name="x", stdout=io.StringIO()
        )


def test_the_schema_describes_the_agency_api_and_its_key_scheme(client, citizen):
    client.force_login(citizen)  # a fresh account: not subject to the shared anonymous rate
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    path = schema["paths"]["/api/v1/agency/persons/{id_number}/"]["get"]
    assert path["security"] == [{"ApiKeyAuth": []}]
    assert {"200", "400", "401", "404", "429"} <= set(path["responses"])
    assert {p["name"] for p in path["parameters"]} >= {"id_number", "X-Dossier-Ref", "reason"}
    scheme = schema["components"]["securitySchemes"]["ApiKeyAuth"]
    assert scheme == {**scheme, "type": "apiKey", "in": "header", "name": "Authorization"}
    person = schema["components"]["schemas"]["AgencyPerson"]
    assert "required" not in person
    assert set(person["properties"]) == set().union(*EXPECTED_FIELDS.values())
    assert "/api/v1/agency/whoami/" in schema["paths"]
