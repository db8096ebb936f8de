"""The demo's destruction list: old closed dossiers of the demo ward, proposed
by the job, waiting for the ward head; nothing destroyed yet; a second run
changes nothing."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from citizens.models import User
from onecounter.models import DestructionList, Dossier
from onecounter.retention import demo
from tests.conftest import enrol_totp

pytestmark = pytest.mark.django_db


def test_seed_retention_proposes_a_list_for_the_ward_head_to_review(client):
    call_command("seed_demo", persons=0)
    call_command("seed_retention")

    (proposed,) = DestructionList.objects.filter(agency__code=demo.AGENCY)
    assert proposed.status == DestructionList.Status.PROPOSED
    assert proposed.proposed_by is None  # as the daily job proposes
    assert proposed.items.count() == len(demo.NAMES)
    assert not Dossier.objects.filter(purged_at__isnull=False).exists()

    head = User.objects.get(email="chutich@longbien.demo")
    enrol_totp(head)
    client.force_login(head)
    page = client.get(reverse("retention:detail", args=[proposed.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    codes = proposed.items.values_list("dossier__code", flat=True)
    assert all(code in text for code in codes)

    call_command("seed_retention")
    assert DestructionList.objects.filter(agency__code=demo.AGENCY).count() == 1
