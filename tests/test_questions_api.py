"""The questions and answers' API (/api/v1/questions/, /api/v1/back-office/questions/):
status codes, error codes, what the public sees, who sees which question."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from citizens.api_auth import api_token_issue
from citizens.models import Role, User
from engagement import services
from engagement.models import Question
from tests.conftest import enrol_totp
from tests.factories import AgencyFactory, MembershipFactory, ProcedureFactory, UserFactory

pytestmark = pytest.mark.django_db

PUBLIC = "/api/v1/questions/"
MINE = "/api/v1/questions/mine/"
STAFF = "/api/v1/back-office/questions/"
TEXT = "Riêng tư: con tôi Trần Văn Bé sinh ở nhà, cần giấy tờ gì để đăng ký khai sinh?"
ANSWER = "Anh/chị mang giấy chứng sinh và giấy tờ tùy thân của cha mẹ."
PUBLIC_QUESTION = "Sinh con ở nhà thì đăng ký khai sinh cần giấy tờ gì?"
PUBLIC_ANSWER = "Văn bản xác nhận việc sinh và giấy tờ tùy thân của cha mẹ."


def staff(agency, role) -> User:
    """A fresh staff user with one role in ``agency`` and their second factor."""
    user = User.objects.get(pk=MembershipFactory(agency=agency, role=role).user_id)
    enrol_totp(user)
    return user


def post(client, url, data=None):
    return client.post(url, json.dumps(data or {}), content_type="application/json")


def error_of(response, status: int, code: str) -> dict:
    body = response.json()
    assert (response.status_code, body.get("code")) == (status, code), body
    assert set(body) == {"code", "message", "data"}
    return body


@pytest.fixture
def agency(db):
    return AgencyFactory(code="UBLB", name="UBND phường Long Biên")


@pytest.fixture
def other_agency(db):
    return AgencyFactory(code="UBBD", name="UBND phường Bồ Đề")


@pytest.fixture
def procedure(agency, other_agency):
    procedure = ProcedureFactory(code="1.001193", name="Đăng ký khai sinh")
    procedure.offered_by.add(agency, other_agency)
    return procedure


@pytest.fixture
def asker(db):
    return UserFactory(full_name="Nguyễn Thị Riêng", email="rieng.tu@example.vn")


@pytest.fixture
def officer(agency):
    return staff(agency, Role.OFFICER)


@pytest.fixture
def head(agency):
    return staff(agency, Role.HEAD)


@pytest.fixture
def catalog_admin(db):
    return staff(AgencyFactory(code="STP", name="Sở Tư pháp"), Role.CATALOG_ADMIN)


@pytest.fixture
def api():
    return APIClient()


def ask(asker, procedure, agency, text=TEXT) -> Question:
    return services.question_ask(user=asker, procedure=procedure, agency=agency, text=text)


def answered(asker, procedure, agency, officer) -> Question:
    return services.question_answer(
        user=officer, question=ask(asker, procedure, agency), answer=ANSWER
    )


def published(asker, procedure, agency, officer, moderator, **texts) -> Question:
    return services.question_moderate(
        user=moderator,
        question=answered(asker, procedure, agency, officer),
        publish=True,
        public_question=texts.get("public_question", PUBLIC_QUESTION),
        public_answer=texts.get("public_answer", PUBLIC_ANSWER),
    )


# --- The public list ----------------------------------------------------------------------------


def test_the_public_list_has_only_published_pairs_as_edited(
    client, asker, procedure, agency, officer, head
):
    shown = published(asker, procedure, agency, officer, head)
    answered(asker, procedure, agency, officer)
    ask(asker, procedure, agency)
    private = answered(asker, procedure, agency, officer)
    services.question_moderate(user=head, question=private, publish=False)

    response = client.get(PUBLIC)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    row = body["results"][0]
    assert dt.datetime.fromisoformat(row.pop("published_at")) == shown.moderated_at
    assert row == {
        "code": shown.code,
        "procedure": {"code": "1.001193", "name": "Đăng ký khai sinh"},
        "agency": {"code": "UBLB", "name": "UBND phường Long Biên"},
        "question": PUBLIC_QUESTION,
        "answer": PUBLIC_ANSWER,
        "is_faq": False,
    }


def test_the_public_list_never_shows_the_asker_or_the_original_words(
    client, asker, procedure, agency, officer, head
):
    published(asker, procedure, agency, officer, head)
    raw = client.get(PUBLIC).content.decode()
    for secret in ("Nguyễn Thị Riêng", "rieng.tu@example.vn", "Trần Văn Bé", TEXT, ANSWER):
        assert secret not in raw
    for field in ("asker", "text", "status", "due_on", "search_text"):
        assert f'"{field}"' not in raw


def test_the_public_list_is_searched_without_accents_and_by_procedure(
    client, asker, procedure, agency, officer, head
):
    birth = published(asker, procedure, agency, officer, head)
    residence = ProcedureFactory(code="1.004194", name="Đăng ký thường trú")
    residence.offered_by.add(agency)
    other = published(
        asker,
        residence,
        agency,
        officer,
        head,
        public_question="Đăng ký thường trú cho con nhỏ thế nào?",
        public_answer="Chủ hộ đồng ý bằng văn bản.",
    )

    def codes(**params):
        return [row["code"] for row in client.get(PUBLIC, params).json()["results"]]

    assert codes(q="XAC NHAN viec sinh") == [birth.code]
    assert codes(q="dang ky") == [other.code, birth.code]  # newest first
    assert codes(procedure="1.004194") == [other.code]
    assert codes(procedure="1.004194", q="giay chung sinh") == []
    assert codes(procedure="9.999999") == []
    page = client.get(PUBLIC, {"limit": 1}).json()
    assert page["count"] == 2 and len(page["results"]) == 1 and page["next"]


def test_a_bad_filter_is_400_invalid(client):
    body = error_of(client.get(PUBLIC, {"q": "x" * 101}), 400, "invalid")
    assert "q" in body["data"]


def test_the_public_list_costs_the_same_queries_for_3_or_15_pairs(
    client, asker, procedure, agency, officer, head, django_assert_max_num_queries
):
    for _ in range(3):
        published(asker, procedure, agency, officer, head)
    with CaptureQueriesContext(connection) as few:
        assert client.get(PUBLIC).json()["count"] == 3
    for _ in range(12):
        published(asker, procedure, agency, officer, head)
    with CaptureQueriesContext(connection) as many:
        assert client.get(PUBLIC).json()["count"] == 15
    assert len(few.captured_queries) == len(many.captured_queries)
    with django_assert_max_num_queries(2):  # the count and the page
        client.get(PUBLIC, {"q": "khai sinh"})


def test_a_pinned_question_says_so_and_a_withdrawn_one_is_gone(
    client, asker, procedure, agency, officer, head, catalog_admin
):
    question = published(asker, procedure, agency, officer, head)
    services.question_pin(user=catalog_admin, question=question, pinned=True)
    assert client.get(PUBLIC).json()["results"][0]["is_faq"] is True
    services.question_moderate(user=head, question=question, publish=False)
    assert client.get(PUBLIC).json()["count"] == 0


# --- Asking -------------------------------------------------------------------------------------


def test_a_signed_in_citizen_asks_and_gets_their_view(api, asker, procedure, agency):
    api.force_authenticate(asker)

    response = api.post(
        PUBLIC, {"procedure": "1.001193", "agency": "UBLB", "text": TEXT}, format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    question = Question.objects.get()
    assert body["code"] == question.code
    assert body["status"] == "asked"
    assert body["due_on"] == question.due_on.isoformat()
    assert body["text"] == TEXT
    assert body["answer"] is None and body["answered_at"] is None
    assert body["procedure"] == {"code": "1.001193", "name": "Đăng ký khai sinh"}
    assert body["agency"] == {"code": "UBLB", "name": "UBND phường Long Biên"}
    assert (question.asker, question.agency) == (asker, agency)


def test_asking_needs_a_signed_in_account(api, procedure):
    response = api.post(
        PUBLIC, {"procedure": "1.001193", "agency": "UBLB", "text": TEXT}, format="json"
    )
    error_of(response, 403, "not_authenticated")
    assert not Question.objects.exists()


def test_asking_with_a_citizen_api_token(asker, procedure):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=asker)}")
    response = client.post(
        PUBLIC, {"procedure": "1.001193", "agency": "UBBD", "text": TEXT}, format="json"
    )
    assert response.status_code == 201
    assert Question.objects.get().agency.code == "UBBD"


def test_a_session_post_needs_the_csrf_token(asker, procedure):
    client = Client(enforce_csrf_checks=True)
    client.force_login(asker)
    response = post(client, PUBLIC, {"procedure": "1.001193", "agency": "UBLB", "text": TEXT})
    error_of(response, 403, "permission_denied")
    assert not Question.objects.exists()


@pytest.mark.parametrize(
    ("text", "field"),
    [("", "text"), ("     ", "text"), ("Ngắn quá", "text"), ("x" * 2001, "text")],
    ids=["empty", "whitespace", "short", "long"],
)
def test_a_bad_question_is_400_invalid_naming_the_field(api, asker, procedure, text, field):
    api.force_authenticate(asker)
    response = api.post(
        PUBLIC, {"procedure": "1.001193", "agency": "UBLB", "text": text}, format="json"
    )
    body = error_of(response, 400, "invalid")
    assert list(body["data"]) == [field] and body["data"][field]
    assert not Question.objects.exists()


def test_missing_fields_are_400_invalid(api, asker):
    api.force_authenticate(asker)
    body = error_of(api.post(PUBLIC, {}, format="json"), 400, "invalid")
    assert set(body["data"]) == {"procedure", "agency", "text"}


def test_an_unknown_procedure_or_agency_is_400_invalid_naming_it(api, asker, procedure, agency):
    hidden = ProcedureFactory(code="2.000001", is_published=False)
    hidden.offered_by.add(agency)
    elsewhere = AgencyFactory(code="UBHK")
    api.force_authenticate(asker)
    for data, field in (
        ({"procedure": "9.999999", "agency": "UBLB"}, "procedure"),
        ({"procedure": "2.000001", "agency": "UBLB"}, "procedure"),
        ({"procedure": "1.001193", "agency": "NOPE"}, "agency"),
        ({"procedure": "1.001193", "agency": elsewhere.code}, "agency"),  # does not offer it
    ):
        response = api.post(PUBLIC, {**data, "text": TEXT}, format="json")
        body = error_of(response, 400, "invalid")
        assert list(body["data"]) == [field], data
    assert not Question.objects.exists()


def test_the_messages_are_in_vietnamese_by_default(api, asker, procedure):
    api.force_authenticate(asker)
    for data, message in (
        (
            {"procedure": "9.999999", "agency": "UBLB"},
            "Không có thủ tục nào đã công bố mang mã này.",
        ),
        ({"procedure": "1.001193", "agency": "NOPE"}, "Không có cơ quan nào mang mã này."),
    ):
        body = error_of(api.post(PUBLIC, {**data, "text": TEXT}, format="json"), 400, "invalid")
        assert body["message"] == message
        assert body["data"] == {next(iter(body["data"])): [message]}


def test_asking_is_throttled_per_account(api, asker, procedure, monkeypatch):
    monkeypatch.setattr(
        ScopedRateThrottle,
        "THROTTLE_RATES",
        {**ScopedRateThrottle.THROTTLE_RATES, "questions": "2/min"},
    )
    cache.delete(f"throttle_questions_{asker.pk}")
    api.force_authenticate(asker)
    data = {"procedure": "1.001193", "agency": "UBLB", "text": TEXT}
    try:
        assert [api.post(PUBLIC, data, format="json").status_code for _ in range(2)] == [201, 201]
        response = api.post(PUBLIC, data, format="json")
        error_of(response, 429, "throttled")
        assert response.headers["Retry-After"]
        # Reading is not counted in the scope.
        assert api.get(PUBLIC).status_code == 200
    finally:
        cache.delete(f"throttle_questions_{asker.pk}")
    assert Question.objects.count() == 2


# --- My questions -------------------------------------------------------------------------------


def test_my_questions_are_mine_only(api, asker, procedure, agency, officer):
    mine = answered(asker, procedure, agency, officer)
    waiting = ask(asker, procedure, agency)
    theirs = ask(UserFactory(), procedure, agency)
    api.force_authenticate(asker)

    body = api.get(MINE).json()

    assert body["count"] == 2
    assert [row["code"] for row in body["results"]] == [waiting.code, mine.code]
    detail = api.get(f"{MINE}{mine.code}/").json()
    assert (detail["status"], detail["answer"], detail["text"]) == ("answered", ANSWER, TEXT)
    assert detail["status_help"]
    assert api.get(f"{MINE}{waiting.code}/").json()["answer"] is None
    error_of(api.get(f"{MINE}{theirs.code}/"), 404, "not_found")
    error_of(api.get(f"{MINE}NOPE/"), 404, "not_found")


def test_my_questions_need_a_signed_in_account(api, asker, procedure, agency):
    question = ask(asker, procedure, agency)
    error_of(api.get(MINE), 403, "not_authenticated")
    error_of(api.get(f"{MINE}{question.code}/"), 403, "not_authenticated")


def test_my_questions_cost_the_same_queries_for_3_or_15(api, asker, procedure, agency):
    api.force_authenticate(asker)
    for _ in range(3):
        ask(asker, procedure, agency)
    with CaptureQueriesContext(connection) as few:
        assert api.get(MINE).json()["count"] == 3
    for _ in range(12):
        ask(asker, procedure, agency)
    with CaptureQueriesContext(connection) as many:
        assert api.get(MINE).json()["count"] == 15
    assert len(few.captured_queries) == len(many.captured_queries)


# --- The staff queue ----------------------------------------------------------------------------


def test_the_queue_has_the_agencys_questions_with_filters(
    client, asker, procedure, agency, other_agency, officer
):
    late = ask(asker, procedure, agency)
    Question.objects.filter(pk=late.pk).update(due_on=dt.date(2020, 1, 6))
    waiting = ask(asker, procedure, agency)
    done = answered(asker, procedure, agency, officer)
    ask(asker, procedure, other_agency)
    client.force_login(officer)

    body = client.get(STAFF).json()

    assert [row["code"] for row in body["results"]] == [late.code, waiting.code, done.code]
    rows = {row["code"]: row for row in body["results"]}
    assert rows[late.code]["is_late"] is True
    assert rows[waiting.code]["is_late"] is False
    assert rows[late.code]["text"] == TEXT
    assert rows[late.code]["agency"] == {"code": "UBLB", "name": "UBND phường Long Biên"}

    def codes(**params):
        return [row["code"] for row in client.get(STAFF, params).json()["results"]]

    assert codes(late="true") == [late.code]
    assert codes(status="answered") == [done.code]
    assert codes(agency="UBLB") == [late.code, waiting.code, done.code]
    assert codes(agency="UBBD") == []  # not theirs: nothing
    error_of(client.get(STAFF, {"status": "nonsense"}), 400, "invalid")


@pytest.mark.parametrize("who", ["clerk", "citizen", "statistician"])
def test_the_queue_is_403_without_a_role_to_answer_or_moderate(client, agency, asker, who):
    user = {
        "clerk": lambda: staff(agency, Role.CLERK),
        "citizen": lambda: asker,
        "statistician": lambda: staff(agency, Role.STATISTICIAN),
    }[who]()
    client.force_login(user)
    error_of(client.get(STAFF), 403, "forbidden")


def test_the_queue_is_refused_to_anonymous_callers(client):
    error_of(client.get(STAFF), 403, "not_authenticated")


def test_a_catalog_administrator_sees_every_agencys_answered_questions_only(
    client, asker, procedure, agency, other_agency, officer, catalog_admin
):
    ask(asker, procedure, agency)
    here = answered(asker, procedure, agency, officer)
    there = answered(asker, procedure, other_agency, staff(other_agency, Role.OFFICER))
    client.force_login(catalog_admin)
    codes = {row["code"] for row in client.get(STAFF).json()["results"]}
    assert codes == {here.code, there.code}


def test_the_queue_costs_the_same_queries_for_3_or_15(client, asker, procedure, agency, officer):
    client.force_login(officer)
    for _ in range(3):
        ask(asker, procedure, agency)
    with CaptureQueriesContext(connection) as few:
        assert client.get(STAFF).json()["count"] == 3
    for _ in range(12):
        ask(asker, procedure, agency)
    with CaptureQueriesContext(connection) as many:
        assert client.get(STAFF).json()["count"] == 15
    assert len(few.captured_queries) == len(many.captured_queries)


def test_the_detail_shows_the_question_and_the_steps_open(
    client, asker, procedure, agency, other_agency, officer, head
):
    question = ask(asker, procedure, agency)
    foreign = ask(asker, procedure, other_agency)
    client.force_login(officer)

    body = client.get(f"{STAFF}{question.code}/").json()

    assert (body["code"], body["status"], body["text"]) == (question.code, "asked", TEXT)
    assert body["asker_name"] == "Nguyễn Thị Riêng"
    assert body["answer"] == "" and body["actions"] == ["answer"]
    error_of(client.get(f"{STAFF}{foreign.code}/"), 404, "not_found")
    error_of(client.get(f"{STAFF}NOPE/"), 404, "not_found")
    services.question_answer(user=officer, question=question, answer=ANSWER)
    client.force_login(head)
    assert client.get(f"{STAFF}{question.code}/").json()["actions"] == ["answer", "moderate"]


# --- The steps ----------------------------------------------------------------------------------


def test_an_officer_answers(client, asker, procedure, agency, officer):
    question = ask(asker, procedure, agency)
    client.force_login(officer)

    response = post(client, f"{STAFF}{question.code}/answer/", {"answer": ANSWER})

    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["answer"]) == ("answered", ANSWER)
    question.refresh_from_db()
    assert question.answered_by == officer


def test_a_bad_answer_is_400_invalid(client, asker, procedure, agency, officer):
    question = ask(asker, procedure, agency)
    client.force_login(officer)
    for data in ({}, {"answer": "   "}, {"answer": "x" * 5001}):
        body = error_of(post(client, f"{STAFF}{question.code}/answer/", data), 400, "invalid")
        assert list(body["data"]) == ["answer"]


def test_another_agencys_question_is_404_for_every_step(
    client, asker, procedure, agency, other_agency, officer, head
):
    question = answered(asker, procedure, other_agency, staff(other_agency, Role.OFFICER))
    for user in (officer, head):
        client.force_login(user)
        for step, data in (
            ("answer", {"answer": ANSWER}),
            ("moderate", {"publish": False}),
            ("pin", {"pinned": True}),
        ):
            error_of(post(client, f"{STAFF}{question.code}/{step}/", data), 404, "not_found")
    question.refresh_from_db()
    assert question.status == Question.Status.ANSWERED


def test_a_clerk_cannot_answer(client, asker, procedure, agency):
    question = ask(asker, procedure, agency)
    client.force_login(staff(agency, Role.CLERK))
    error_of(post(client, f"{STAFF}{question.code}/answer/", {"answer": ANSWER}), 403, "forbidden")


def test_a_catalog_administrator_cannot_answer(
    client, asker, procedure, agency, officer, catalog_admin
):
    question = answered(asker, procedure, agency, officer)
    client.force_login(catalog_admin)
    response = post(client, f"{STAFF}{question.code}/answer/", {"answer": "Câu trả lời khác."})
    error_of(response, 403, "forbidden")


def test_the_head_publishes_the_edited_pair(client, asker, procedure, agency, officer, head):
    question = answered(asker, procedure, agency, officer)
    client.force_login(head)

    response = post(
        client,
        f"{STAFF}{question.code}/moderate/",
        {"publish": True, "public_question": PUBLIC_QUESTION, "public_answer": PUBLIC_ANSWER},
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["public_question"], body["public_answer"]) == (
        "published",
        PUBLIC_QUESTION,
        PUBLIC_ANSWER,
    )
    assert body["moderated_at"]
    assert body["actions"] == ["moderate"]
    assert client.get(PUBLIC).json()["results"][0]["question"] == PUBLIC_QUESTION


def test_moderating_errors(client, asker, procedure, agency, officer, head):
    waiting = ask(asker, procedure, agency)
    question = answered(asker, procedure, agency, officer)
    client.force_login(head)
    url = f"{STAFF}{question.code}/moderate/"
    assert "publish" in error_of(post(client, url, {}), 400, "invalid")["data"]
    body = error_of(post(client, url, {"publish": True, "public_answer": "A."}), 400, "invalid")
    assert list(body["data"]) == ["public_question"]
    response = post(client, f"{STAFF}{waiting.code}/moderate/", {"publish": False})
    error_of(response, 409, "conflict")
    client.force_login(officer)
    error_of(post(client, url, {"publish": False}), 403, "forbidden")
    question.refresh_from_db()
    assert question.status == Question.Status.ANSWERED


def test_an_answer_cannot_change_after_moderation(client, asker, procedure, agency, officer, head):
    question = answered(asker, procedure, agency, officer)
    services.question_moderate(user=head, question=question, publish=False)
    client.force_login(officer)
    response = post(client, f"{STAFF}{question.code}/answer/", {"answer": "Câu trả lời khác."})
    error_of(response, 409, "conflict")


def test_a_catalog_administrator_pins_a_published_question(
    client, asker, procedure, agency, officer, head, catalog_admin
):
    question = published(asker, procedure, agency, officer, head)
    client.force_login(catalog_admin)
    url = f"{STAFF}{question.code}/pin/"

    response = post(client, url, {"pinned": True, "order": 2})

    assert response.status_code == 200, response.json()
    assert (response.json()["is_faq"], response.json()["faq_order"]) == (True, 2)
    assert "pin" in response.json()["actions"]
    assert (
        "order"
        in error_of(post(client, url, {"pinned": True, "order": 1000}), 400, "invalid")["data"]
    )
    assert post(client, url, {"pinned": False}).json()["is_faq"] is False


def test_pinning_errors(client, asker, procedure, agency, officer, head, catalog_admin):
    question = answered(asker, procedure, agency, officer)
    client.force_login(catalog_admin)
    error_of(post(client, f"{STAFF}{question.code}/pin/", {"pinned": True}), 409, "conflict")
    client.force_login(head)
    services.question_moderate(
        user=head,
        question=question,
        publish=True,
        public_question=PUBLIC_QUESTION,
        public_answer=PUBLIC_ANSWER,
    )
    error_of(post(client, f"{STAFF}{question.code}/pin/", {"pinned": True}), 403, "forbidden")


# --- Root and schema ----------------------------------------------------------------------------


def test_the_api_root_links_to_the_questions(client):
    assert client.get("/api/v1/").json()["questions"].endswith(PUBLIC)


def test_the_schema_documents_the_questions_api(client):
    paths = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()[
        "paths"
    ]
    assert {"get", "post"} <= set(paths["/api/v1/questions/"])
    assert "429" in paths["/api/v1/questions/"]["post"]["responses"]
    for path in (
        "/api/v1/questions/mine/",
        "/api/v1/questions/mine/{code}/",
        "/api/v1/back-office/questions/",
        "/api/v1/back-office/questions/{code}/",
        "/api/v1/back-office/questions/{code}/answer/",
        "/api/v1/back-office/questions/{code}/moderate/",
        "/api/v1/back-office/questions/{code}/pin/",
    ):
        assert path in paths
