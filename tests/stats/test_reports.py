"""The monthly PDF report of an agency and the weekly e-mail to the heads who
asked for it, against the hand-counted fixture of test_figures."""

import datetime as dt
import io

import pypdf
import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from citizens.models import Role
from stats import reports
from stats.models import ReportSubscription
from tests.conftest import enrol_totp
from tests.factories import MembershipFactory, UserFactory
from tests.stats import test_figures
from tests.stats.test_figures import build

pytestmark = pytest.mark.django_db

world = test_figures.world  # the hand-counted fixture
PUBLIC = "https://dichvucong.example.vn"


def head_of(agency, **user):
    membership = MembershipFactory(agency=agency, role=Role.HEAD, user=UserFactory(**user))
    enrol_totp(membership.user)
    return membership.user


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)


# --- The monthly report --------------------------------------------------------------------


def test_the_monthly_report_is_a_pdf_with_the_agency_and_its_figures(client, world):
    build(world)
    client.force_login(head_of(world["a"]))

    response = client.get(reverse("stats:report-monthly", args=["UBA", 2026, 5]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="bao-cao-thang-UBA-2026-05.pdf"' in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")
    text = " ".join(pdf_text(response.content).split())
    assert "UBND PHƯỜNG A" in text.upper()
    assert "Tháng 5 năm 2026" in text
    # In May, A received the counter dossiers of 4 and 5 May (the online one
    # came on 28 April); it resolved two, one on time.
    assert "Tổng số hồ sơ tiếp nhận 2" in text
    assert "Trong đó đúng hạn: 1 (50,0%)" in text
    assert "Thời gian giải quyết trung bình: 4,0 ngày làm việc" in text
    assert "Quyết định 766" in text and "xếp hạng" in text
    assert "THỦ TRƯỞNG CƠ QUAN" in text.upper() and "(ký, ghi rõ họ tên)" in text


def test_the_report_costs_the_same_number_of_queries_whatever_the_dossiers(client, world):
    client.force_login(head_of(world["a"]))
    path = reverse("stats:report-monthly", args=["UBA", 2026, 5])

    with CaptureQueriesContext(connection) as empty:
        assert client.get(path).status_code == 200
    build(world)
    with CaptureQueriesContext(connection) as full:
        assert client.get(path).status_code == 200

    assert len(full) == len(empty)


def test_the_report_of_another_agency_or_an_unknown_one_is_refused_alike(client, world):
    build(world)
    client.force_login(head_of(world["a"]))

    foreign = client.get(reverse("stats:report-monthly", args=["UBB", 2026, 5]))
    unknown = client.get(reverse("stats:report-monthly", args=["NOPE", 2026, 5]))

    assert foreign.status_code == unknown.status_code == 403
    bad_month = client.get(reverse("stats:report-monthly", args=["UBA", 2026, 13]))
    assert bad_month.status_code == 404


def test_a_citizen_is_refused_the_report_and_an_anonymous_visitor_sent_to_sign_in(client, world):
    path = reverse("stats:report-monthly", args=["UBA", 2026, 5])
    assert client.get(path)["Location"].startswith(reverse("account_login"))
    client.force_login(UserFactory())
    assert client.get(path).status_code == 403


# --- The subscription page ------------------------------------------------------------------


def test_a_head_turns_the_weekly_email_on_and_off(client, world):
    head = head_of(world["a"])
    MembershipFactory(agency=world["b"], role=Role.CLERK, user=head)
    client.force_login(head)
    page = reverse("stats:subscription")

    html = client.get(page).text
    assert "UBND phường A" in html and "UBND phường B" not in html  # a clerk there only
    assert "Không nhận" in html

    response = client.post(page, {"agency": "UBA"}, follow=True)
    assert response.redirect_chain == [(page, 302)]
    assert "Bạn sẽ nhận thư điện tử hằng tuần của UBND phường A." in response.text
    assert ReportSubscription.objects.filter(user=head, agency=world["a"]).exists()
    assert "Đang nhận" in response.text

    client.post(page, {"agency": "UBA"})
    assert not ReportSubscription.objects.filter(user=head).exists()


def test_only_a_head_may_subscribe_and_only_with_the_csrf_token(world):
    clerk = MembershipFactory(agency=world["a"], role=Role.CLERK).user
    enrol_totp(clerk)
    client = Client(enforce_csrf_checks=True)
    client.force_login(clerk)
    page = reverse("stats:subscription")
    assert "bạn không là thủ trưởng của cơ quan nào" in client.get(page).text
    token = client.get(page).cookies.get("csrftoken")
    headers = {"HTTP_X_CSRFTOKEN": token.value} if token else {}
    assert client.post(page, {"agency": "UBA"}, **headers).status_code == 403

    head = head_of(world["a"])
    client.force_login(head)
    assert client.post(page, {"agency": "UBA"}).status_code == 403  # no token
    assert not ReportSubscription.objects.exists()


# --- The weekly e-mail ----------------------------------------------------------------------


TUESDAY = dt.date(2026, 5, 12)  # the week: 5-11 May; the one before: 28 April-4 May


def test_the_weekly_email_goes_once_to_each_opted_in_head_with_the_figures(settings, world):
    settings.EGOV_PUBLIC_BASE_URL = PUBLIC
    build(world)
    head_a = head_of(world["a"], email="truong.a@example.vn")
    head_b = head_of(world["b"], email="truong.b@example.vn")
    head_of(world["a"], email="khong.dang.ky@example.vn")  # did not opt in
    former = head_of(world["a"], email="cu@example.vn")
    for user, agency in ((head_a, "a"), (head_b, "b"), (former, "a")):
        reports.subscription_set(actor=user, agency=world[agency], subscribed=True)
    former.memberships.update(is_active=False)  # no longer the head

    assert reports.send_weekly(TUESDAY) == 2

    sent = {m.to[0]: m for m in mail.outbox}
    assert set(sent) == {"truong.a@example.vn", "truong.b@example.vn"}
    a = sent["truong.a@example.vn"]
    assert "UBND phường A" in a.subject and "05/05" in a.subject and "11/05/2026" in a.subject
    # A: in 5-11 May one received (withdrawn on the 7th), one resolved on
    # time, a supplement asked; in 28 April-4 May two received.
    assert "- Tiếp nhận: 1 (tuần trước: 2)" in a.body
    assert "- Đã giải quyết: 1 (tuần trước: 0)" in a.body
    assert "- Giải quyết đúng hạn: 1 (tuần trước: 0)" in a.body
    assert "- Yêu cầu bổ sung: 1 (tuần trước: 0)" in a.body
    assert "- Rút hồ sơ: 1 (tuần trước: 0)" in a.body
    assert "Đang quá hạn hôm nay: 0 hồ sơ." in a.body
    assert f"{PUBLIC}/statistics/" in a.body and "agency=UBA" in a.body
    ((html, kind),) = a.alternatives
    assert kind == "text/html" and "agency=UBA" in html and "<table" in html
    b = sent["truong.b@example.vn"]
    assert "- Tiếp nhận: 1 (tuần trước: 0)" in b.body
    assert "- Từ chối tiếp nhận: 1 (tuần trước: 0)" in b.body
    assert "Đang quá hạn hôm nay: 1 hồ sơ." in b.body  # due 8 May, still open
    assert ReportSubscription.objects.get(user=head_a).last_sent_on == TUESDAY


def test_the_weekly_email_is_not_sent_twice_in_a_week(world):
    head = head_of(world["a"])
    reports.subscription_set(actor=head, agency=world["a"], subscribed=True)

    assert reports.send_weekly(TUESDAY) == 1
    assert reports.send_weekly(TUESDAY) == 0
    assert reports.send_weekly(TUESDAY + dt.timedelta(days=6)) == 0
    assert reports.send_weekly(TUESDAY + dt.timedelta(days=7)) == 1
    assert len(mail.outbox) == 2


def test_the_weekly_task_sends_the_emails(world):
    from stats.tasks import send_weekly_reports

    head = head_of(world["a"])
    reports.subscription_set(actor=head, agency=world["a"], subscribed=True)

    assert send_weekly_reports.delay().get() == 1
    assert send_weekly_reports.delay().get() == 0
