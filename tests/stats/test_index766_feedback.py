"""The feedback criteria of the Decision 766 satisfaction group (4.2 answered
on time, 4.3 answers rated 4 or 5), counted by hand, their drill-down, and a
new version of the figures when a feedback is rated."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from engagement.models import Feedback, FeedbackCategory
from stats import figures, index766
from stats.figures import Filters
from tests.stats.test_dashboard import PERIOD, staff
from tests.stats.test_figures import MAY, build, world  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def answered(agency, code, *, on, on_time, rating=None):
    """A feedback answered on day ``on`` (at 10:00 local time)."""
    at = timezone.make_aware(dt.datetime.combine(on, dt.time(10)))
    return Feedback.objects.create(
        code=code,
        kind=Feedback.Kind.FEEDBACK,
        category=FeedbackCategory.objects.get(code="giai-quyet-ho-so"),
        agency=agency,
        sender_name="Người gửi",
        sender_email="nguoigui@example.vn",
        subject="Hồ sơ trễ hẹn",
        body="Hồ sơ của tôi bị trễ hẹn ba ngày mà không có thư xin lỗi.",
        step=Feedback.Step.ANSWERED,
        received_at=at - dt.timedelta(days=10),
        answer="Cơ quan đã kiểm tra và xin lỗi ông/bà.",
        answered_at=at,
        answered_on_time=on_time,
        rating=rating,
    )


def test_the_feedback_criteria_equal_the_hand_count(world):  # noqa: F811
    build(world)
    a = world["a"]
    # Ward A, answered in the period: one on time rated 5, one late rated 2,
    # one late not rated; answered in June (outside the period): not counted.
    answered(a, "PA2605AAAAA1", on=dt.date(2026, 5, 4), on_time=True, rating=5)
    answered(a, "PA2605AAAAA2", on=dt.date(2026, 5, 11), on_time=False, rating=2)
    answered(a, "PA2605AAAAA3", on=dt.date(2026, 5, 12), on_time=False)
    answered(a, "PA2606AAAAA4", on=dt.date(2026, 6, 2), on_time=False, rating=1)
    scores = {s.code: s for s in index766.scores(MAY)}
    criteria = {c.criterion.code: c for g in scores["UBA"].groups for c in g.criteria}
    # 4.1 dossier ratings: one, 5 (12 of 12); 4.2: 1 of 3 on time (1 of 3);
    # 4.3: 1 of 2 rated 4 or 5 (1.5 of 3).
    assert (criteria["4.2"].part, criteria["4.2"].whole) == (1, 3)
    assert criteria["4.2"].points == Decimal("1.00")
    assert (criteria["4.3"].part, criteria["4.3"].whole) == (1, 2)
    assert criteria["4.3"].points == Decimal("1.50")
    assert scores["UBA"].groups[3].points == Decimal("14.50")
    # Ward A's total: the hand count of test_index766 (52.34) less 2 + 1.5.
    assert scores["UBA"].total == Decimal("52.34") - Decimal("3.50")
    # Ward B has no feedback: nothing to count, full points.
    ward_b = {c.criterion.code: c for g in scores["UBB"].groups for c in g.criteria}
    assert ward_b["4.2"].points == Decimal("3") and ward_b["4.3"].points == Decimal("3")
    # A procedure filter: feedback is about an agency, not a procedure.
    one_procedure = Filters(start=MAY.start, end=MAY.end, procedure=world["full"].code)
    assert index766.engagements(one_procedure) == {}


def test_the_drill_down_lists_the_feedback_that_cost_points(client, world):  # noqa: F811
    a, b = world["a"], world["b"]
    answered(a, "PA2605LATE01", on=dt.date(2026, 5, 11), on_time=False, rating=5)
    answered(a, "PA2605GOOD01", on=dt.date(2026, 5, 11), on_time=True, rating=2)
    answered(b, "PA2605OTHER1", on=dt.date(2026, 5, 11), on_time=False)
    client.force_login(staff(a))
    late = client.get(reverse("stats:feedback-drill", args=["feedback_late"]), PERIOD)
    html = late.content.decode()
    assert late.status_code == 200
    assert "PA2605LATE01" in html and "PA2605GOOD01" not in html
    assert "PA2605OTHER1" not in html  # ward B's: not the head's jurisdiction
    assert "nguoigui@example.vn" not in html and "Người gửi" not in html
    rated = client.get(reverse("stats:feedback-drill", args=["feedback_unsatisfied"]), PERIOD)
    assert "PA2605GOOD01" in rated.content.decode()
    assert "PA2605LATE01" not in rated.content.decode()
    assert client.get(reverse("stats:feedback-drill", args=["everything"])).status_code == 404
    index = client.get(reverse("stats:index766"), PERIOD).content.decode()
    assert reverse("stats:feedback-drill", args=["feedback_late"]) in index


def test_rating_a_feedback_makes_a_new_version_of_the_figures(
    world,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    from engagement import feedback as services

    item = answered(world["a"], "PA2605RATE01", on=dt.date(2026, 5, 11), on_time=True)
    before = figures.version()
    with django_capture_on_commit_callbacks(execute=True):
        services.feedback_rate(feedback=item, score=4)
    assert figures.version() != before


def test_the_feedback_drill_down_costs_the_same_queries_as_rows_grow(client, world):  # noqa: F811
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    a = world["a"]
    client.force_login(staff(a))
    url = reverse("stats:feedback-drill", args=["feedback_late"])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, PERIOD).status_code == 200
        return len(queries)

    answered(a, "PA2605MANY00", on=dt.date(2026, 5, 11), on_time=False)
    client.get(url, PERIOD)  # warm: the choices and figures cached
    few = count()
    for n in range(1, 8):
        answered(a, f"PA2605MANY{n:02d}", on=dt.date(2026, 5, 11), on_time=False)
    assert count() == few
