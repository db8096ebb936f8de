"""The staff API of the one-stop back office: list, retrieve, actions, errors."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from citizens.models import Role
from onecounter.models import DossierStatus as S
from tests.conftest import enrol_totp
from tests.factories import AgencyFactory, MembershipFactory, ProcedureFactory
from tests.test_queues import make, make_office

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(db):
    return make_office()


BASE = "/api/v1/back-office/agencies/UBLB/dossiers/"


def post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


def test_the_list_is_filtered_and_paginated(client, office):
    _agency, staff = office
    submitted = make(office, S.SUBMITTED)
    late = make(office, S.IN_PROCESSING, due_date=timezone.localdate() - dt.timedelta(days=2))
    make(office, S.PROPOSED)
    client.force_login(staff[Role.CLERK])
    body = client.get(BASE).json()
    assert body["count"] == 3
    row = next(r for r in body["results"] if r["code"] == late.code)
    assert row["late"] is True and row["due_soon"] is False
    assert row["status"] == S.IN_PROCESSING
    assert row["assigned_to"]["id"] == str(staff[Role.OFFICER].pk)
    assert row["url"].endswith(f"{BASE}{late.pk}/")
    assert [r["code"] for r in client.get(BASE, {"status": "submitted"}).json()["results"]] == [
        submitted.code
    ]
    assert [r["code"] for r in client.get(BASE, {"late": "true"}).json()["results"]] == [late.code]
    assert client.get(BASE, {"view": "to_receive"}).json()["count"] == 1
    assert client.get(BASE, {"q": submitted.code}).json()["count"] == 1
    page = client.get(BASE, {"limit": 2}).json()
    assert len(page["results"]) == 2 and page["next"]


def test_a_bad_filter_is_a_400_with_the_error_shape(client, office):
    client.force_login(office[1][Role.CLERK])
    response = client.get(BASE, {"status": "nonsense"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "status" in response.json()["data"]


def test_the_list_costs_the_same_queries_for_3_or_30_dossiers(
    client, office, django_assert_max_num_queries
):
    client.force_login(office[1][Role.HEAD])
    for i in range(3):
        make(office, [S.SUBMITTED, S.IN_PROCESSING, S.PROPOSED][i % 3])
    with CaptureQueriesContext(connection) as few:
        client.get(BASE)
    for i in range(27):
        make(office, [S.SUBMITTED, S.IN_PROCESSING, S.PROPOSED][i % 3])
    with CaptureQueriesContext(connection) as many:
        assert client.get(BASE).json()["count"] == 30
    assert len(few.captured_queries) == len(many.captured_queries)
    with django_assert_max_num_queries(10):
        client.get(BASE)


def test_retrieve_has_the_history_and_the_steps_open_to_me(client, office):
    _agency, staff = office
    dossier = make(office, S.IN_PROCESSING)
    client.force_login(staff[Role.OFFICER])
    body = client.get(f"{BASE}{dossier.pk}/").json()
    assert body["code"] == dossier.code
    assert [e["action"] for e in body["events"]] == ["submit", "receive", "assign"]
    assert body["events"][2]["actor"]["id"] == str(staff[Role.CLERK].pk)
    assert body["allowed_actions"] == ["assign", "request_supplement", "propose", "apologise"]


def test_actions_move_the_dossier_and_return_it(client, office):
    _agency, staff = office
    dossier = make(office, S.SUBMITTED)
    url = f"{BASE}{dossier.pk}/actions/"
    client.force_login(staff[Role.CLERK])
    response = post(client, url + "receive/")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == S.RECEIVED and response.json()["due_date"]
    body = post(client, url + "assign/", {"officer": str(staff[Role.OFFICER].pk)}).json()
    assert body["assigned_to"]["id"] == str(staff[Role.OFFICER].pk)
    client.force_login(staff[Role.OFFICER])
    body = post(client, url + "request_supplement/", {"items": ["Giấy xác nhận cư trú"]}).json()
    assert body["status"] == S.AWAITING_SUPPLEMENT
    assert body["supplements"][0]["items"] == ["Giấy xác nhận cư trú"]
    client.force_login(staff[Role.CLERK])
    assert post(client, url + "supply/", {"answer": {"note": "ok"}}).json()["status"] == (
        S.IN_PROCESSING
    )
    client.force_login(staff[Role.OFFICER])
    new_date = (dt.date.fromisoformat(body["due_date"]) + dt.timedelta(days=10)).isoformat()
    body = post(client, url + "apologise/", {"new_due_date": new_date, "reason": "Xác minh"}).json()
    assert body["due_date"] == new_date and body["late"] is True
    assert post(client, url + "propose/", {"decision": "reject", "reason": "x"}).status_code == 200
    client.force_login(staff[Role.HEAD])
    body = post(client, url + "reject/", {"reason": "Không đủ điều kiện"}).json()
    assert body["status"] == S.REJECTED and body["decision_note"] == "Không đủ điều kiện"


def test_an_impossible_step_is_409_with_its_code(client, office):
    dossier = make(office, S.SUBMITTED)
    client.force_login(office[1][Role.HEAD])
    response = post(client, f"{BASE}{dossier.pk}/actions/approve/")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert response.json()["data"] == {"status": "submitted", "action": "approve"}


def test_a_step_of_another_role_is_403_forbidden(client, office):
    dossier = make(office, S.SUBMITTED)
    client.force_login(office[1][Role.OFFICER])
    response = post(client, f"{BASE}{dossier.pk}/actions/receive/")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_bad_parameters_are_400(client, office):
    _agency, staff = office
    submitted = make(office, S.SUBMITTED)
    received = make(office, S.RECEIVED)
    client.force_login(staff[Role.CLERK])
    response = post(client, f"{BASE}{submitted.pk}/actions/refuse/", {"reason": ""})
    assert (response.status_code, response.json()["code"]) == (400, "reason_required")
    response = post(client, f"{BASE}{received.pk}/actions/assign/", {"officer": "not-a-uuid"})
    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    response = post(
        client, f"{BASE}{received.pk}/actions/assign/", {"officer": str(staff[Role.HEAD].pk)}
    )
    assert (response.status_code, response.json()["code"]) == (400, "not_an_officer")
    response = post(
        client, f"{BASE}{submitted.pk}/actions/request_supplement_before_receipt/", {"items": []}
    )
    assert (response.status_code, response.json()["code"]) == (400, "items_required")
    assert post(client, f"{BASE}{submitted.pk}/actions/fly/").status_code == 404


def test_another_agency_gets_403_and_learns_nothing(client, office):
    dossier = make(office, S.SUBMITTED)
    foreign = MembershipFactory(agency=AgencyFactory(code="UBBD"), role=Role.CLERK).user
    enrol_totp(foreign)
    client.force_login(foreign)
    for response in (
        client.get(BASE),
        client.get(f"{BASE}{dossier.pk}/"),
        post(client, f"{BASE}{dossier.pk}/actions/receive/"),
    ):
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
    # Through their own agency's URL the dossier does not exist.
    response = client.get(f"/api/v1/back-office/agencies/UBBD/dossiers/{dossier.pk}/")
    assert response.status_code == 404
    dossier.refresh_from_db()
    assert dossier.status == S.SUBMITTED


def test_citizens_and_anonymous_callers_are_refused(client, office):
    dossier = make(office, S.SUBMITTED)
    assert client.get(BASE).status_code == 403
    client.force_login(dossier.applicant)
    assert client.get(BASE).status_code == 403
    assert post(client, f"{BASE}{dossier.pk}/actions/withdraw/", {"reason": "x"}).status_code == 403


def test_the_procedure_filter_takes_an_id(client, office):
    proc = ProcedureFactory()
    proc.offered_by.add(office[0])
    mine = make(office, S.SUBMITTED, procedure=proc)
    make(office, S.SUBMITTED)
    client.force_login(office[1][Role.CLERK])
    body = client.get(BASE, {"procedure": str(proc.pk)}).json()
    assert [r["code"] for r in body["results"]] == [mine.code]


def test_the_schema_documents_the_staff_api(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    assert "/api/v1/back-office/agencies/{code}/dossiers/" in paths
    assert "/api/v1/back-office/agencies/{code}/dossiers/{id}/" in paths
    action = paths["/api/v1/back-office/agencies/{code}/dossiers/{id}/actions/{action}/"]
    assert {"200", "400", "403", "404", "409"} <= set(action["post"]["responses"])


def test_the_api_root_links_to_the_dossiers(client):
    body = client.get("/api/v1/").json()
    assert body["back_office_dossiers"].endswith("/api/v1/back-office/agencies/{code}/dossiers/")
