"""The catalog API: /api/v1/procedures/ (public, read-only)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from procedures.models import FormField, RequiredDocument
from tests.factories import AgencyFactory, FieldFactory, ProcedureFactory
from workdays.services import calendar_seed

pytestmark = pytest.mark.django_db


def public(**fields):
    agency = fields.pop("agency", None) or AgencyFactory(code="UBLB", name="UBND phường Long Biên")
    procedure = ProcedureFactory(**fields)
    procedure.offered_by.add(agency)
    return procedure


@pytest.fixture
def five_days(db):
    """A 5-working-day procedure (online and at the counter), and the official calendar."""
    calendar_seed()
    return public(
        code="HN.KD.01", name="Đăng ký thành lập hộ kinh doanh", days_online=5, days_counter=7
    )


def expected(client, code, **params):
    url = reverse("api:procedure-expected-result-date", args=[code])
    return client.get(url, params)


def test_the_list_is_paginated_and_shows_fees_times_and_agencies(client, db):
    ward = AgencyFactory(code="UBLB")
    for i in range(3):
        public(agency=ward, name=f"Thủ tục {i}", fee_online=0, fee_counter=10000)
    public(name="Chưa công bố", is_published=False, agency=ward)
    body = client.get(reverse("api:procedures"), {"limit": 2}).json()
    assert body["count"] == 3
    assert len(body["results"]) == 2 and body["next"]
    first = body["results"][0]
    assert first["online"] == {"working_days": 3, "fee": 0, "available": True}
    assert first["counter"] == {"working_days": 5, "fee": 10000, "available": True}
    assert first["offered_by"] == ["UBLB"]
    assert first["field"]["code"] == "civil-status"
    assert first["url"].endswith(f"/api/v1/procedures/{first['code']}/")


def test_the_list_filters_by_query_field_level_online_level_and_agency(client, db):
    police = AgencyFactory(code="CALB", kind="police")
    birth = public(code="1.001193", name="Đăng ký khai sinh", online_level="full")
    residence = public(
        code="1.004194",
        name="Đăng ký thường trú",
        field=FieldFactory(code="residence", name="Cư trú"),
        agency_kind="police",
        agency=police,
    )
    record = public(
        code="2.000488",
        name="Cấp Phiếu lý lịch tư pháp",
        level="city",
        agency=AgencyFactory(code="STP", kind="department"),
    )

    def codes(**params):
        response = client.get(reverse("api:procedures"), params)
        assert response.status_code == 200, response.json()
        return {r["code"] for r in response.json()["results"]}

    assert codes(q="dang ky khai sinh") == {birth.code}
    assert codes(q="DANG KY") == {birth.code, residence.code}
    assert codes(field="residence") == {residence.code}
    assert codes(level="city") == {record.code}
    assert codes(online_level="full") == {birth.code}
    assert codes(agency="CALB") == {residence.code}
    assert codes(agency="NOPE") == set()


def test_a_bad_filter_value_is_refused_with_a_code(client, db):
    response = client.get(reverse("api:procedures"), {"online_level": "level-4"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and "online_level" in body["data"]


def test_the_detail_has_documents_questions_fees_times_and_offering_agencies(client, db):
    procedure = public(code="1.000656", name="Đăng ký khai tử", fee_counter=5000)
    RequiredDocument.objects.create(
        procedure=procedure, name="Giấy báo tử", originals=1, wallet_kind="death_notice"
    )
    FormField.objects.create(
        procedure=procedure,
        key="nguyen_nhan",
        label="Nguyên nhân",
        kind="choice",
        choices="Bệnh\nTai nạn",
        page=2,
    )
    body = client.get(reverse("api:procedure-detail", args=["1.000656"])).json()
    assert body["name"] == "Đăng ký khai tử"
    assert body["counter"]["fee"] == 5000
    assert body["documents"] == [
        {
            "name": "Giấy báo tử",
            "name_en": "",
            "originals": 1,
            "copies": 0,
            "mandatory": True,
            "wallet_kind": "death_notice",
            "template_url": None,
        }
    ]
    question = body["questions"][0]
    assert (question["key"], question["choices"], question["page"]) == (
        "nguyen_nhan",
        ["Bệnh", "Tai nạn"],
        2,
    )
    assert body["offering_agencies"][0]["code"] == "UBLB"
    assert body["offering_agencies"][0]["unit"]["level"] == "commune"
    assert body["expected_result_date_url"].endswith("/procedures/1.000656/expected-result-date/")
    assert body["page_url"].endswith("/procedures/1.000656/")


def test_an_unknown_or_unpublished_code_is_not_found(client, db):
    hidden = public(is_published=False)
    for code in ("9.999999", hidden.code):
        for name in ("api:procedure-detail", "api:procedure-expected-result-date"):
            response = client.get(reverse(name, args=[code]))
            assert response.status_code == 404
            assert response.json()["code"] == "not_found"


def test_five_working_days_filed_online_on_wednesday_morning_is_due_next_wednesday(
    client, five_days
):
    response = expected(client, "HN.KD.01", submitted_at="2026-03-04T10:00+07:00", channel="online")
    assert response.status_code == 200
    assert response.json() == {
        "code": "HN.KD.01",
        "channel": "online",
        "submitted_at": "2026-03-04T10:00:00+07:00",
        "receipt_day": "2026-03-04",
        "working_days": 5,
        "expected_result_date": "2026-03-11",
    }


def test_after_the_15_00_cut_off_the_clock_starts_the_next_working_day(client, five_days):
    body = expected(client, "HN.KD.01", submitted_at="2026-03-04T15:30+07:00").json()
    assert body["receipt_day"] == "2026-03-05"
    assert body["expected_result_date"] == "2026-03-12"
    # The same instant in UTC gives the same answer.
    body = expected(client, "HN.KD.01", submitted_at="2026-03-04T08:30:00Z").json()
    assert body["expected_result_date"] == "2026-03-12"


def test_a_filing_during_tet_2026_counts_from_23_february(client, five_days):
    body = expected(client, "HN.KD.01", submitted_at="2026-02-17T09:00+07:00").json()
    assert body["receipt_day"] == "2026-02-23"
    assert body["expected_result_date"] == "2026-03-02"


def test_the_counter_channel_uses_the_counter_time(client, five_days):
    body = expected(
        client, "HN.KD.01", submitted_at="2026-03-04T10:00+07:00", channel="counter"
    ).json()
    assert (body["working_days"], body["expected_result_date"]) == (7, "2026-03-13")


def test_an_unencoded_plus_in_the_offset_and_a_time_without_offset_are_read_as_hanoi_time(
    client, five_days
):
    url = reverse("api:procedure-expected-result-date", args=["HN.KD.01"])
    body = client.get(url + "?submitted_at=2026-03-04T10:00+07:00").json()  # "+" becomes " "
    assert body["expected_result_date"] == "2026-03-11"
    body = expected(client, "HN.KD.01", submitted_at="2026-03-04T16:00").json()
    assert body["submitted_at"] == "2026-03-04T16:00:00+07:00"
    assert body["expected_result_date"] == "2026-03-12"


def test_a_bad_date_or_channel_is_refused_with_the_invalid_code(client, five_days):
    for params in (
        {"submitted_at": "yesterday"},
        {"submitted_at": "2026-02-30T10:00+07:00"},
        {"channel": "post"},
    ):
        response = expected(client, "HN.KD.01", **params)
        assert response.status_code == 400, params
        body = response.json()
        assert body["code"] == "invalid"
        assert set(body["data"]) <= {"submitted_at", "channel"} and body["data"]


def test_an_information_only_procedure_cannot_be_filed_online(client, db):
    procedure = public(online_level="info")
    response = expected(client, procedure.code, channel="online")
    assert response.status_code == 400 and "channel" in response.json()["data"]
    assert expected(client, procedure.code, channel="counter").status_code == 200


def test_the_list_costs_the_same_queries_for_3_or_30_procedures(client, db):
    agencies = [AgencyFactory() for _ in range(3)]

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("api:procedures"), {"limit": 100}).status_code == 200
        return len(queries)

    for i in range(3):
        public(agency=agencies[i])
    few = count()
    for _ in range(27):
        procedure = public(agency=agencies[0])
        procedure.offered_by.add(*agencies)
    assert count() == few


def test_the_detail_costs_the_same_queries_with_more_documents_and_questions(client, db):
    procedure = public()

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            url = reverse("api:procedure-detail", args=[procedure.code])
            assert client.get(url).status_code == 200
        return len(queries)

    few = count()
    for i in range(10):
        RequiredDocument.objects.create(procedure=procedure, name=f"Giấy {i}")
        FormField.objects.create(procedure=procedure, key=f"q{i}", label="Câu hỏi", kind="text")
        procedure.offered_by.add(AgencyFactory())
    assert count() == few


def test_the_schema_documents_the_catalog_paths_and_the_root_links_them(client, db):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path in (
        "/api/v1/procedures/",
        "/api/v1/procedures/{code}/",
        "/api/v1/procedures/{code}/expected-result-date/",
    ):
        assert path in schema["paths"], path
    params = {
        p["name"]
        for p in schema["paths"]["/api/v1/procedures/{code}/expected-result-date/"]["get"][
            "parameters"
        ]
    }
    assert {"submitted_at", "channel"} <= params
    assert client.get("/api/v1/").json()["procedures"].endswith("/api/v1/procedures/")
