"""The demo's questions and feedback: every step present, late ones in the
queues, the public pages fed, and a second run changes nothing."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from engagement.models import Feedback, Question

pytestmark = pytest.mark.django_db


def test_seed_engagement_fills_every_step_once():
    call_command("seed_demo", persons=0)
    call_command("seed_engagement")
    today = timezone.localdate()
    statuses = set(Question.objects.values_list("status", flat=True))
    assert statuses == {"asked", "answered", "published"}
    assert Question.objects.filter(is_faq=True).count() == 2
    assert any(q.is_late(today) for q in Question.objects.filter(status="asked"))
    steps = set(Feedback.objects.values_list("step", flat=True))
    assert steps == {"received", "accepted", "assigned", "answered", "published", "refused"}
    assert any(f.is_late(today) for f in Feedback.objects.all())
    published = Feedback.objects.get(step="published")
    assert published.rating == 4 and published.search_text
    counts = (Question.objects.count(), Feedback.objects.count())
    call_command("seed_engagement")
    assert (Question.objects.count(), Feedback.objects.count()) == counts
