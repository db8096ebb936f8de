"""The interconnected birth registration with a real Celery worker on a real
broker and the test database, and the faults it must survive: the worker killed
in the middle of a handoff, the broker gone when the parent submits, the
external registry failing then timing out.

The test process plays the people (the parent, the ward, the police, social
insurance, an administrator) and the beat (it sends the sweep when the beat
would); the worker does everything that is enqueued. See conftest.py for the
harness.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import time

import pytest
from django.db.models import F
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from citizens.models import HouseholdMembership, IssuedIdNumber, Person, Role
from interconnect import services as handoff_services
from interconnect import tasks as handoff_tasks
from interconnect.channels import civil_registry as registry_client
from interconnect.models import Handoff
from onecounter import tasks as onecounter_tasks
from onecounter import transitions
from onecounter.models import (
    Dossier,
    DossierCodeCounter,
    DossierDocument,
    DossierEvent,
    WalletDocument,
)
from onecounter.models import DossierStatus as S
from tests.conftest import enrol_totp
from tests.factories import UserFactory
from tests.test_handoffs import World
from tests.workers.conftest import held_counter, wait_until
from tests.workers.registry_server import FakeRegistry

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

H = Handoff.Status
RESULTS = ["birth_certificate", "health_insurance_card", "residence_confirmation"]
SECRET = "registry-secret-for-the-worker-tests"


# --- Helpers ------------------------------------------------------------------------------------


def handoffs_of(dossier: Dossier) -> dict[str, Handoff]:
    return {h.target: h for h in Handoff.objects.filter(dossier=dossier)}


def all_delivered(dossier: Dossier, targets=("residence", "insurance")) -> dict | None:
    handoffs = handoffs_of(dossier)
    if all(
        t in handoffs and handoffs[t].status == H.DELIVERED and handoffs[t].agency_dossier_id
        for t in targets
    ):
        return handoffs
    return None


def wallet_kinds(world: World) -> list[str]:
    return sorted(WalletDocument.objects.filter(owner=world.parent).values_list("kind", flat=True))


def agencies_decide(world: World, handoffs: dict[str, Handoff]) -> None:
    """The police register the residence, social insurance issues the card."""
    for target in ("residence", "insurance"):
        world.decide(Dossier.objects.get(pk=handoffs[target].agency_dossier_id))


def finish_journey(world: World, birth: Dossier, handoffs: dict[str, Handoff], timeout=45.0):
    agencies_decide(world, handoffs)
    wait_until(lambda: wallet_kinds(world) == RESULTS, timeout, "the three results in the wallet")
    birth.refresh_from_db()
    assert birth.status == S.RESULT_READY


def assert_nothing_duplicated(world: World, birth: Dossier) -> None:
    """One child, one ID number, one membership, one card, one agency dossier
    per handoff, one delivery per handoff."""
    child = Person.objects.get(source=f"birth:{birth.code}")
    assert (
        Person.objects.filter(full_name=child.full_name, birth_date=child.birth_date).count() == 1
    )
    assert IssuedIdNumber.objects.filter(number=child.id_number).count() == 1
    assert HouseholdMembership.objects.filter(person=child).count() == 1
    assert child.health_insurance_number
    assert Person.objects.filter(health_insurance_number=child.health_insurance_number).count() == 1
    assert Dossier.objects.filter(agency=world.calb).count() == 1
    assert Dossier.objects.filter(agency=world.bhxh).count() == 1
    for handoff in Handoff.objects.filter(dossier=birth):
        assert handoff.messages.filter(kind="deliver", error="").count() == 1
    assert WalletDocument.objects.filter(owner=world.parent).count() == 3


def pretend_minutes_passed(birth: Dossier) -> None:
    """Time passes for the sweep: the handoffs were written longer ago than the
    sweep waits for a task that got lost (instead of waiting that long)."""
    earlier = handoff_services.sweep_after() + dt.timedelta(seconds=5)
    Handoff.objects.filter(dossier=birth).update(created_at=F("created_at") - earlier)


def mails_to(harness, address: str) -> list[email.message.EmailMessage]:
    if not harness.mail_dir.exists():
        return []
    messages = []
    for path in sorted(harness.mail_dir.glob("*.log")):
        for chunk in path.read_bytes().split(b"-" * 79):
            if chunk.strip():
                message = email.message_from_bytes(chunk.strip(), policy=email.policy.default)
                if address in str(message["To"]):
                    messages.append(message)
    return messages


# --- The journey ---------------------------------------------------------------------------------


def test_the_whole_journey_with_a_real_worker(celery_worker):
    worker = celery_worker.start()
    world = World()

    # Given a birth dossier received by the ward, when the ward head approves it
    birth = world.register_birth()
    assert birth.status == S.APPROVED

    # Then the worker hands it on to the police and social insurance
    handoffs = wait_until(lambda: all_delivered(birth), 30, "both handoffs delivered")
    police = Dossier.objects.get(pk=handoffs["residence"].agency_dossier_id)
    card = Dossier.objects.get(pk=handoffs["insurance"].agency_dossier_id)
    assert (police.agency, police.status) == (world.calb, S.RECEIVED)
    assert (card.agency, card.status) == (world.bhxh, S.RECEIVED)
    # ... each received with a receipt the worker rendered
    wait_until(
        lambda: (
            DossierDocument.objects.filter(
                dossier__in=[police, card], kind=DossierDocument.Kind.RECEIPT
            )
            .exclude(file="")
            .count()
            == 2
        ),
        30,
        "the receipts of the agency dossiers",
    )

    # When the police and social insurance approve, the worker collects the results
    finish_journey(world, birth, handoffs)

    # Then the parent's wallet holds the three results, as PDFs
    for kept in WalletDocument.objects.filter(owner=world.parent).select_related("document"):
        stored = kept.file or kept.document.file  # an issued result points at the dossier's
        with stored.open("rb") as handle:
            assert handle.read(5) == b"%PDF-"
    # ... and one email tells the parent about all three
    titles = list(
        DossierDocument.objects.filter(
            dossier__in=[birth, police, card], kind=DossierDocument.Kind.RESULT
        ).values_list("title", flat=True)
    )
    assert len(titles) == 3

    def results_mail():
        return [
            m
            for m in mails_to(celery_worker, world.parent.email)
            if all(t in m.get_body(("plain",)).get_content() for t in titles)
        ]

    assert len(wait_until(results_mail, 20, "the email with the three results")) == 1
    assert_nothing_duplicated(world, birth)
    # All of it ran in the worker.
    assert worker.succeeded("interconnect.deliver_handoff") == 2
    assert not DossierEvent.objects.filter(processed_at=None).exists()


# --- Faults --------------------------------------------------------------------------------------


def test_a_worker_killed_in_the_middle_of_a_handoff_loses_and_duplicates_nothing(celery_worker):
    first = celery_worker.start()
    world = World()
    today = timezone.localdate()
    DossierCodeCounter.objects.create(agency=world.calb, day=today, last=0)

    # Given the police's dossier-number counter held by someone else, so the
    # worker's delivery to the police stops half-way (its dossier inserted, not
    # yet numbered, nothing committed)
    with held_counter(world.calb.pk) as held:
        birth = world.register_birth()
        blocked = held.wait_blocked()

        # When the worker is killed there (SIGKILL: no cleanup, no ack)
        first.kill()
        held.release()

        # (the database rolls the half-done delivery back when it notices)
        held.wait_ended(blocked)

    residence = Handoff.objects.get(dossier=birth, target="residence")
    assert residence.status == H.PENDING and residence.agency_dossier_id is None
    assert residence.attempts == 0
    assert not Dossier.objects.filter(agency=world.calb).exists()

    # When a worker runs again: what was still queued goes out; the message of
    # the killed task waits in the broker (unacknowledged), so the beat's sweep
    # re-sends the handoff once the sweep's wait has passed
    second = celery_worker.start()
    wait_until(
        lambda: handoffs_of(birth)["insurance"].status == H.DELIVERED, 30, "insurance delivered"
    )
    pretend_minutes_passed(birth)
    handoff_tasks.sweep_handoffs.delay()
    handoffs = wait_until(lambda: all_delivered(birth), 30, "the swept handoff delivered")

    # The killed task's message, were it redelivered, and another sweep change nothing
    runs = second.succeeded("interconnect.deliver_handoff")
    for handoff in handoffs.values():
        handoff_tasks.deliver_handoff.delay(str(handoff.pk))
    handoff_tasks.sweep_handoffs.delay()
    wait_until(
        lambda: (
            second.succeeded("interconnect.deliver_handoff") == runs + 2
            and second.succeeded("interconnect.sweep_handoffs") == 2
        ),
        30,
        "the re-runs",
    )
    assert second.log().count("'not_pending'") == 2

    # Then the journey completes, nothing duplicated, no dossier number lost
    finish_journey(world, birth, handoffs)
    assert_nothing_duplicated(world, birth)
    assert DossierCodeCounter.objects.get(agency=world.calb, day=today).last == 1
    assert Dossier.objects.get(agency=world.calb).code.endswith("-0001")


def test_the_broker_down_when_the_parent_submits_delays_but_loses_nothing(celery_worker):
    worker = celery_worker.start()
    world = World()
    draft = Dossier.objects.create(
        procedure=world.birth,
        agency=world.ublb,
        channel=Dossier.Channel.ONLINE,
        applicant=world.parent,
        applicant_person=world.mother,
        applicant_name=world.mother.full_name,
        applicant_id_number=world.mother.id_number,
        applicant_email=world.parent.email,
        data=world.birth_data(birth_certificate_number="GCS-2026-001234"),
    )
    parent = Client()
    parent.force_login(world.parent)

    # Given Redis is unreachable
    celery_worker.redis.stop()

    # When the parent submits the birth declaration
    started = time.monotonic()
    response = parent.post(
        reverse("api:me-draft-submit", args=[draft.pk]),
        {"declaration": True},
        content_type="application/json",
    )

    # Then the submission succeeds, with its receipt number, without waiting long
    assert response.status_code == 200, response.content
    code = response.json()["code"]
    assert code.startswith(f"UBLB-{timezone.localdate():%y%m%d}-")
    assert time.monotonic() - started < 15  # no hanging on the broker
    birth = Dossier.objects.get(pk=draft.pk)
    assert (birth.status, birth.code) == (S.SUBMITTED, code)
    assert DossierEvent.objects.filter(dossier=birth, action="submit", processed_at=None).exists()

    # When the ward registers the birth, still without a broker
    clerk = world.user("UBLB", Role.CLERK)
    birth = world.decide(transitions.perform(birth, "receive", actor=clerk))
    assert birth.status == S.APPROVED

    # Then the handoffs wait in the outbox
    handoffs = handoffs_of(birth)
    assert set(handoffs) == {"residence", "insurance"}
    assert {h.status for h in handoffs.values()} == {H.PENDING}
    assert {h.attempts for h in handoffs.values()} == {0}

    # When Redis is back, the worker reconnects, and the beat sends the sweeps
    celery_worker.redis.start()
    wait_until(lambda: worker.log().count("Connected to redis") >= 2, 40, "the worker to reconnect")
    pretend_minutes_passed(birth)
    handoff_tasks.sweep_handoffs.delay()
    onecounter_tasks.sweep_pending_events.delay(older_than_seconds=0)

    # Then the handoffs go out, once
    handoffs = wait_until(lambda: all_delivered(birth), 30, "the handoffs delivered")
    wait_until(
        lambda: not DossierEvent.objects.filter(dossier=birth, processed_at=None).exists(),
        30,
        "the birth dossier's steps processed",
    )
    slip = DossierDocument.objects.get(dossier=birth, kind=DossierDocument.Kind.SUBMISSION)
    assert slip.file and slip.rendered_at is not None  # the submission slip, rendered late
    handoff_tasks.sweep_handoffs.delay()  # again: nothing more
    wait_until(lambda: worker.succeeded("interconnect.sweep_handoffs") == 2, 20, "second sweep")
    assert worker.succeeded("interconnect.deliver_handoff") == 2
    finish_journey(world, birth, handoffs)
    assert_nothing_duplicated(world, birth)


def test_the_external_registry_failing_then_timing_out_ends_in_a_failed_handoff_that_an_administrator_retries(
    celery_worker, settings
):
    registry = FakeRegistry(secret=SECRET, delay=3).start()
    try:
        settings.EGOV_CIVIL_REGISTRY_URL = registry.url
        settings.EGOV_CIVIL_REGISTRY_SECRET = SECRET
        settings.EGOV_CIVIL_REGISTRY_TIMEOUT = 1
        worker = celery_worker.start(
            EGOV_CIVIL_REGISTRY_URL=registry.url,
            EGOV_CIVIL_REGISTRY_SECRET=SECRET,
            EGOV_CIVIL_REGISTRY_TIMEOUT=1,
            EGOV_HANDOFF_BACKOFF_SECONDS=1,
            EGOV_HANDOFF_MAX_ATTEMPTS=3,
        )
        world = World()
        # Given the registry answers 500, then too late, then too late again
        registry.answer_next("error", "slow", "slow")

        # When the ward registers a birth
        birth = world.register_birth()
        key = f"{birth.code}:civil_registry"

        # Then the delivery is retried with backoff, then marked failed
        failed = wait_until(
            lambda: Handoff.objects.filter(key=key, status=H.FAILED).first(),
            40,
            "the registry handoff to fail",
        )
        assert failed.attempts == 3
        assert "did not answer within 1 s" in failed.last_error
        attempts = list(failed.messages.filter(kind="deliver").order_by("started_at"))
        assert [m.response_status for m in attempts] == [500, None, None]
        assert all(m.error for m in attempts)
        received = registry.wait_for(3)
        assert all(r.signature_ok for r in received)
        assert {r.headers["Idempotency-Key"] for r in received} == {key}
        assert len({r.body for r in received}) == 1
        assert (
            received[0].json["child"]["id_number"]
            == Person.objects.get(source=f"birth:{birth.code}").id_number
        )
        # ... each attempt waits at least the backoff after the one before (1 s, then
        # 2 s); a busy worker may start it later, never earlier
        starts = [m.started_at for m in attempts]
        assert (starts[1] - starts[0]).total_seconds() >= 0.95
        assert (starts[2] - starts[1]).total_seconds() >= 1.95
        # ... and the other agencies were not held up
        wait_until(lambda: all_delivered(birth), 30, "the handoffs to the agencies")

        # When the registry is back and an administrator retries
        registry.mode = "ok"
        administrator = UserFactory(full_name="Quản trị hệ thống", is_superuser=True, is_staff=True)
        enrol_totp(administrator)
        back_office = Client()
        back_office.force_login(administrator)
        retried = back_office.post(reverse("api:backoffice-handoff-retry", args=[failed.pk]))
        assert retried.status_code == 200, retried.content
        assert retried.json()["status"] == H.PENDING

        # Then it is delivered, with the registry's acknowledgement
        delivered = wait_until(
            lambda: Handoff.objects.filter(key=key, status=H.DELIVERED).first(),
            30,
            "the retried delivery",
        )
        assert delivered.external_reference == "MOJ-000001"
        assert len(registry.received) == 4

        # When the registry calls back, signed, to say the birth is registered
        body = json.dumps(
            {"idempotency_key": key, "status": "registered", "reference": "HT-2025-000777"}
        ).encode()
        stamp = str(int(time.time()))
        callback = Client().post(
            reverse("registry:callback"),
            data=body,
            content_type="application/json",
            headers={
                "X-Egov-Timestamp": stamp,
                "X-Egov-Signature": registry_client.sign(body, stamp, SECRET),
            },
        )

        # Then the handoff is completed with the registry's reference
        assert callback.status_code == 200, callback.content
        done = Handoff.objects.get(key=key)
        assert (done.status, done.external_reference) == (H.COMPLETED, "HT-2025-000777")
        assert worker.succeeded("interconnect.deliver_handoff") >= 6
    finally:
        registry.stop()
