"""A dossier that came by post is filed at the counter and counted apart."""

import datetime as dt

import pytest
from django.utils import timezone

from citizens.models import Role
from onecounter import services
from onecounter.models import Dossier
from stats import facts, figures
from stats.figures import CITY, Filters
from tests.factories import AgencyFactory, MembershipFactory, PersonFactory, ProcedureFactory

pytestmark = pytest.mark.django_db


def test_a_dossier_received_by_post_counts_as_post_not_counter(db):
    agency = AgencyFactory(code="UBP")
    clerk = MembershipFactory(agency=agency, role=Role.CLERK).user
    procedure = ProcedureFactory()
    procedure.offered_by.add(agency)
    kwargs = {"clerk": clerk, "agency": agency, "procedure": procedure}
    by_post = services.counter_intake(**kwargs, person=PersonFactory(), by_post=True)
    walk_in = services.counter_intake(**kwargs, person=PersonFactory())
    assert (by_post.channel, walk_in.channel) == (Dossier.Channel.POST, Dossier.Channel.COUNTER)
    assert by_post.code and by_post.due_date  # received at once, with its receipt
    facts.refresh([by_post.pk, walk_in.pk])
    today = timezone.localdate()
    m = figures.summary(Filters(start=today - dt.timedelta(days=1), end=today), CITY)
    assert (m.received, m.received_post, m.received_counter, m.received_online) == (2, 1, 1, 0)
