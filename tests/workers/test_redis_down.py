"""Redis down must not take the portal down. Redis is the cache (API throttles,
sign-in rate limits, the second factor's used codes) and the broker: with the
real Redis stopped, citizens still sign in, call the API and file; staff sign
in with their second factor and work their queue. No answer is a 5xx; what
had to reach the broker waits in its outbox row and goes out when Redis is
back (egov/cache.py, egov/queue.py; docs/operations.md "When a part is down").
"""

from __future__ import annotations

import logging

import pytest
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from citizens.models import Role
from egov import cache as resilient
from onecounter import tasks as onecounter_tasks
from onecounter.models import Dossier, DossierDocument, DossierEvent
from onecounter.models import DossierStatus as S
from tests.conftest import enrol_totp
from tests.factories import PASSWORD
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

    # ... and the submission's follow-up (its slip) waits in the outbox
    event = DossierEvent.objects.get(dossier_id=draft.pk, action="submit")
    assert event.processed_at is None
    assert not DossierDocument.objects.filter(dossier_id=draft.pk).exclude(file="").exists()

    # When Redis is back, the worker reconnects and the beat's sweep runs
    celery_worker.redis.start()
    wait_until(lambda: worker.log().count("Connected to redis") >= 2, 40, "the worker to reconnect")
    resilient.mark_up()
    onecounter_tasks.sweep_pending_events.delay(older_than_seconds=0)

    # Then the slip the citizen was owed is rendered, once: nothing was lost
    wait_until(
        lambda: DossierEvent.objects.get(pk=event.pk).processed_at is not None,
        30,
        "the submission's follow-up",
    )
    slip = DossierDocument.objects.get(dossier_id=draft.pk, kind=DossierDocument.Kind.SUBMISSION)
    assert slip.file and slip.rendered_at is not None
    assert DossierDocument.objects.filter(dossier_id=draft.pk).count() == 1
    # ... and the cache is the shared one again
    assert cache_on_the_workers_redis.set("after", 1) is None
    assert cache_on_the_workers_redis.get("after") == 1
