"""Redis down must not take the portal down. Redis is the cache (API throttles,
sign-in rate limits, the second factor's used codes) and the broker: with the
real Redis stopped, citizens still sign in, call the API and file; staff sign
in with their second factor and work their queue. No answer is a 5xx; what
had to reach the broker waits in its outbox row and goes out when Redis is
back (egov/cache.py, egov/queue.py; docs/operations.md "When a part is down").
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.core.cache import caches
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from citizens.models import Role
from egov import cache as resilient
from onecounter import tasks as onecounter_tasks
from onecounter.models import Dossier, DossierDocument, DossierEvent, Payment
from onecounter.models import DossierStatus as S
from onecounter.payments import tasks as payment_tasks
from tests.conftest import enrol_totp
from tests.factories import PASSWORD, DossierFactory, ProcedureFactory
from tests.test_handoffs import World
from tests.workers.conftest import wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def cache_on_the_workers_redis(settings, celery_worker):
    """The web process's shared cache on the harness's Redis (the one the test stops)."""
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "egov.cache.ResilientRedisCache",
            "LOCATION": celery_worker.redis.url,
            "KEY_PREFIX": "egov-test",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
        },
    }
    resilient.mark_up()
    yield caches["default"]
    resilient.mark_up()


def sign_in(client: Client, email: str) -> int:
    return client.post(reverse("account_login"), {"login": email, "password": PASSWORD}).status_code


def test_with_redis_stopped_citizens_and_staff_keep_working_and_nothing_is_lost(
    celery_worker, cache_on_the_workers_redis, caplog
):
    worker = celery_worker.start()
    world = World()
    clerk = world.user("UBLB", Role.CLERK)
    totp = enrol_totp(clerk)
    draft = Dossier.objects.create(
        procedure=world.birth,
        agency=world.ublb,
        channel=Dossier.Channel.ONLINE,
        applicant=world.parent,
        applicant_person=world.mother,
        applicant_name=world.mother.full_name,
        applicant_id_number=world.mother.id_number,
        applicant_email=world.parent.email,
        data=world.birth_data(birth_certificate_number="GCS-2026-004321"),
    )
    cache_on_the_workers_redis.set("before", 1)  # the cache really is that Redis
    assert celery_worker.redis.ping()

    # Given Redis is stopped (cache and broker both)
    celery_worker.redis.stop()
    assert not celery_worker.redis.ping()
    caplog.set_level(logging.WARNING, logger="egov.cache")

    # When a citizen signs in (rate-limited by allauth through the cache)
    parent = Client()
    assert sign_in(parent, world.parent.email) == 302
    assert parent.session["_auth_user_id"] == str(world.parent.pk)
    assert "Redis unreachable" in caplog.text

    # ... calls the API (throttled by DRF through the cache), signed in and not
    assert parent.get(reverse("api:procedures")).status_code == 200
    assert Client().get(reverse("api:procedures")).status_code == 200

    # ... and files the birth declaration (its follow-up must reach the broker)
    response = parent.post(
        reverse("api:me-draft-submit", args=[draft.pk]),
        {"declaration": True},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    code = response.json()["code"]
    assert Dossier.objects.get(pk=draft.pk).status == S.SUBMITTED

    # ... a wrong password is still refused, and counted (here, in the process)
    intruder = Client()
    for _ in range(5):
        assert sign_in(intruder, clerk.email.replace("@", "+x@")) == 200
    assert "_auth_user_id" not in intruder.session

    # When the ward clerk signs in with the second factor and opens the queue
    desk = Client()
    response = desk.post(reverse("account_login"), {"login": clerk.email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/authenticate/"
    response = desk.post("/accounts/2fa/authenticate/", {"code": totp.now()})
    assert response.status_code == 302
    assert desk.session["_auth_user_id"] == str(clerk.pk)
    queue = desk.get(reverse("dossiers:queue", args=["UBLB"]))

    # Then it answers, with the citizen's dossier in it
    assert queue.status_code == 200
    assert code in queue.content.decode()
    # ... and the clerk receives it at the counter (its slips must reach the broker too)
    receive = reverse("dossiers:action", args=["UBLB", draft.pk, "receive"])
    assert desk.post(receive, {}).status_code == 302
    assert Dossier.objects.get(pk=draft.pk).status == S.RECEIVED

    # ... and the follow-ups of both steps (their slips) wait in the outbox
    waiting = DossierEvent.objects.filter(dossier_id=draft.pk, processed_at=None)
    assert set(waiting.values_list("action", flat=True)) == {"submit", "receive"}
    assert not DossierDocument.objects.filter(dossier_id=draft.pk).exclude(file="").exists()

    # When Redis is back, the worker reconnects and the beat's sweep runs
    celery_worker.redis.start()
    wait_until(lambda: worker.log().count("Connected to redis") >= 2, 40, "the worker to reconnect")
    resilient.mark_up()
    onecounter_tasks.sweep_pending_events.delay(older_than_seconds=0)

    # Then the slips the citizen was owed are rendered, once: nothing was lost
    wait_until(
        lambda: not DossierEvent.objects.filter(dossier_id=draft.pk, processed_at=None).exists(),
        30,
        "the follow-ups of both steps",
    )
    kinds = list(
        DossierDocument.objects.filter(dossier_id=draft.pk)
        .exclude(file="")
        .values_list("kind", flat=True)
    )
    assert sorted(kinds) == sorted(["submission", "receipt", "tracking"])
    # ... and the cache is the shared one again
    assert cache_on_the_workers_redis.set("after", 1) is None
    assert cache_on_the_workers_redis.get("after") == 1


def test_with_redis_stopped_a_citizen_pays_online_and_the_paid_dossier_goes_in_when_it_is_back(
    celery_worker, cache_on_the_workers_redis, settings
):
    settings.EGOV_PAYMENT_PROVIDER = "test"
    settings.EGOV_TEST_PAYMENT_SECRET = "test-gateway-secret-for-the-worker-tests"
    worker = celery_worker.start(EGOV_TEST_PAYMENT_SECRET=settings.EGOV_TEST_PAYMENT_SECRET)
    world = World()
    procedure = ProcedureFactory(
        name="Cấp bản sao trích lục hộ tịch", online_level="full", fee_online=50_000
    )
    procedure.offered_by.add(world.ublb)
    draft = DossierFactory(
        procedure=procedure,
        agency=world.ublb,
        applicant=world.parent,
        applicant_name=world.parent.full_name,
        declaration_accepted_at=timezone.now(),
    )
    citizen = Client()
    citizen.force_login(world.parent)

    # Given Redis is stopped
    celery_worker.redis.stop()

    # When the citizen pays on the (test) gateway and comes back
    start_url = reverse("payments:start", args=[draft.pk])
    assert citizen.get(start_url).status_code == 200
    to_gateway = citizen.post(start_url)
    assert to_gateway.status_code == 302
    gateway_url = to_gateway["Location"]
    form = dict(parse_qsl(urlsplit(gateway_url).query))
    paid = citizen.post(gateway_url, {"action": "pay", "return": form["return"]})
    assert paid.status_code == 302
    back = citizen.get(paid["Location"])

    # Then every page answered, and the payment is recorded as paid
    assert back.status_code == 200
    payment = Payment.objects.get(dossier=draft)
    assert payment.status == Payment.Status.PAID

    # When Redis is back and the beat's sweep runs
    celery_worker.redis.start()
    wait_until(lambda: worker.log().count("Connected to redis") >= 2, 40, "the worker to reconnect")
    resilient.mark_up()
    payment_tasks.sweep_paid_payments.delay(older_than_seconds=0)

    # Then the paid draft is submitted with its fee receipt, once
    wait_until(
        lambda: (
            DossierDocument.objects.filter(
                dossier_id=draft.pk, kind=DossierDocument.Kind.FEE_RECEIPT
            )
            .exclude(file="")
            .exists()
        ),
        30,
        "the fee receipt",
    )
    draft.refresh_from_db()
    assert draft.status == S.SUBMITTED and draft.code
    assert DossierEvent.objects.filter(dossier_id=draft.pk, action="submit").count() == 1
