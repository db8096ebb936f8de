"""The feedback services (engagement.feedback) that the pages do not show
well: late feedback sent up to the agency head once, and the count of wrong
tries of the code sent to a sender without an account."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import translation

from citizens.models import Role, User
from egov.errors import ConflictError, ValidationFailed
from engagement import feedback as services
from engagement.models import ContactCode, Feedback, FeedbackCategory
from onecounter.models import Notification
from tests.factories import AgencyFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

BODY = "Tôi nộp hồ sơ khai sinh cho con ngày 2/3, hẹn trả ngày 5/3 nhưng chưa có kết quả."


@pytest.fixture(autouse=True)
def _english_and_fresh_limits():
    """Assertions read the English messages; the limits' counters start empty."""
    cache.clear()
    with translation.override("en"):
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


def staff(agency, role) -> User:
    return User.objects.get(pk=MembershipFactory(agency=agency, role=role).user.pk)


def send(category, agency, *, user=None, **contact) -> Feedback:
    return services.feedback_send(
        user=user,
        kind="recommendation",
        category=category,
        agency=agency,
        subject="Hồ sơ khai sinh trễ hẹn",
        body=BODY,
        **contact,
    )


# --- Late feedback, sent up to the head ----------------------------------------------------


def test_a_late_feedback_is_sent_up_to_the_agency_head_once(
    category, agency, django_capture_on_commit_callbacks
):
    # Given a feedback past its due day, one on time, and a head and a clerk of the agency.
    head = staff(agency, Role.HEAD)
    staff(agency, Role.CLERK)
    other_head = staff(AgencyFactory(), Role.HEAD)
    late = send(category, agency, user=UserFactory())
    on_time = send(category, agency, user=UserFactory())
    Feedback.objects.filter(pk=late.pk).update(step_due_on=dt.date(2026, 3, 2))
    before = list(Notification.objects.values_list("pk", flat=True))  # the senders' receipts
    notices = Notification.objects.exclude(pk__in=before)

    # When the periodic job runs on 4 March, then the late one is escalated: one notice to the head.
    with django_capture_on_commit_callbacks(execute=True):
        assert services.escalate_late(today=dt.date(2026, 3, 4)) == 1
    late.refresh_from_db()
    on_time.refresh_from_db()
    assert late.escalated_at is not None and on_time.escalated_at is None
    assert list(notices.values_list("user", flat=True)) == [head.pk]
    assert not Notification.objects.filter(user=other_head).exists()
    assert late.code in notices.get().body and "02/03/2026" in notices.get().body
    assert any(late.code in m.subject for m in mail.outbox)

    # And run again (or late): still one.
    escalated_at = late.escalated_at
    assert services.escalate_late(today=dt.date(2026, 3, 5)) == 0
    late.refresh_from_db()
    assert late.escalated_at == escalated_at and notices.count() == 1


def test_closed_or_unconfirmed_feedback_is_never_escalated(category, agency):
    staff(agency, Role.HEAD)
    refused = send(category, agency, user=UserFactory())
    services.feedback_refuse(
        user=staff(agency, Role.CLERK),
        feedback=refused,
        reason="Không thuộc thẩm quyền của phường.",
    )
    unverified = send(category, agency, name="Lê Văn Khách", email="khach@example.vn")
    Feedback.objects.filter(pk__in=[refused.pk, unverified.pk]).update(
        step_due_on=dt.date(2026, 3, 2)
    )
    assert services.escalate_late(today=dt.date(2026, 3, 4)) == 0


# --- The code sent to a sender without an account ----------------------------------------------


def sent_code() -> str:
    return re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)


def test_five_wrong_tries_expire_the_code_even_for_the_right_one(
    category, agency, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        item = send(category, agency, name="Lê Văn Khách", email="khach@example.vn")
    assert item.step == Feedback.Step.UNVERIFIED
    right = sent_code()
    wrong = "000000" if right != "000000" else "111111"
    assert right not in ContactCode.objects.get(feedback=item).code_hash  # only a hash is kept

    for left in (4, 3, 2, 1):
        with pytest.raises(ValidationFailed) as error:
            services.feedback_verify(feedback=item, code=wrong)
        assert f"{left} tries left" in str(error.value.message)
        assert error.value.data.keys() == {"code"}
    with pytest.raises(ValidationFailed) as error:
        services.feedback_verify(feedback=item, code=wrong)
    assert "expired" in str(error.value.message)
    assert ContactCode.objects.get(feedback=item).attempts == 5

    # The right code no longer works; a new code does.
    with pytest.raises(ValidationFailed, match="expired"):
        services.feedback_verify(feedback=item, code=right)
    item.refresh_from_db()
    assert item.step == Feedback.Step.UNVERIFIED
    with django_capture_on_commit_callbacks(execute=True):
        services.feedback_resend_code(feedback=item)
    assert ContactCode.objects.get(feedback=item).attempts == 0
    received = services.feedback_verify(feedback=item, code=sent_code())
    assert received.step == Feedback.Step.RECEIVED and received.step_due_on is not None
    with pytest.raises(ConflictError):
        services.feedback_verify(feedback=item, code=sent_code())


def test_an_invalid_email_address_is_refused_naming_the_field(category, agency):
    with pytest.raises(ValidationFailed) as error:
        send(category, agency, name="Lê Văn Khách", email="khach@")
    assert error.value.data.keys() == {"email"}
    assert Feedback.objects.count() == 0


# --- The categories, in the catalog administration ----------------------------------------


def test_a_catalog_administrator_sets_the_working_days_of_a_category(client, db):
    from django.urls import reverse

    from citizens.models import Role
    from engagement.models import FeedbackCategory
    from tests.conftest import enrol_totp
    from tests.factories import AgencyFactory, MembershipFactory

    category, _created = FeedbackCategory.objects.get_or_create(
        code="thai-do-phuc-vu",
        defaults={"name": "Thái độ phục vụ", "about": FeedbackCategory.About.SERVICE},
    )
    admin = MembershipFactory(agency=AgencyFactory(code="VPUBX"), role=Role.CATALOG_ADMIN).user
    officer = MembershipFactory(agency=AgencyFactory(code="UBXX"), role=Role.OFFICER).user
    for user in (admin, officer):
        enrol_totp(user)
    url = reverse("feedback:category", args=[category.code])
    client.force_login(officer)
    assert client.get(reverse("feedback:categories")).status_code == 403
    client.force_login(admin)
    listing = client.get(reverse("feedback:categories"))
    assert listing.status_code == 200 and category.name in listing.content.decode()
    data = {
        "name": "Thái độ, tác phong",
        "name_en": "Conduct",
        "accept_days": "4",
        "assign_days": "2",
        "answer_days": "0",
        "publish_days": "5",
        "is_active": "on",
    }
    refused = client.post(url, data)
    assert refused.status_code == 400
    assert "Thái độ, tác phong" in refused.content.decode()  # what was typed is kept
    category.refresh_from_db()
    assert category.answer_days == 10  # nothing saved
    saved = client.post(url, {**data, "answer_days": "15"})
    assert saved.status_code == 302
    category.refresh_from_db()
    assert (category.name, category.accept_days, category.answer_days) == (
        "Thái độ, tác phong",
        4,
        15,
    )
