"""Public tracking of a dossier by its code and the last 4 digits of the
applicant's phone number or personal ID number: the page and the API.

Pages are read in English (language cookie) so the assertions can name the
messages; the Vietnamese page is checked by the browser test.
"""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from citizens.models import Role
from onecounter import transitions
from onecounter.models import Dossier, DossierEvent
from tests.factories import (
    AgencyFactory,
    DossierFactory,
    MembershipFactory,
    ProcedureFactory,
    make_id_number,
)

pytestmark = pytest.mark.django_db

NAME = "Nguyễn Văn Bình"
PHONE = "0912 345 678"
ID_NUMBER = make_id_number("M", dt.date(1990, 5, 17), 424242)  # ends in 4242
EMAIL = "binh.nguyen@example.vn"
ADDRESS = "Số 12 ngõ 34 phố Ngọc Lâm"
ANSWER = "Nguyễn Thị Cúc, con gái"
IP = "203.0.113.7"


@pytest.fixture(autouse=True)
def _clean_cache():
    """Failed lookups are counted in Redis; start every test with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def office(db):
    agency = AgencyFactory(
        code="UBLB",
        name="UBND phường Long Biên",
        name_en="Long Bien Ward People's Committee",
        address="Số 1 phố Long Biên",
    )
    staff = {
        role: MembershipFactory(agency=agency, role=role).user
        for role in (Role.CLERK, Role.OFFICER, Role.HEAD)
    }
    return agency, staff


def make_dossier(office, *steps, **fields):
    """A dossier filed online by a citizen and taken through ``steps``."""
    agency, staff = office
    dossier = DossierFactory(
        agency=agency,
        procedure=ProcedureFactory(name="Đăng ký khai sinh", name_en="Birth registration"),
        applicant__full_name=NAME,
        applicant_name=NAME,
        applicant_phone=PHONE,
        applicant_id_number=ID_NUMBER,
        applicant_email=EMAIL,
        applicant_address=ADDRESS,
        data={"child_name": ANSWER},
        **fields,
    )
    params = {
        "assign": {"officer": staff[Role.OFFICER]},
        "request_supplement": {"items": ["Giấy chứng sinh bản chính"]},
        "request_supplement_before_receipt": {"items": ["Tờ khai có chữ ký"]},
    }
    actors = {
        "submit": dossier.applicant,
        "receive": staff[Role.CLERK],
        "request_supplement_before_receipt": staff[Role.CLERK],
        "assign": staff[Role.CLERK],
        "request_supplement": staff[Role.OFFICER],
        "supply": staff[Role.CLERK],
        "propose": staff[Role.OFFICER],
        "send_back": staff[Role.HEAD],
        "approve": staff[Role.HEAD],
        "mark_result_ready": staff[Role.CLERK],
    }
    for step in steps:
        if step == "apologise":
            dossier = transitions.perform(
                dossier,
                "apologise",
                actor=staff[Role.OFFICER],
                reason="Cần xác minh với Công an phường về ông Nguyễn Văn Bình",
                new_due_date=dossier.due_date + dt.timedelta(days=7),
            )
            continue
        dossier = transitions.perform(
            dossier, step, actor=actors[step], reason="Ghi chú nội bộ", **params.get(step, {})
        )
    return dossier


def track(client, code, digits, ip=IP):
    return client.post("/track/", {"code": code, "digits": digits}, REMOTE_ADDR=ip)


def api(client, ip=IP, **params):
    return client.get("/api/v1/tracking/", params, REMOTE_ADDR=ip)


def without_tokens(html: str, *codes: str) -> str:
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
    for code in codes:
        html = html.replace(code, "<CODE>")
    return html


def assert_no_personal_data(text: str) -> None:
    for secret in (
        NAME,
        "Bình",
        ID_NUMBER,
        PHONE,
        "0912",
        "345 678",
        EMAIL,
        ADDRESS,
        ANSWER,
        "Ghi chú nội bộ",
        "Cần xác minh",
        "Giấy chứng sinh",
    ):
        assert secret not in text, secret


# --- The page ----------------------------------------------------------------------------


def test_given_a_proposed_dossier_when_tracked_with_the_last_4_phone_digits_then_it_shows_in_processing_and_no_personal_data(
    client, office
):
    dossier = make_dossier(office, "submit", "receive", "assign", "propose")
    response = track(client, dossier.code, "5678")
    assert response.status_code == 200
    html = response.text
    assert dossier.code in html
    assert "Birth registration" in html
    assert "Long Bien Ward People&#x27;s Committee" in html
    assert 'data-status="in_processing"' in html
    assert "In processing" in html
    assert "proposed" not in html.lower() and "signature" not in html.lower()
    assert dossier.due_date.strftime("%d/%m/%Y") in html
    assert timezone.localtime(dossier.received_at).strftime("%d/%m/%Y %H:%M") in html
    assert "is processing your dossier" in html
    # The timeline: submitted, received, in processing (the proposal is not a public step).
    assert re.findall(r'class="timeline__step" data-status="(\w+)"', html) == [
        "submitted",
        "received",
        "in_processing",
    ]
    assert_no_personal_data(html)
    assert response["Cache-Control"].startswith("max-age=0")


def test_the_last_4_digits_of_the_personal_id_number_work_too(client, office):
    dossier = make_dossier(office, "submit", "receive")
    response = track(client, dossier.code.lower(), ID_NUMBER[-4:])
    assert response.status_code == 200
    assert 'data-status="received"' in response.text
    assert_no_personal_data(response.text)


def test_wrong_digits_and_an_unknown_code_give_the_identical_answer(client, office):
    dossier = make_dossier(office, "submit", "receive")
    unknown = "UBLB-991231-0042"
    wrong_digits = track(client, dossier.code, "1111")
    unknown_code = track(client, unknown, "5678")
    assert wrong_digits.status_code == unknown_code.status_code == 200
    assert "No dossier matches this code and these digits" in wrong_digits.text
    assert without_tokens(wrong_digits.text, dossier.code) == without_tokens(
        unknown_code.text, unknown
    )
    # The digits typed are never written back into the page.
    assert 'value="1111"' not in wrong_digits.text
    assert_no_personal_data(wrong_digits.text)


def test_a_draft_is_never_found(client, office):
    draft = DossierFactory(agency=office[0], applicant_phone=PHONE)
    Dossier.objects.filter(pk=draft.pk).update(code="UBLB-260101-0001")  # cannot happen; be sure
    response = track(client, "UBLB-260101-0001", "5678")
    assert "No dossier matches" in response.text


def test_a_malformed_code_or_digits_is_explained_and_not_counted_as_a_guess(
    client, office, settings
):
    settings.EGOV_TRACKING_MAX_FAILURES = 2
    for _ in range(3):
        response = track(client, "not a code", "12a")
    assert response.status_code == 200
    assert "Enter the dossier code as printed on your receipt" in response.text
    assert "Enter 4 digits" in response.text
    dossier = make_dossier(office, "submit")
    assert track(client, dossier.code, "5678").status_code == 200


def test_the_code_can_be_prefilled_from_a_link(client):
    response = client.get("/track/?code=ublb-260304-0001")
    assert response.status_code == 200
    assert 'value="UBLB-260304-0001"' in response.text
    assert 'name="digits"' in response.text


def test_given_n_failures_from_one_address_then_429_even_with_correct_data(
    client, office, settings
):
    settings.EGOV_TRACKING_MAX_FAILURES = 3
    settings.EGOV_TRACKING_WINDOW_SECONDS = 600
    dossier = make_dossier(office, "submit", "receive")
    for n in range(3):
        assert track(client, f"UBLB-260101-{n:04d}", "0000").status_code == 200
    response = track(client, dossier.code, "5678")
    assert response.status_code == 429
    assert response["Retry-After"] == "600"
    assert "Too many attempts" in response.text
    assert "Try again in 10 minutes" in response.text
    assert dossier.code not in response.text
    # Another client is not affected.
    assert track(client, dossier.code, "5678", ip="198.51.100.9").status_code == 200


def test_given_n_failures_on_one_code_from_many_addresses_then_that_code_is_throttled(
    client, office, settings
):
    settings.EGOV_TRACKING_MAX_FAILURES = 3
    dossier = make_dossier(office, "submit", "receive")
    other = make_dossier(office, "submit", "receive")
    for n in range(3):
        track(client, dossier.code, f"{n:04d}", ip=f"198.51.100.{n + 1}")
    assert track(client, dossier.code, "5678", ip="192.0.2.200").status_code == 429
    assert track(client, other.code, "5678", ip="192.0.2.200").status_code == 200


def test_the_next_step_asks_for_the_missing_documents_while_paused(client, office):
    dossier = make_dossier(office, "submit", "receive", "assign", "request_supplement")
    html = track(client, dossier.code, "5678").text
    assert 'data-status="awaiting_documents"' in html
    assert "Bring the missing documents listed in your request" in html
    deadline = dossier.supplements.get().deadline
    assert f"Bring them by {deadline:%d/%m/%Y}" in html
    assert_no_personal_data(html)


def test_a_late_dossier_says_so_and_an_apology_shows_the_new_date(client, office):
    dossier = make_dossier(office, "submit", "receive", "assign")
    Dossier.objects.filter(pk=dossier.pk).update(
        due_date=timezone.localdate() - dt.timedelta(days=1)
    )
    html = track(client, dossier.code, "5678").text
    assert 'class="tag tag--red">late<' in html

    dossier = make_dossier(office, "submit", "receive", "assign", "apologise")
    old = dossier.apologies.get().old_due_date
    html = track(client, dossier.code, "5678").text
    assert dossier.due_date.strftime("%d/%m/%Y") in html
    assert f"set this new date (it was {old:%d/%m/%Y})" in html
    assert 'data-status="new_due_date"' in html
    assert_no_personal_data(html)  # the apology's reason is not shown


def test_a_ready_result_is_to_be_collected_at_the_agency_counter(client, office):
    dossier = make_dossier(
        office, "submit", "receive", "assign", "propose", "approve", "mark_result_ready"
    )
    html = track(client, dossier.code, "5678").text
    assert 'data-status="result_ready"' in html
    assert "Collect your result at the one-stop counter of Long Bien Ward" in html
    assert "Số 1 phố Long Biên" in html  # the agency's address, not the applicant's


def test_the_home_page_links_to_tracking(client):
    html = client.get("/").text
    assert 'action="/track/"' in html
    assert 'name="digits"' in html


def test_the_tracking_page_costs_the_same_queries_however_long_the_dossier(client, office):
    short = make_dossier(office, "submit", "receive")
    long = make_dossier(office, "submit", "receive", "assign")
    for _ in range(10):
        long = make_dossier_step_pair(office, long)
    for _ in range(20):
        DossierFactory(agency=office[0])

    def cost(dossier):
        with CaptureQueriesContext(connection) as queries:
            assert track(client, dossier.code, "5678").status_code == 200
        return len(queries)

    assert DossierEvent.objects.filter(dossier=long).count() > 20
    assert cost(short) == cost(long) <= 3


def make_dossier_step_pair(office, dossier):
    """Propose, then send back: two more events, the same public status."""
    _agency, staff = office
    dossier = transitions.perform(dossier, "propose", actor=staff[Role.OFFICER])
    return transitions.perform(dossier, "send_back", actor=staff[Role.HEAD], reason="Bổ sung")


# --- The API ------------------------------------------------------------------------------


def test_the_api_answers_the_public_view(client, office):
    dossier = make_dossier(office, "submit", "receive", "assign", "propose")
    response = api(client, code=dossier.code, digits="5678")
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == dossier.code
    assert body["status"] == "in_processing"
    assert body["due_date"] == dossier.due_date.isoformat()
    assert body["late"] is False
    assert body["agency_code"] == "UBLB"
    assert [s["status"] for s in body["timeline"]] == ["submitted", "received", "in_processing"]
    assert set(body) == {
        "code", "procedure_code", "procedure_name", "agency_code", "agency_name",
        "agency_address", "agency_phone", "status", "status_label", "submitted_at",
        "received_at", "due_date", "late", "apologised", "due_date_before_apology", "paused",
        "documents_due_by", "result_ready_at", "finished_at", "next_step", "timeline",
    }  # fmt: skip
    assert_no_personal_data(response.content.decode())
    assert response["Cache-Control"] == "no-store"


def test_the_api_says_not_found_alike_for_wrong_digits_and_unknown_codes(client, office):
    dossier = make_dossier(office, "submit", "receive")
    wrong = api(client, code=dossier.code, digits="1111")
    unknown = api(client, code="UBLB-991231-0042", digits="5678")
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json() == unknown.json()
    assert wrong.json()["code"] == "not_found"


def test_the_api_says_invalid_for_missing_or_malformed_parameters(client):
    response = api(client, code="nope")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["data"]) == {"code", "digits"}


def test_the_api_shares_the_throttle_with_the_page(client, office, settings):
    settings.EGOV_TRACKING_MAX_FAILURES = 2
    dossier = make_dossier(office, "submit", "receive")
    track(client, "UBLB-991231-0001", "0000")
    api(client, code="UBLB-991231-0002", digits="0000")
    response = api(client, code=dossier.code, digits="5678")
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0
    assert track(client, dossier.code, "5678").status_code == 429


def test_the_api_is_listed_in_the_api_root_and_the_schema(client):
    assert client.get("/api/v1/").json()["tracking"].endswith("/api/v1/tracking/")
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/tracking/"]["get"]
    assert operation["operationId"] == "tracking_lookup"
    assert {p["name"] for p in operation["parameters"]} >= {"code", "digits"}
    assert {"200", "400", "404", "429"} <= set(operation["responses"])


def test_the_api_costs_the_same_queries_however_long_the_dossier(client, office):
    short = make_dossier(office, "submit", "receive")
    long = make_dossier(office, "submit", "receive", "assign")
    for _ in range(10):
        long = make_dossier_step_pair(office, long)

    def cost(dossier):
        with CaptureQueriesContext(connection) as queries:
            assert api(client, code=dossier.code, digits="5678").status_code == 200
        return len(queries)

    assert cost(short) == cost(long) <= 3
