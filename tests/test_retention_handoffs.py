"""Destroying a dossier's data under an approved destruction list also blanks
what the interconnection handed on for it (the payloads, the agencies'
answers), through the core's ``DossierDataDestroyed`` event; the handoffs
stay as the record of what was exchanged, when and how often."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from citizens.models import Role
from interconnect.models import Handoff, HandoffMessage
from onecounter.models import Dossier
from onecounter.models import DossierStatus as S
from onecounter.retention import services
from tests.factories import MembershipFactory
from tests.test_handoffs import handoffs_of, run_on_commit, world  # noqa: F401

pytestmark = pytest.mark.django_db


def test_the_handoffs_of_a_destroyed_dossier_keep_their_record_but_not_its_data(
    world,  # noqa: F811 - the fixtures of tests/test_handoffs.py
    run_on_commit,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    birth = run_on_commit(world.register_birth)
    handoffs = handoffs_of(birth)
    assert {h.status for h in handoffs.values()} == {Handoff.Status.DELIVERED}
    assert all(h.payload for h in handoffs.values())
    digests = {h.pk: h.payload_sha256 for h in handoffs.values()}

    # Given the birth dossier closed long ago, under a procedure kept 5 years
    long_ago = timezone.now() - dt.timedelta(days=6 * 366)
    world.birth.retention_dossier_years = 5
    world.birth.save(update_fields=["retention_dossier_years"])
    Dossier.objects.filter(pk=birth.pk).update(
        status=S.RETURNED, finished_at=long_ago, decided_at=long_ago
    )

    # When the job proposes it and the ward's head approves the list
    proposed = services.list_propose(agency=world.ublb)
    assert proposed is not None
    assert set(proposed.items.values_list("dossier_id", flat=True)) == {birth.pk}
    head = MembershipFactory(agency=world.ublb, role=Role.HEAD).user
    with django_capture_on_commit_callbacks(execute=True):
        services.list_approve(actor=head, destruction_list=proposed, reason="Đã đối chiếu.")

    # Then the dossier is a stub, and its handoffs hold none of its data
    birth.refresh_from_db()
    assert birth.purged_at is not None and birth.data == {}
    for handoff in Handoff.objects.filter(pk__in=digests):
        assert handoff.payload == {}
        assert handoff.payload_sha256 == digests[handoff.pk]  # the proof of what was sent
        assert handoff.status == Handoff.Status.DELIVERED and handoff.delivered_at
    assert not HandoffMessage.objects.filter(handoff_id__in=digests).exclude(response="").exists()
    assert HandoffMessage.objects.filter(handoff_id__in=digests, kind="deliver").count() == 2
