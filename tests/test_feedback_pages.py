"""The feedback and recommendations' pages (engagement.views_feedback and
views_feedback_backoffice): the whole legal flow through the pages, an
anonymous sender confirming with the code sent to them and tracking, what is
kept and said when the input is wrong, the deadlines, the limits, and who is
refused what."""

from __future__ import annotations

import datetime as dt
import io
import re
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from citizens.models import Role, User
from engagement import feedback as services
from engagement.models import Feedback, FeedbackAttachment, FeedbackCategory
from onecounter.models import Notification
from tests.conftest import enrol_totp
from tests.factories import AgencyFactory, DossierFactory, MembershipFactory, UserFactory
from workdays.models import CalendarDay

pytestmark = pytest.mark.django_db

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
SUBJECT = "Trả kết quả khai sinh trễ hẹn"
BODY = (
    "Tôi nộp hồ sơ khai sinh cho con ngày 2/3, hẹn trả ngày 5/3 nhưng đến nay chưa có kết quả. "
    "Tôi là Phạm Thị Gửi, số điện thoại 0912000111."
)
ANSWER = "Hồ sơ của chị bị chậm do thiếu xác nhận của bệnh viện; phường đã liên hệ và trả kết quả."
PUBLIC_SUMMARY = "Người dân phản ánh hồ sơ khai sinh bị trả kết quả trễ hẹn."
PUBLIC_ANSWER = "Hồ sơ chậm do thiếu xác nhận của bệnh viện; phường đã trả kết quả và xin lỗi."


@pytest.fixture(autouse=True)
def _english_and_fresh_limits(client):
    """Assertions read the English texts; the limits' counters (Redis) start empty."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def category(db) -> FeedbackCategory:
    category, _ = FeedbackCategory.objects.get_or_create(
        code="giai-quyet-ho-so",
        defaults={"name": "Việc giải quyết hồ sơ", "about": "service", "order": 2},
    )
    return category


@pytest.fixture
def agency(db):
    return AgencyFactory(code="UBLB", name="UBND phường Long Biên")


@pytest.fixture
def other_agency(db):
    return AgencyFactory(code="UBBD", name="UBND phường Bồ Đề")


@pytest.fixture
def sender(db):
    return UserFactory(full_name="Phạm Thị Gửi", email="nguoigui@example.vn")


def staff(agency, role, **kwargs) -> User:
    user = MembershipFactory(agency=agency, role=role, **kwargs).user
    enrol_totp(user)
    return User.objects.get(pk=user.pk)


def as_user(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def form_data(category, to, **overrides) -> dict:
    """What the form posts: feedback in ``category`` to the agency ``to``."""
    data = {
        "kind": "feedback",
        "category": category.code,
        "agency": to.code,
        "subject": SUBJECT,
        "body": BODY,
        "consent_publish": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def field_error(html: str, name: str) -> str:
    match = re.search(rf'<p class="error-message" id="id_{name}_error">(.*?)</p>', html, re.S)
    return match.group(1) if match else ""


def png(name="anh.png") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def pdf(name="don.pdf", size=200) -> SimpleUploadedFile:
    head = b"%PDF-1.4\n"
    tail = b"\n%%EOF\n"
    return SimpleUploadedFile(
        name, head + b"0" * max(0, size - len(head) - len(tail)) + tail, "application/pdf"
    )


def sent(user, category, agency, **kwargs) -> Feedback:
    return services.feedback_send(
        user=user,
        kind="feedback",
        category=category,
        agency=agency,
        subject=SUBJECT,
        body=BODY,
        consent_publish=kwargs.pop("consent_publish", True),
        **kwargs,
    )


def answered(sender, category, agency) -> Feedback:
    head = staff(agency, Role.HEAD)
    item = sent(sender, category, agency)
    services.feedback_accept(user=head, feedback=item)
    services.feedback_assign(user=head, feedback=item, officer=head)
    return services.feedback_answer(user=head, feedback=item, answer=ANSWER)


# --- The whole legal flow ------------------------------------------------------------------


def test_the_legal_flow_through_the_pages_from_sending_to_publishing_and_rating(
    client, sender, category, agency, django_capture_on_commit_callbacks
):
    # Given a signed-in citizen with a dossier at the ward, and its clerk, head and officer.
    dossier = DossierFactory(applicant=sender, agency=agency, code="UBLB-260301-0001")
    clerk = staff(agency, Role.CLERK)
    head = staff(agency, Role.HEAD, user__full_name="Trưởng Phường")
    officer = staff(agency, Role.OFFICER, user__full_name="Cán Bộ Xử Lý")

    # When they send feedback linked to the dossier, leaving the agency to the dossier's.
    client.force_login(sender)
    form = client.get(reverse("feedback:new")).content.decode()
    assert "UBLB-260301-0001" in form and 'name="name"' not in form
    prefilled = client.get(reverse("feedback:new"), {"dossier": str(dossier.pk)}).content.decode()
    assert f'<option value="{dossier.pk}" selected>' in prefilled
    assert '<option value="UBLB" selected>' in prefilled
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("feedback:new"),
            form_data(category, agency, agency="", dossier=str(dossier.pk)),
            follow=True,
        )
    item = Feedback.objects.get()
    assert item.step == "received" and item.agency == agency and item.dossier == dossier
    assert item.sender == sender and item.sender_name == "Phạm Thị Gửi"
    assert response.redirect_chain[-1][0] == reverse("feedback:detail", args=[item.code])
    html = response.content.decode()
    assert item.code in html and item.step_due_on.strftime("%d/%m/%Y") in html
    assert Notification.objects.filter(user=sender, subject__contains=item.code).exists()
    assert (
        reverse("feedback:detail", args=[item.code])
        in client.get(reverse("feedback:mine")).content.decode()
    )

    # The clerk accepts it.
    clerk_client = as_user(clerk)
    queue = clerk_client.get(reverse("feedback:queue")).content.decode()
    assert f'data-feedback="{item.code}"' in queue
    page = clerk_client.get(reverse("feedback:staff-detail", args=[item.code])).content.decode()
    assert "Phạm Thị Gửi" in page and "nguoigui@example.vn" in page
    assert "UBLB-260301-0001" in page and 'id="form-accept"' in page
    assert 'id="form-assign"' not in page  # only the head assigns
    response = clerk_client.post(reverse("feedback:accept", args=[item.code]), follow=True)
    assert "is accepted" in response.content.decode()
    item.refresh_from_db()
    assert item.step == "accepted"

    # The head assigns it to the officer (a citizen is not among the choices).
    head_client = as_user(head)
    page = head_client.get(reverse("feedback:staff-detail", args=[item.code])).content.decode()
    assert "Cán Bộ Xử Lý" in page and "Phạm Thị Gửi</option>" not in page
    response = head_client.post(
        reverse("feedback:assign", args=[item.code]), {"officer": str(officer.pk)}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.step == "assigned" and item.assigned_to == officer

    # The officer answers: too short first, kept; then the answer.
    officer_client = as_user(officer)
    response = officer_client.post(reverse("feedback:answer", args=[item.code]), {"answer": "Đã"})
    assert response.status_code == 400
    assert field_error(response.content.decode(), "answer")
    assert "Đã</textarea>" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        officer_client.post(reverse("feedback:answer", args=[item.code]), {"answer": ANSWER})
    item.refresh_from_db()
    assert item.step == "answered" and item.answer == ANSWER

    # The head publishes, edited; the form was prefilled with the original texts.
    page = head_client.get(reverse("feedback:staff-detail", args=[item.code])).content.decode()
    assert 'id="form-publish"' in page and "0912000111" in page  # the body, to be edited
    head_client.post(
        reverse("feedback:publish", args=[item.code]),
        {"public_summary": PUBLIC_SUMMARY, "public_answer": PUBLIC_ANSWER},
    )
    item.refresh_from_db()
    assert item.step == "published"

    # Then the public page shows the edited texts only.
    public = Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("feedback:home")).content.decode()
    assert PUBLIC_SUMMARY in public and PUBLIC_ANSWER in public
    for secret in ("Phạm Thị Gửi", "nguoigui@example.vn", "0912000111", ANSWER, SUBJECT):
        assert secret not in public, secret
    assert (category.name_en or category.name) in public and "UBND phường Long Biên" in public
    found = Client().get(reverse("feedback:home"), {"q": "tre hen khai sinh"}).content.decode()
    assert PUBLIC_SUMMARY in found
    missed = Client().get(reverse("feedback:home"), {"q": "ho chieu"}).content.decode()
    assert PUBLIC_SUMMARY not in missed

    # And the sender reads the answer and the timeline, and rates it once.
    page = client.get(reverse("feedback:detail", args=[item.code])).content.decode()
    assert ANSWER in page and 'data-testid="rate-form"' in page
    assert page.count('class="timeline__step"') == 5  # received → published
    response = client.post(reverse("feedback:rate", args=[item.code]), {"score": "4"}, follow=True)
    item.refresh_from_db()
    assert item.rating == 4 and "4 out of 5" in response.content.decode()
    response = client.post(reverse("feedback:rate", args=[item.code]), {"score": "1"}, follow=True)
    item.refresh_from_db()
    assert item.rating == 4 and "You rated this answer already." in response.content.decode()


def test_a_rating_out_of_range_is_refused_next_to_the_field(client, sender, category, agency):
    item = answered(sender, category, agency)
    client.force_login(sender)
    response = client.post(reverse("feedback:rate", args=[item.code]), {"score": "9"})
    assert response.status_code == 400 and field_error(response.content.decode(), "score")


# --- An anonymous sender -------------------------------------------------------------------


def mailed_code() -> str:
    match = re.search(r"\b(\d{6})\b", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


def test_an_anonymous_sender_confirms_with_the_mailed_code_and_tracks_it(
    client, category, agency, django_capture_on_commit_callbacks
):
    data = form_data(
        category,
        agency,
        name="Lê Văn Khách",
        phone="",
        email="khach@example.vn",
        consent_publish=None,
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("feedback:new"), data)
    item = Feedback.objects.get()
    assert item.step == "unverified" and item.sender is None
    assert response["Location"] == reverse("feedback:confirm", args=[item.code])
    assert mail.outbox[-1].to == ["khach@example.vn"] and item.code in mail.outbox[-1].body
    code = mailed_code()

    # Not with someone else's browser.
    stranger = Client()
    assert stranger.get(reverse("feedback:confirm", args=[item.code])).status_code == 404
    assert (
        stranger.post(reverse("feedback:confirm", args=[item.code]), {"code": code}).status_code
        == 404
    )
    assert stranger.get(reverse("feedback:detail", args=[item.code])).status_code == 404

    page = client.get(reverse("feedback:confirm", args=[item.code])).content.decode()
    assert "k***@example.vn" in page and "khach@example.vn" not in page
    wrong = "000000" if code != "000000" else "111111"
    response = client.post(reverse("feedback:confirm", args=[item.code]), {"code": wrong})
    assert response.status_code == 400 and "4 tries left" in field_error(
        response.content.decode(), "code"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("feedback:confirm", args=[item.code]), {"code": code}, follow=True
        )
    item.refresh_from_db()
    assert item.step == "received" and item.step_due_on is not None
    assert response.redirect_chain[-1][0] == reverse("feedback:detail", args=[item.code])
    assert item.code in response.content.decode()

    # Tracking from another browser: the code and the e-mail address, as typed.
    visitor = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = visitor.post(
        reverse("feedback:track"), {"code": item.code.lower(), "contact": " Khach@Example.vn "}
    )
    assert response["Location"] == reverse("feedback:detail", args=[item.code])
    page = visitor.get(reverse("feedback:detail", args=[item.code])).content.decode()
    assert "Trả kết quả khai sinh trễ hẹn" in page and 'data-step="received"' in page

    # A wrong contact answers exactly as an unknown code.
    other = Client(HTTP_ACCEPT_LANGUAGE="en")
    wrong_contact = other.post(
        reverse("feedback:track"), {"code": item.code, "contact": "ai@example.vn"}
    )
    unknown = other.post(
        reverse("feedback:track"), {"code": "PA2612ZZZZZZ", "contact": "khach@example.vn"}
    )
    assert wrong_contact.status_code == unknown.status_code == 404

    def message(response) -> str:
        return re.search(
            r'<ul class="error-summary__list">(.*?)</ul>', response.content.decode(), re.S
        ).group(1)

    assert message(wrong_contact) == message(unknown)
    assert "No feedback matches" in message(unknown)
    assert "ai@example.vn" not in wrong_contact.content.decode()  # the contact is not echoed
    assert other.get(reverse("feedback:detail", args=[item.code])).status_code == 404


def test_a_new_code_can_be_asked_for_and_the_old_one_stops_working(
    client, category, agency, django_capture_on_commit_callbacks
):
    data = form_data(category, agency, name="Lê Văn Khách", email="khach@example.vn")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("feedback:new"), data)
    item = Feedback.objects.get()
    first = mailed_code()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("feedback:resend", args=[item.code]), follow=True)
    assert len(mail.outbox) == 2 and "A new code was sent" in response.content.decode()
    second = mailed_code()
    if first != second:
        client.post(reverse("feedback:confirm", args=[item.code]), {"code": first})
        item.refresh_from_db()
        assert item.step == "unverified"
    client.post(reverse("feedback:confirm", args=[item.code]), {"code": second})
    item.refresh_from_db()
    assert item.step == "received"
    assert Client().post(reverse("feedback:resend", args=[item.code])).status_code == 404


def test_an_anonymous_sender_must_give_a_name_and_a_phone_or_email(client, category, agency):
    response = client.post(reverse("feedback:new"), form_data(category, agency, name="Lê Văn"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Give a phone number or an e-mail address" in field_error(html, "phone")
    assert 'value="Lê Văn"' in html and Feedback.objects.count() == 0
    response = client.post(
        reverse("feedback:new"), form_data(category, agency, name="Lê Văn", email="khong-hop-le")
    )
    assert "Enter an e-mail address" in field_error(response.content.decode(), "email")


def test_wrong_tracking_guesses_are_throttled_by_client_address(
    client, settings, sender, category, agency
):
    settings.EGOV_TRACKING_MAX_FAILURES = 3
    item = sent(sender, category, agency)
    for n in range(3):
        response = client.post(
            reverse("feedback:track"), {"code": item.code, "contact": f"sai{n}@example.vn"}
        )
        assert response.status_code == 404
    response = client.post(
        reverse("feedback:track"), {"code": item.code, "contact": "nguoigui@example.vn"}
    )
    assert response.status_code == 429 and response["Retry-After"]
    # Another address is not held back.
    response = client.post(
        reverse("feedback:track"),
        {"code": "PA2612AAAAAA", "contact": "x@example.vn"},
        REMOTE_ADDR="10.1.2.3",
    )
    assert response.status_code == 404


# --- What is refused, and what is kept -------------------------------------------------------


def test_a_refusal_needs_a_reason_and_the_sender_reads_it(client, sender, category, agency):
    item = sent(sender, category, agency)
    clerk = as_user(staff(agency, Role.CLERK))
    response = clerk.post(reverse("feedback:refuse", args=[item.code]), {"reason": "  "})
    assert response.status_code == 400
    assert field_error(response.content.decode(), "reason")
    item.refresh_from_db()
    assert item.step == "received"
    reason = "Nội dung không thuộc thẩm quyền của phường; đề nghị gửi Sở Tư pháp."
    clerk.post(reverse("feedback:refuse", args=[item.code]), {"reason": reason})
    item.refresh_from_db()
    assert item.step == "refused" and item.refused_reason == reason
    client.force_login(sender)
    page = client.get(reverse("feedback:detail", args=[item.code])).content.decode()
    assert reason in page and 'data-testid="rate-form"' not in page
    # A step no longer possible is said, not a crash.
    response = clerk.post(reverse("feedback:accept", args=[item.code]), follow=True)
    assert "Not possible now" in response.content.decode()


def test_an_empty_subject_is_shown_next_to_it_with_everything_else_kept(
    client, sender, category, agency
):
    client.force_login(sender)
    response = client.post(reverse("feedback:new"), form_data(category, agency, subject=""))
    assert response.status_code == 400
    html = response.content.decode()
    assert "empty" in field_error(html, "subject")
    assert "0912000111.</textarea>" in html  # the body kept
    assert 'value="giai-quyet-ho-so" id="id_category_1" checked' in html or re.search(
        r'value="giai-quyet-ho-so"[^>]*checked', html
    )
    assert re.search(r'<option value="UBLB" selected>', html)
    assert Feedback.objects.count() == 0


def test_a_body_too_long_is_refused_with_what_was_typed(client, sender, category, agency):
    client.force_login(sender)
    body = "a" * 5001
    response = client.post(reverse("feedback:new"), form_data(category, agency, body=body))
    assert response.status_code == 400
    html = response.content.decode()
    assert "at most 5000" in field_error(html, "body") and "5001" in field_error(html, "body")
    assert body + "</textarea>" in html


def test_markup_is_stripped_and_never_rendered_raw(client, sender, category, agency):
    client.force_login(sender)
    body = BODY + " <script>alert('x')</script><b>đậm</b>"
    # Sent back (empty subject): what was typed comes back escaped.
    html = client.post(
        reverse("feedback:new"), form_data(category, agency, subject="", body=body)
    ).content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    client.post(reverse("feedback:new"), form_data(category, agency, body=body))
    item = Feedback.objects.get()
    assert "<script>" not in item.body and "<b>" not in item.body and "đậm" in item.body
    page = client.get(reverse("feedback:detail", args=[item.code])).content.decode()
    assert "<script>alert" not in page
    head_page = as_user(staff(agency, Role.HEAD)).get(
        reverse("feedback:staff-detail", args=[item.code])
    )
    assert "<script>alert" not in head_page.content.decode()


def test_an_oversized_attachment_is_refused_and_files_must_be_chosen_again(
    client, settings, sender, category, agency
):
    settings.EGOV_UPLOAD_MAX_BYTES = 1024 * 1024
    client.force_login(sender)
    data = form_data(category, agency, files=[png(), pdf("lon.pdf", size=1024 * 1024 + 10)])
    response = client.post(reverse("feedback:new"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "lon.pdf: The file is larger than 1 MB." in field_error(html, "files")
    assert 'data-testid="files-again"' in html and SUBJECT in html
    assert Feedback.objects.count() == 0 and FeedbackAttachment.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "content"),
    [("chuong-trinh.exe", b"MZ\x90\x00\x03\x00\x00\x00" * 20), ("ghi-chu.txt", b"Xin chao\n" * 5)],
)
def test_a_program_or_a_text_file_is_refused_with_a_clear_message(
    client, sender, category, agency, name, content
):
    client.force_login(sender)
    upload = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    response = client.post(reverse("feedback:new"), form_data(category, agency, files=[upload]))
    assert response.status_code == 400
    assert f"{name}: Only PDF, JPEG and PNG files can be uploaded." in field_error(
        response.content.decode(), "files"
    )
    assert Feedback.objects.count() == 0


def test_the_hourly_limit_refuses_the_third_with_what_was_typed_kept(
    client, settings, sender, category, agency
):
    settings.EGOV_FEEDBACK_MAX_PER_HOUR = 2
    client.force_login(sender)
    for _ in range(2):
        assert client.post(reverse("feedback:new"), form_data(category, agency)).status_code == 302
    response = client.post(
        reverse("feedback:new"), form_data(category, agency, subject="Lần thứ ba gửi phản ánh")
    )
    assert response.status_code == 429
    html = response.content.decode()
    assert "You have sent 2 in the last hour" in html
    assert 'value="Lần thứ ba gửi phản ánh"' in html
    assert Feedback.objects.count() == 2


# --- Attachments -------------------------------------------------------------------------------


def test_attachments_go_to_staff_only_as_downloads_never_on_public_pages(
    client, sender, category, agency
):
    client.force_login(sender)
    client.post(reverse("feedback:new"), form_data(category, agency, files=[png("anh-chup.png")]))
    item = Feedback.objects.get()
    attachment = item.attachments.get()
    assert attachment.content_type == "image/png"
    url = reverse("feedback:attachment", args=[item.code, attachment.pk])

    head_user = staff(agency, Role.HEAD)
    head = as_user(head_user)
    services.feedback_accept(user=head_user, feedback=item)
    page = head.get(reverse("feedback:staff-detail", args=[item.code])).content.decode()
    assert url in page and "anh-chup.png" in page
    response = head.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "anh-chup.png" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")

    # Never on the sender's or the public pages, and not for the sender, nor another agency.
    own = client.get(reverse("feedback:detail", args=[item.code])).content.decode()
    assert url not in own and "anh-chup.png" not in own
    assert client.get(url).status_code == 403
    assert as_user(staff(AgencyFactory(), Role.HEAD)).get(url).status_code == 404
    services.feedback_assign(user=head_user, feedback=item, officer=head_user)
    services.feedback_answer(user=head_user, feedback=item, answer=ANSWER)
    services.feedback_publish(
        user=head_user, feedback=item, public_summary=PUBLIC_SUMMARY, public_answer=PUBLIC_ANSWER
    )
    public = Client().get(reverse("feedback:home")).content.decode()
    assert PUBLIC_SUMMARY in public
    assert "anh-chup.png" not in public and "/files/" not in public


# --- Who sees what ---------------------------------------------------------------------------


def test_an_officer_sees_their_agencys_feedback_only(sender, category, agency, other_agency):
    ours = sent(sender, category, agency)
    theirs = sent(sender, category, other_agency)
    officer = as_user(staff(agency, Role.OFFICER))
    queue = officer.get(reverse("feedback:queue")).content.decode()
    assert f'data-feedback="{ours.code}"' in queue and theirs.code not in queue
    assert officer.get(reverse("feedback:staff-detail", args=[theirs.code])).status_code == 404
    assert officer.post(reverse("feedback:accept", args=[theirs.code])).status_code == 404
    # An officer may not accept (the clerk's or the head's step).
    assert officer.post(reverse("feedback:accept", args=[ours.code])).status_code == 403
    ours.refresh_from_db()
    assert ours.step == "received"


def test_citizens_and_staff_of_other_roles_are_refused_the_back_office(
    client, sender, category, agency
):
    item = sent(sender, category, agency)
    client.force_login(sender)
    assert client.get(reverse("feedback:queue")).status_code == 403
    assert client.get(reverse("feedback:staff-detail", args=[item.code])).status_code == 403
    statistician = as_user(staff(agency, Role.STATISTICIAN))
    assert statistician.get(reverse("feedback:queue")).status_code == 403
    anonymous = Client().get(reverse("feedback:queue"))
    assert anonymous.status_code == 302 and reverse("account_login") in anonymous["Location"]


def test_a_sender_cannot_open_someone_elses_feedback(client, sender, category, agency):
    item = sent(sender, category, agency)
    client.force_login(UserFactory())
    assert client.get(reverse("feedback:detail", args=[item.code])).status_code == 404
    assert (
        client.post(reverse("feedback:rate", args=[item.code]), {"score": "5"}).status_code == 404
    )
    assert item.code not in client.get(reverse("feedback:mine")).content.decode()


def test_the_queue_counts_flags_late_and_escalated_and_filters(sender, category, agency):
    late = sent(sender, category, agency)
    Feedback.objects.filter(pk=late.pk).update(step_due_on=dt.date(2026, 1, 5))
    services.escalate_late()
    on_time = sent(sender, category, agency)
    head = as_user(staff(agency, Role.HEAD))
    html = head.get(reverse("feedback:queue")).content.decode()
    assert re.search(r'data-count="open">.*?<strong[^>]*>2</strong>', html, re.S)
    assert re.search(r'data-count="late">.*?<strong[^>]*>1</strong>', html, re.S)
    row = re.search(rf'<tr data-feedback="{late.code}".*?</tr>', html, re.S).group(0)
    assert 'data-flag="late"' in row and 'data-flag="escalated"' in row
    row = re.search(rf'<tr data-feedback="{on_time.code}".*?</tr>', html, re.S).group(0)
    assert 'data-flag="late"' not in row
    filtered = head.get(reverse("feedback:queue"), {"late": "on"}).content.decode()
    assert late.code in filtered and on_time.code not in filtered
    by_step = head.get(reverse("feedback:queue"), {"step": "accepted"}).content.decode()
    assert late.code not in by_step and "No feedback matches these filters." in by_step


def test_the_queue_and_the_public_page_cost_the_same_queries_for_2_or_12_rows(
    sender, category, agency, django_assert_max_num_queries
):
    head_user = staff(agency, Role.HEAD)
    head = as_user(head_user)

    def publish_one():
        item = sent(UserFactory(), category, agency)
        services.feedback_accept(user=head_user, feedback=item)
        services.feedback_assign(user=head_user, feedback=item, officer=head_user)
        services.feedback_answer(user=head_user, feedback=item, answer=ANSWER)
        services.feedback_publish(
            user=head_user,
            feedback=item,
            public_summary=PUBLIC_SUMMARY,
            public_answer=PUBLIC_ANSWER,
        )

    for _ in range(2):
        publish_one()
    counts = {}
    for rows in (2, 12):
        while Feedback.objects.count() < rows:
            publish_one()
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queue_queries:
            assert head.get(reverse("feedback:queue")).status_code == 200
        with CaptureQueriesContext(connection) as public_queries:
            assert Client().get(reverse("feedback:home")).status_code == 200
        counts[rows] = (len(queue_queries), len(public_queries))
    assert counts[2] == counts[12]


# --- Deadlines -------------------------------------------------------------------------------


@pytest.fixture
def frozen(monkeypatch):
    def freeze(moment: dt.datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return freeze


def test_the_accept_deadline_counts_working_days_past_a_weekend_and_a_holiday(
    client, frozen, sender, category, agency
):
    # Given 3 working days to accept and Monday 9 March 2026 a day off, when sent
    # on Friday 6 March at 10:00, then the days are Tue 10, Wed 11, Thu 12 March.
    category.accept_days = 3
    category.save()
    CalendarDay.objects.update_or_create(
        date=dt.date(2026, 3, 9), defaults={"kind": CalendarDay.Kind.HOLIDAY, "name": "Nghỉ bù"}
    )
    client.force_login(sender)
    frozen(dt.datetime(2026, 3, 6, 10, 0, tzinfo=HANOI))
    response = client.post(reverse("feedback:new"), form_data(category, agency), follow=True)
    item = Feedback.objects.get()
    assert item.step_due_on == dt.date(2026, 3, 12)
    assert item.code.startswith("PA2603")
    assert "12/03/2026" in response.content.decode()
    event = item.events.get()
    assert event.step == "received" and event.due_on == dt.date(2026, 3, 12)
    # Without the holiday: Mon 9, Tue 10, Wed 11 March.
    CalendarDay.objects.filter(date=dt.date(2026, 3, 9)).delete()
    client.post(reverse("feedback:new"), form_data(category, agency))
    assert Feedback.objects.exclude(pk=item.pk).get().step_due_on == dt.date(2026, 3, 11)


def test_the_pages_speak_vietnamese_by_default(sender, category, agency):
    visitor = Client()
    home = visitor.get(reverse("feedback:home")).content.decode()
    assert '<html lang="vi">' in home
    assert "Phản ánh, kiến nghị" in home and "Mã tra cứu" in home
    form = visitor.get(reverse("feedback:new")).content.decode()
    assert "Gửi phản ánh, kiến nghị" in form and "Họ và tên" in form
    item = sent(sender, category, agency)
    Feedback.objects.filter(pk=item.pk).update(step_due_on=dt.date(2026, 1, 5))
    queue = as_user(staff(agency, Role.HEAD))
    queue.defaults.pop("HTTP_ACCEPT_LANGUAGE")
    assert "Quá hạn" in queue.get(reverse("feedback:queue")).content.decode()
