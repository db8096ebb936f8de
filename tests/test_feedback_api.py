"""The feedback and recommendations' API (/api/v1/feedback/, /api/v1/back-office/feedback/):
status codes and error codes, what the public sees, confirming and tracking by code and
contact, who sees which feedback in the back office."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image
from rest_framework.throttling import ScopedRateThrottle

from citizens.models import Role, User
from egov.text import fold
from engagement import feedback as services
from engagement.models import Feedback, FeedbackAttachment, FeedbackCategory
from tests.conftest import enrol_totp
from tests.factories import AgencyFactory, DossierFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

PUBLIC = "/api/v1/feedback/"
TRACK = "/api/v1/feedback/track/"
MINE = "/api/v1/feedback/mine/"
STAFF = "/api/v1/back-office/feedback/"
CATEGORY = "giai-quyet-ho-so"
SUBJECT = "Hồ sơ khai sinh bị trễ hẹn"
BODY = "Tôi là Trần Thị Riêng, số 0987654321: hồ sơ nộp ngày 02/12 đến nay chưa có kết quả."
ANSWER = "Phường đã kiểm tra: hồ sơ trễ do thiếu cán bộ, đã trả kết quả ngày 12/12."
PUBLIC_SUMMARY = "Hồ sơ đăng ký khai sinh trả kết quả trễ hẹn."
PUBLIC_ANSWER = "Phường đã bổ sung cán bộ một cửa để trả kết quả đúng hẹn."
EMAIL = "rieng.tu@example.vn"


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


def png_file(name: str = "anh.png") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def sent_code(email: str) -> str:
    """The last six-digit code e-mailed to ``email``."""
    codes = [
        match.group(1)
        for message in mail.outbox
        if email in message.to
        for match in [re.search(r"\b(\d{6})\b", message.body)]
        if match
    ]
    assert codes, [m.body for m in mail.outbox]
    return codes[-1]


@pytest.fixture(autouse=True)
def fresh_limits(settings):
    """The per-sender limits and throttles count in Redis: each test starts from 0."""
    settings.EGOV_FEEDBACK_MAX_PER_HOUR = 1000
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def agency(db):
    return AgencyFactory(code="UBLB", name="UBND phường Long Biên")


@pytest.fixture
def other_agency(db):
    return AgencyFactory(code="UBBD", name="UBND phường Bồ Đề")


@pytest.fixture
def category(db):
    return FeedbackCategory.objects.get(code=CATEGORY)


@pytest.fixture
def sender(db):
    return UserFactory(full_name="Trần Thị Riêng", email="nguoi.gui@example.vn")


@pytest.fixture
def clerk(agency):
    return staff(agency, Role.CLERK)


@pytest.fixture
def officer(agency):
    return staff(agency, Role.OFFICER)


@pytest.fixture
def head(agency):
    return staff(agency, Role.HEAD)


def send(agency, category, *, user=None, consent=True, **extra) -> Feedback:
    contact = {} if user else {"name": "Trần Thị Riêng", "email": EMAIL}
    return services.feedback_send(
        user=user,
        kind=Feedback.Kind.FEEDBACK,
        category=category,
        agency=agency,
        subject=SUBJECT,
        body=BODY,
        consent_publish=consent,
        **{**contact, **extra},
    )


def answered(agency, category, *, user, clerk, head, officer, consent=True) -> Feedback:
    feedback = send(agency, category, user=user, consent=consent)
    services.feedback_accept(user=clerk, feedback=feedback)
    services.feedback_assign(user=head, feedback=feedback, officer=officer)
    return services.feedback_answer(user=officer, feedback=feedback, answer=ANSWER)


def published_row(agency, category, n: int) -> Feedback:
    """A published feedback written straight to the database (for list sizes)."""
    summary = f"Phản ánh số {n} về thái độ phục vụ"
    return Feedback.objects.create(
        code=f"PA2612T{n:05d}",
        kind=Feedback.Kind.RECOMMENDATION,
        category=category,
        agency=agency,
        sender_name="Người Gửi Riêng Tư",
        sender_email=f"gui{n}@example.vn",
        subject="Riêng tư",
        body="Nguyên văn riêng tư của người gửi",
        consent_publish=True,
        step=Feedback.Step.PUBLISHED,
        answer=ANSWER,
        public_summary=summary,
        public_answer=PUBLIC_ANSWER,
        published_at=timezone.now() - dt.timedelta(minutes=n),
        search_text=fold(f"{summary} {PUBLIC_ANSWER}"),
        rating=4,
    )


# --- Categories and the API root -------------------------------------------------------------


def test_the_categories_are_public_with_their_working_days(client):
    FeedbackCategory.objects.filter(code="cong-dich-vu-cong").update(is_active=False)
    response = client.get("/api/v1/feedback/categories/")
    assert response.status_code == 200
    rows = response.json()
    assert [r["code"] for r in rows] == [
        "quy-dinh-hanh-chinh",
        "giai-quyet-ho-so",
        "thai-do-phuc-vu",
    ]
    assert rows[1] == {
        "code": "giai-quyet-ho-so",
        "name": "Việc giải quyết hồ sơ (trễ hẹn, yêu cầu thêm giấy tờ, sai sót)",
        "about": "service",
        "accept_days": 3,
        "assign_days": 2,
        "answer_days": 10,
        "publish_days": 5,
    }


def test_the_api_root_links_to_the_feedback(client):
    assert client.get("/api/v1/").json()["feedback"].endswith(PUBLIC)


# --- Sending -----------------------------------------------------------------------------------


def test_a_signed_in_sender_s_feedback_is_received_at_once_with_their_dossier(
    client, agency, sender
):
    dossier = DossierFactory(applicant=sender, agency=agency, code="000.00.00.H26-261201-0001")
    client.force_login(sender)
    response = post(
        client,
        PUBLIC,
        {
            "kind": "feedback",
            "category": CATEGORY,
            "agency": "UBLB",
            "subject": SUBJECT,
            "body": BODY,
            "dossier": dossier.code,
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == {"code", "step", "step_due_on", "needs_code"}
    assert body["step"] == "received" and body["needs_code"] is False
    assert body["step_due_on"] >= timezone.localdate().isoformat()
    feedback = Feedback.objects.get(code=body["code"])
    assert (feedback.sender, feedback.dossier, feedback.sender_email) == (
        sender,
        dossier,
        sender.email,
    )
    assert feedback.ip_address == "127.0.0.1"


def test_an_anonymous_sender_is_sent_a_code_and_waits(
    client, agency, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            client,
            PUBLIC,
            {
                "kind": "recommendation",
                "category": CATEGORY,
                "agency": "UBLB",
                "subject": SUBJECT,
                "body": BODY,
                "name": "Trần Thị Riêng",
                "email": EMAIL,
            },
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["step"], body["step_due_on"], body["needs_code"]) == ("unverified", None, True)
    assert re.fullmatch(r"\d{6}", sent_code(EMAIL))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"category": "khong-co"}, "category"),
        ({"agency": "KHONGCO"}, "agency"),
        ({"kind": "complaint"}, "kind"),
        ({"subject": "Hi"}, "subject"),
        ({"body": "Quá ngắn"}, "body"),
        ({"email": "not-an-address"}, "email"),
        ({"email": "", "phone": ""}, "phone"),
        ({"dossier": "000.00.00.H26-261201-0001"}, "dossier"),
    ],
)
def test_a_wrong_field_is_a_400_naming_it(client, agency, change, field):
    data = {
        "kind": "feedback",
        "category": CATEGORY,
        "agency": "UBLB",
        "subject": SUBJECT,
        "body": BODY,
        "name": "Trần Thị Riêng",
        "email": EMAIL,
        **change,
    }
    body = error_of(post(client, PUBLIC, data), 400, "invalid")
    assert field in body["data"], body
    assert not Feedback.objects.exists()


def test_the_errors_are_in_vietnamese(client, agency):
    data = {"kind": "feedback", "category": "khong-co", "agency": "UBLB", "subject": SUBJECT}
    data |= {"body": BODY, "name": "Trần Thị Riêng", "email": EMAIL}
    body = error_of(post(client, PUBLIC, data), 400, "invalid")
    assert body["data"]["category"] == ["Không có lĩnh vực phản ánh, kiến nghị nào mang mã này."]


def test_an_inactive_category_or_agency_is_refused(client, agency, other_agency):
    FeedbackCategory.objects.filter(code=CATEGORY).update(is_active=False)
    other_agency.is_active = False
    other_agency.save()
    base = {"kind": "feedback", "subject": SUBJECT, "body": BODY, "name": "An", "email": EMAIL}
    body = error_of(
        post(client, PUBLIC, {**base, "category": CATEGORY, "agency": "UBLB"}), 400, "invalid"
    )
    assert "category" in body["data"]
    data = {**base, "category": "thai-do-phuc-vu", "agency": "UBBD"}
    assert "agency" in error_of(post(client, PUBLIC, data), 400, "invalid")["data"]


def test_someone_else_s_dossier_cannot_be_named(client, agency, sender):
    theirs = DossierFactory(agency=agency, code="000.00.00.H26-261201-0002")
    client.force_login(sender)
    data = {
        "kind": "feedback",
        "category": CATEGORY,
        "agency": "UBLB",
        "subject": SUBJECT,
        "body": BODY,
        "dossier": theirs.code,
    }
    assert "dossier" in error_of(post(client, PUBLIC, data), 400, "invalid")["data"]


def test_sending_is_limited_per_sender(client, agency, sender, settings):
    settings.EGOV_FEEDBACK_MAX_PER_HOUR = 1
    client.force_login(sender)
    data = {
        "kind": "feedback",
        "category": CATEGORY,
        "agency": "UBLB",
        "subject": SUBJECT,
        "body": BODY,
    }
    assert post(client, PUBLIC, data).status_code == 201
    error_of(post(client, PUBLIC, data), 429, "throttled")
    assert Feedback.objects.count() == 1


def test_the_public_posts_count_in_the_feedback_throttle_scope(client, agency, monkeypatch):
    monkeypatch.setattr(
        ScopedRateThrottle,
        "THROTTLE_RATES",
        {**ScopedRateThrottle.THROTTLE_RATES, "feedback": "2/min"},
    )
    data = {
        "kind": "feedback",
        "category": CATEGORY,
        "agency": "UBLB",
        "subject": SUBJECT,
        "body": BODY,
    }
    data |= {"name": "Trần Thị Riêng", "email": EMAIL}
    assert post(client, PUBLIC, data).status_code == 201
    assert post(client, "/api/v1/feedback/PA0000000000/confirm/", {}).status_code == 400
    response = post(client, PUBLIC, data)
    error_of(response, 429, "throttled")
    assert response.headers["Retry-After"]
    # Reading is not counted in the scope.
    assert client.get(PUBLIC).status_code == 200


def test_a_small_png_is_attached_and_a_text_file_refused(client, agency):
    data = {
        "kind": "feedback",
        "category": CATEGORY,
        "agency": "UBLB",
        "subject": SUBJECT,
        "body": BODY,
        "name": "Trần Thị Riêng",
        "email": EMAIL,
        "consent_publish": "true",
    }
    response = client.post(PUBLIC, {**data, "files": [png_file()]})
    assert response.status_code == 201, response.json()
    feedback = Feedback.objects.get(code=response.json()["code"])
    assert feedback.consent_publish is True
    attachment = FeedbackAttachment.objects.get(feedback=feedback)
    assert (attachment.original_name, attachment.content_type) == ("anh.png", "image/png")

    text = SimpleUploadedFile("ghi-chu.png", b"just some text\n", content_type="image/png")
    body = error_of(client.post(PUBLIC, {**data, "files": [text]}), 400, "file_type")
    assert "ghi-chu.png" in body["data"]["files"][0]
    assert Feedback.objects.count() == 1


# --- The anonymous sender's journey ------------------------------------------------------------


def test_send_confirm_track_answer_and_rate_once(
    client, agency, clerk, head, officer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            client,
            PUBLIC,
            {
                "kind": "feedback",
                "category": CATEGORY,
                "agency": "UBLB",
                "subject": SUBJECT,
                "body": BODY,
                "name": "Trần Thị Riêng",
                "email": EMAIL,
                "consent_publish": True,
            },
        )
    code = response.json()["code"]
    digits = sent_code(EMAIL)
    confirm = f"/api/v1/feedback/{code}/confirm/"

    # Nobody confirms it with the code alone: the contact must match.
    error_of(
        post(client, confirm, {"contact": "ai.do@example.vn", "confirmation_code": digits}),
        404,
        "not_found",
    )
    wrong = "000000" if digits != "000000" else "111111"
    body = error_of(
        post(client, confirm, {"contact": EMAIL, "confirmation_code": wrong}), 400, "invalid"
    )
    assert "confirmation_code" in body["data"]
    # Staff do not see it before it is confirmed.
    client.force_login(clerk)
    error_of(client.get(f"{STAFF}{code}/"), 404, "not_found")
    client.logout()

    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            client, confirm, {"contact": f" {EMAIL.upper()} ", "confirmation_code": digits}
        )
    assert response.status_code == 200, response.json()
    assert response.json()["step"] == "received"
    error_of(
        post(client, confirm, {"contact": EMAIL, "confirmation_code": digits}), 409, "conflict"
    )

    tracked = client.get(TRACK, {"code": code.lower(), "contact": EMAIL}).json()
    assert tracked["step"] == "received" and tracked["answer"] is None
    assert [s["step"] for s in tracked["steps"]] == ["received"]
    assert tracked["steps"][0]["step_label"]
    assert tracked["steps"][0]["due_on"] == tracked["step_due_on"]
    assert tracked["may_rate"] is False
    error_of(
        post(client, f"/api/v1/feedback/{code}/rating/", {"score": 5, "contact": EMAIL}),
        409,
        "conflict",
    )

    client.force_login(clerk)
    assert post(client, f"{STAFF}{code}/accept/").json()["step"] == "accepted"
    client.force_login(head)
    assert (
        post(client, f"{STAFF}{code}/assign/", {"officer": str(officer.pk)}).json()["step"]
        == "assigned"
    )
    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, f"{STAFF}{code}/answer/", {"answer": ANSWER})
    assert response.json()["step"] == "answered"
    assert code in mail.outbox[-1].subject
    client.logout()

    tracked = client.get(TRACK, {"code": code, "contact": EMAIL}).json()
    assert tracked["answer"] == ANSWER and tracked["may_rate"] is True
    assert [s["step"] for s in tracked["steps"]] == ["received", "accepted", "assigned", "answered"]
    rating = f"/api/v1/feedback/{code}/rating/"
    error_of(post(client, rating, {"score": 5, "contact": "0900000000"}), 404, "not_found")
    error_of(post(client, rating, {"score": 6, "contact": EMAIL}), 400, "invalid")
    response = post(client, rating, {"score": 4, "contact": EMAIL})
    assert response.status_code == 200 and response.json()["rating"] == 4
    error_of(post(client, rating, {"score": 5, "contact": EMAIL}), 409, "already_rated")
    assert Feedback.objects.get(code=code).rating == 4


def test_a_new_code_replaces_the_old_one(client, agency, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        feedback = send(agency, FeedbackCategory.objects.get(code=CATEGORY))
    first = sent_code(EMAIL)
    resend = f"/api/v1/feedback/{feedback.code}/resend-code/"
    error_of(post(client, resend, {"contact": "ai.do@example.vn"}), 404, "not_found")
    error_of(post(client, resend, {}), 400, "invalid")
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, resend, {"contact": EMAIL})
    assert response.status_code == 204
    second = sent_code(EMAIL)
    confirm = f"/api/v1/feedback/{feedback.code}/confirm/"
    if first != second:
        error_of(
            post(client, confirm, {"contact": EMAIL, "confirmation_code": first}), 400, "invalid"
        )
    assert post(client, confirm, {"contact": EMAIL, "confirmation_code": second}).status_code == 200
    error_of(post(client, resend, {"contact": EMAIL}), 409, "conflict")


def test_five_wrong_codes_and_the_right_one_no_longer_works(
    client, agency, category, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        feedback = send(agency, category)
    digits = sent_code(EMAIL)
    wrong = "000000" if digits != "000000" else "111111"
    confirm = f"/api/v1/feedback/{feedback.code}/confirm/"
    for _ in range(services.CODE_ATTEMPTS):
        error_of(
            post(client, confirm, {"contact": EMAIL, "confirmation_code": wrong}), 400, "invalid"
        )
    error_of(post(client, confirm, {"contact": EMAIL, "confirmation_code": digits}), 400, "invalid")
    assert Feedback.objects.get(pk=feedback.pk).step == "unverified"


def test_asking_for_codes_is_limited(client, agency, settings):
    feedback = send(agency, FeedbackCategory.objects.get(code=CATEGORY))
    settings.EGOV_FEEDBACK_MAX_PER_HOUR = 2
    resend = f"/api/v1/feedback/{feedback.code}/resend-code/"
    assert [post(client, resend, {"contact": EMAIL}).status_code for _ in range(2)] == [204, 204]
    error_of(post(client, resend, {"contact": EMAIL}), 429, "throttled")


def test_tracking_with_a_wrong_contact_is_the_same_404_as_an_unknown_code(client, agency, category):
    feedback = send(agency, category, phone="+84 912 345 678", email="")
    assert client.get(TRACK, {"code": feedback.code, "contact": "0912345678"}).status_code == 200
    wrong = client.get(TRACK, {"code": feedback.code, "contact": "0912345679"})
    unknown = client.get(TRACK, {"code": "PA0000000000", "contact": "0912345678"})
    assert error_of(wrong, 404, "not_found") == error_of(unknown, 404, "not_found")
    assert SUBJECT not in wrong.content.decode()
    error_of(client.get(TRACK, {"code": feedback.code}), 400, "invalid")


# --- Signed-in senders ---------------------------------------------------------------------------


def test_my_feedback_is_mine_only(client, agency, category, sender):
    mine = send(agency, category, user=sender)
    send(agency, category, user=UserFactory())
    send(agency, category)
    error_of(client.get(MINE), 403, "not_authenticated")
    client.force_login(sender)
    body = client.get(MINE).json()
    assert [r["code"] for r in body["results"]] == [mine.code]
    assert body["results"][0]["steps"][0]["step"] == "received"


def test_a_signed_in_sender_rates_their_own_without_a_contact(
    client, agency, category, sender, clerk, head, officer
):
    feedback = answered(agency, category, user=sender, clerk=clerk, head=head, officer=officer)
    rating = f"/api/v1/feedback/{feedback.code}/rating/"
    client.force_login(UserFactory())
    error_of(post(client, rating, {"score": 1}), 404, "not_found")
    client.force_login(sender)
    assert post(client, rating, {"score": 5}).json()["rating"] == 5
    error_of(post(client, rating, {"score": 5}), 409, "already_rated")


# --- The public list --------------------------------------------------------------------------


def test_the_public_list_shows_only_what_was_published(
    client, agency, category, sender, clerk, head, officer
):
    feedback = answered(agency, category, user=sender, clerk=clerk, head=head, officer=officer)
    answered(
        agency, category, user=sender, clerk=clerk, head=head, officer=officer
    )  # not published
    client.force_login(head)
    response = post(
        client,
        f"{STAFF}{feedback.code}/publish/",
        {"public_summary": PUBLIC_SUMMARY, "public_answer": PUBLIC_ANSWER},
    )
    assert response.status_code == 200 and response.json()["step"] == "published"
    client.logout()

    response = client.get(PUBLIC)
    body = response.json()
    assert body["count"] == 1
    row = body["results"][0]
    assert set(row) == {
        "code",
        "kind",
        "category",
        "agency",
        "summary",
        "answer",
        "published_at",
        "rating",
    }
    assert row["category"] == {"code": CATEGORY, "name": category.name}
    assert row["agency"] == {"code": "UBLB", "name": "UBND phường Long Biên"}
    assert (row["summary"], row["answer"]) == (PUBLIC_SUMMARY, PUBLIC_ANSWER)
    text = response.content.decode()
    for private in (sender.full_name, sender.email, SUBJECT, "0987654321", ANSWER, "attachments"):
        assert private not in text
    # Accents aside, every word must match.
    assert client.get(PUBLIC, {"q": "tre hen khai sinh"}).json()["count"] == 1
    assert client.get(PUBLIC, {"q": "tre hen ket hon"}).json()["count"] == 0


def test_the_public_list_costs_the_same_queries_for_3_or_15(
    client, agency, other_agency, django_assert_max_num_queries
):
    categories = list(FeedbackCategory.objects.all())
    for n in range(3):
        published_row([agency, other_agency][n % 2], categories[n % 4], n)
    with CaptureQueriesContext(connection) as few:
        assert client.get(PUBLIC).json()["count"] == 3
    for n in range(3, 15):
        published_row([agency, other_agency][n % 2], categories[n % 4], n)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(PUBLIC).json()["results"]) == 15
    assert len(few.captured_queries) == len(many.captured_queries)
    with django_assert_max_num_queries(4):
        client.get(PUBLIC)


# --- The back office -----------------------------------------------------------------------------


def test_citizens_and_visitors_are_refused_the_back_office(client, agency, category, sender):
    feedback = send(agency, category, user=sender)
    error_of(client.get(STAFF), 403, "not_authenticated")
    client.force_login(sender)
    error_of(client.get(STAFF), 403, "forbidden")
    error_of(client.get(f"{STAFF}{feedback.code}/"), 403, "forbidden")
    error_of(post(client, f"{STAFF}{feedback.code}/accept/"), 403, "forbidden")


def test_another_agency_s_feedback_is_404(client, agency, other_agency, category, sender):
    feedback = send(agency, category, user=sender)
    send(other_agency, category, user=sender)
    foreign_head = staff(other_agency, Role.HEAD)
    client.force_login(foreign_head)
    assert [r["agency"]["code"] for r in client.get(STAFF).json()["results"]] == ["UBBD"]
    error_of(client.get(f"{STAFF}{feedback.code}/"), 404, "not_found")
    for step, data in (
        ("accept", {}),
        ("refuse", {"reason": "Không thuộc thẩm quyền của phường."}),
        ("assign", {"officer": str(foreign_head.pk)}),
        ("answer", {"answer": ANSWER}),
        ("publish", {"public_summary": PUBLIC_SUMMARY, "public_answer": PUBLIC_ANSWER}),
    ):
        error_of(post(client, f"{STAFF}{feedback.code}/{step}/", data), 404, "not_found")
    assert Feedback.objects.get(pk=feedback.pk).step == "received"


def test_the_queue_is_filtered(client, agency, category, sender, clerk):
    received = send(agency, category, user=sender)
    late = send(agency, category, user=sender)
    Feedback.objects.filter(pk=late.pk).update(
        step_due_on=timezone.localdate() - dt.timedelta(days=3)
    )
    accepted = send(agency, category, user=sender)
    services.feedback_accept(user=clerk, feedback=accepted)
    send(agency, category)  # unverified: never in the queue
    client.force_login(clerk)
    body = client.get(STAFF).json()
    assert body["count"] == 3
    assert body["results"][0]["code"] == late.code and body["results"][0]["is_late"] is True
    assert [r["code"] for r in client.get(STAFF, {"late": "true"}).json()["results"]] == [late.code]
    assert {r["code"] for r in client.get(STAFF, {"step": "received"}).json()["results"]} == {
        received.code,
        late.code,
    }
    assert client.get(STAFF, {"agency": "UBBD"}).json()["count"] == 0
    assert "step" in error_of(client.get(STAFF, {"step": "unverified"}), 400, "invalid")["data"]


def test_the_queue_costs_the_same_queries_for_3_or_15(client, agency, category, sender, head):
    for _ in range(3):
        send(agency, category, user=sender)
    client.force_login(head)
    with CaptureQueriesContext(connection) as few:
        client.get(STAFF)
    for _ in range(12):
        send(agency, category, user=sender)
    with CaptureQueriesContext(connection) as many:
        assert client.get(STAFF).json()["count"] == 15
    assert len(few.captured_queries) == len(many.captured_queries)


def test_the_detail_shows_the_sender_history_and_the_steps_open(
    client, agency, category, sender, clerk, officer
):
    dossier = DossierFactory(applicant=sender, agency=agency, code="000.00.00.H26-261201-0003")
    feedback = send(agency, category, user=sender, dossier=dossier, files=[png_file()])
    client.force_login(clerk)
    body = client.get(f"{STAFF}{feedback.code}/").json()
    assert body["sender"] == {
        "name": "Trần Thị Riêng",
        "phone": sender.phone,
        "email": sender.email,
        "has_account": True,
    }
    assert body["dossier"] == dossier.code and body["body"] == BODY
    assert [a["original_name"] for a in body["attachments"]] == ["anh.png"]
    assert [e["step"] for e in body["events"]] == ["received"]
    assert body["actions"] == ["accept", "refuse"]
    client.force_login(officer)
    assert client.get(f"{STAFF}{feedback.code}/").json()["actions"] == []


def test_the_steps_answer_with_the_services_codes(
    client, agency, other_agency, category, sender, clerk, officer, head
):
    feedback = send(agency, category, user=sender, consent=False)
    url = f"{STAFF}{feedback.code}"
    client.force_login(officer)
    error_of(post(client, f"{url}/accept/"), 403, "forbidden")
    client.force_login(clerk)
    assert (
        "reason"
        in error_of(post(client, f"{url}/refuse/", {"reason": "Ngắn"}), 400, "invalid")["data"]
    )
    error_of(post(client, f"{url}/assign/", {"officer": str(officer.pk)}), 403, "forbidden")
    assert post(client, f"{url}/accept/").status_code == 200
    error_of(post(client, f"{url}/accept/"), 409, "conflict")
    error_of(post(client, f"{url}/refuse/", {"reason": "Không thuộc thẩm quyền."}), 409, "conflict")

    client.force_login(head)
    assert post(client, f"{url}/").status_code == 405
    assert (
        "officer"
        in error_of(post(client, f"{url}/assign/", {"officer": "x"}), 400, "invalid")["data"]
    )
    stranger = staff(other_agency, Role.OFFICER)
    body = error_of(post(client, f"{url}/assign/", {"officer": str(stranger.pk)}), 400, "invalid")
    assert "officer" in body["data"]
    body = post(client, f"{url}/assign/", {"officer": str(officer.pk)}).json()
    assert body["assigned_to"]["id"] == str(officer.pk) and "answer" in body["actions"]

    client.force_login(clerk)
    error_of(post(client, f"{url}/answer/", {"answer": ANSWER}), 403, "forbidden")
    client.force_login(officer)
    assert (
        "answer"
        in error_of(post(client, f"{url}/answer/", {"answer": "Ngắn"}), 400, "invalid")["data"]
    )
    assert post(client, f"{url}/answer/", {"answer": ANSWER}).json()["answer"] == ANSWER
    error_of(post(client, f"{url}/answer/", {"answer": ANSWER}), 409, "conflict")
    data = {"public_summary": PUBLIC_SUMMARY, "public_answer": PUBLIC_ANSWER}
    error_of(post(client, f"{url}/publish/", data), 403, "forbidden")
    client.force_login(head)
    # The sender did not agree to publish it.
    error_of(post(client, f"{url}/publish/", data), 409, "conflict")


def test_refusing_tells_the_reason_to_the_sender(client, agency, category, sender, clerk):
    feedback = send(agency, category, user=sender)
    client.force_login(clerk)
    reason = "Nội dung không thuộc thẩm quyền của phường."
    assert (
        post(client, f"{STAFF}{feedback.code}/refuse/", {"reason": reason}).json()["step"]
        == "refused"
    )
    client.force_login(sender)
    row = client.get(MINE).json()["results"][0]
    assert (row["step"], row["refused_reason"]) == ("refused", reason)


def test_publishing_checks_the_texts(client, agency, category, sender, clerk, head, officer):
    feedback = answered(agency, category, user=sender, clerk=clerk, head=head, officer=officer)
    client.force_login(head)
    url = f"{STAFF}{feedback.code}/publish/"
    body = error_of(
        post(client, url, {"public_summary": "x", "public_answer": PUBLIC_ANSWER}), 400, "invalid"
    )
    assert "public_summary" in body["data"]
    assert (
        "public_answer"
        in error_of(post(client, url, {"public_summary": PUBLIC_SUMMARY}), 400, "invalid")["data"]
    )
