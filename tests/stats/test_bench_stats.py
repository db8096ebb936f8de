"""The statistics benchmark's generator and measurements (bench/stats.py), on a
tiny run: no timing is asserted (performance is read from ``make bench``)."""

from __future__ import annotations

import pytest
from django.db.models import Count, Sum
from django.utils import timezone

from bench import stats as bench
from stats.models import DailyFigure, DossierFact

pytestmark = pytest.mark.django_db


@pytest.fixture
def fx():
    return bench.fixtures()


def test_the_generator_fills_every_cell_kind_with_a_mix_of_outcomes(fx):
    today = timezone.localdate()

    bench.generate(3000, fx, today=today)

    facts = DossierFact.objects.filter(code__startswith="BENCH-")
    assert facts.count() == 3000
    outcomes = dict(facts.values_list("outcome").annotate(n=Count("pk")))
    assert {"approved", "rejected", "refused", "withdrawn"} <= set(outcomes)
    assert outcomes["approved"] > outcomes["rejected"] > 0
    assert set(facts.values_list("channel", flat=True)) == set(bench.CHANNELS)
    assert facts.values("agency_id").distinct().count() == len(fx["agencies"]) == bench.AGENCIES
    assert facts.values("procedure_id").distinct().count() == bench.PROCEDURES
    resolved = facts.filter(resolved_on__isnull=False)
    late = resolved.filter(on_time=False).count()
    assert 0.05 < late / resolved.count() < 0.25
    assert facts.filter(apologised=True).exists() and facts.filter(rating__isnull=False).exists()
    assert not facts.filter(resolved_on__gt=today).exists()
    # Again: the same rows replace them (the same seed), not more.
    bench.generate(3000, fx, today=today)
    assert facts.count() == 3000
    assert dict(facts.values_list("outcome").annotate(n=Count("pk"))) == outcomes


def test_the_roll_up_of_the_generated_facts_equals_a_recount(fx):
    today = timezone.localdate()
    bench.generate(2000, fx, today=today)

    _seconds, cells = bench.roll_up(today=today)

    assert cells > 0
    sums = DailyFigure.objects.aggregate(r=Sum("received"), s=Sum("resolved"))
    facts = DossierFact.objects.filter(code__startswith="BENCH-")
    assert sums["r"] == facts.filter(received_on__isnull=False).count()
    assert sums["s"] == facts.filter(resolved_on__isnull=False).count()


def test_the_pages_cost_the_same_queries_at_two_sizes(fx):
    today = timezone.localdate()
    measured = []
    for n in (500, 3000):
        bench.generate(n, fx, today=today)
        bench.roll_up(today=today)

        counts = bench.query_counts(fx["statistician"])

        assert counts.pop("session_cookie")
        measured.append(counts)
    assert measured[0] == measured[1]
    assert measured[0]["queries_dashboard"] <= measured[0]["queries_dashboard_cold"]
    assert measured[0]["queries_public"] > 0 or measured[0]["queries_public_cold"] > 0
