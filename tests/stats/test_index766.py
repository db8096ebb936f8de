"""The Decision 766 index of a small fixture, computed by hand; its criteria
are data (groups add up to 100); and who sees which figures."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from citizens.models import Role
from stats import index766
from stats.figures import CITY, scope_for
from tests.factories import AgencyFactory, MembershipFactory, UserFactory
from tests.stats.test_figures import MAY, build, world  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def test_the_score_of_a_small_fixture_equals_the_hand_count(world):  # noqa: F811
    build(world)
    scores = {s.code: s for s in index766.scores(MAY)}
    a, b = scores["UBA"], scores["UBB"]
    # Ward A: catalog 0/2 complete (0 of 8); its one late dossier had no
    # apology (0 of 6); nothing overdue (4); on time 1 of 2 (7 of 14); nothing
    # open (6); 1 of 2 procedures fully online (2 of 4); 1 of 3 received
    # online (2.67 of 8); its fee-bearing procedure is payable online (4) and
    # its one fee-bearing dossier paid online (6); one rating, 5 (18); no
    # digital result of 2 (0 of 10); 1 of 3 dossiers digital (2.67 of 8); no
    # data reused (0 of 4).
    assert [g.points for g in a.groups] == [
        Decimal("4"),
        Decimal("13"),
        Decimal("14.67"),
        Decimal("18"),
        Decimal("2.67"),
    ]
    assert a.total == Decimal("52.34")
    # Ward B: nothing resolved (1.2, 2.1 and 5.1 have nothing to count: full),
    # one dossier overdue without an apology (1.3: 0, 2.2: 0), its one
    # fee-bearing dossier unpaid (3.4: 0), no rating (4.1: full).
    assert b.total == Decimal("72.00")
    assert (b.rank, b.peers, a.rank, a.peers) == (1, 2, 2, 2)
    lost = {c.criterion.code: c for g in a.groups for c in g.criteria}
    assert lost["2.1"].lost == Decimal("7.00") and lost["2.1"].drill == "resolved_late"


def test_the_criteria_are_data_and_must_add_up(tmp_path: Path):
    idx = index766.index()
    assert [g.points for g in idx.groups] == [18, 20, 22, 18, 22]
    text = index766.DATA.read_text(encoding="utf-8").replace("points: 14", "points: 15")
    broken = tmp_path / "766.yaml"
    broken.write_text(text, encoding="utf-8")
    with pytest.raises(ImproperlyConfigured):
        index766.load(broken)


def test_a_statistician_sees_the_city_a_head_their_agency_a_citizen_nothing(db):
    mine, other = AgencyFactory(code="UBM"), AgencyFactory(code="UBO")
    head = MembershipFactory(agency=mine, role=Role.HEAD).user
    statistician = MembershipFactory(agency=other, role=Role.STATISTICIAN).user
    assert scope_for(statistician) == CITY
    assert scope_for(head).agency_ids == frozenset({mine.pk})
    assert scope_for(UserFactory()) is None


def test_a_step_taken_updates_the_figures_after_commit(db, django_capture_on_commit_callbacks):
    from onecounter import transitions
    from stats import figures
    from stats.figures import Filters
    from tests.factories import DossierFactory

    agency = AgencyFactory(code="UBS")
    clerk = MembershipFactory(agency=agency, role=Role.CLERK).user
    dossier = DossierFactory(agency=agency)
    today = timezone.localdate()
    period = Filters(start=today - dt.timedelta(days=3), end=today + dt.timedelta(days=3))
    with django_capture_on_commit_callbacks(execute=True):
        dossier = transitions.perform(dossier, "submit", actor=dossier.applicant)
    with django_capture_on_commit_callbacks(execute=True):
        transitions.perform(dossier, "receive", actor=clerk)
    m = figures.summary(period, CITY)
    assert (m.received, m.received_online) == (1, 1)
    with django_capture_on_commit_callbacks(execute=True):
        transitions.perform(dossier, "withdraw", actor=dossier.applicant, reason="Nộp nhầm")
    assert figures.summary(period, CITY).withdrawn == 1
