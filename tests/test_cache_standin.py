"""With Redis unreachable, the shared cache answers from the process's memory
(egov/cache.py): requests that count something in the cache (the API and
agency-API throttles, sign-in rate limits) still answer, limits still limit,
and the outage is logged once. The whole stack with the real Redis stopped is
tests/workers/test_redis_down.py."""

from __future__ import annotations

import logging
import time

import pytest
from django.core.cache import caches
from django.urls import reverse
from rest_framework.throttling import AnonRateThrottle

from egov import cache as resilient
from tests.factories import PASSWORD, UserFactory
from tests.test_agency_api import family, issue, lookup, police, ward  # noqa: F401

pytestmark = pytest.mark.django_db

NOWHERE = "redis://127.0.0.1:9/0"  # the discard port: nothing listens there


@pytest.fixture
def redis_away(settings):
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "egov.cache.ResilientRedisCache",
            "LOCATION": NOWHERE,
            "KEY_PREFIX": "egov-standin",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        },
    }
    resilient.mark_up()
    yield caches["default"]
    resilient.mark_up()


def test_the_cache_answers_from_memory_and_tries_redis_again_later(redis_away, caplog):
    caplog.set_level(logging.WARNING, logger="egov.cache")
    cache = redis_away

    assert cache.add("counter", 1, 60) is True
    assert cache.incr("counter") == 2
    assert cache.get("counter") == 2
    assert cache.get_many(["counter", "none"]) == {"counter": 2}
    assert cache.add("counter", 1, 60) is False
    cache.delete("counter")
    assert cache.get("counter") is None

    # One warning per outage, not one per call
    assert caplog.text.count("Redis unreachable") == 1
    assert resilient.redis_down()
    # ... and Redis is not asked again until the retry delay has passed
    started = time.monotonic()
    for _ in range(200):
        cache.get("x")
    assert time.monotonic() - started < 1.0


def test_the_api_and_its_throttle_keep_answering(redis_away, client, monkeypatch):
    monkeypatch.setitem(AnonRateThrottle.THROTTLE_RATES, "anon", "3/min")
    answers = [client.get(reverse("api:procedures")).status_code for _ in range(4)]
    # every call answers, and the anonymous limit still limits, counted in this process
    assert answers == [200, 200, 200, 429]


def test_the_agency_api_answers_and_counts(redis_away, client, family, police):  # noqa: F811
    _credential, key = issue(police, "civil_status")
    for _ in range(3):
        response = lookup(client, key, family["child"].id_number)
        assert response.status_code == 200, response.content


def test_sign_in_works_and_failed_attempts_are_still_limited(redis_away, client):
    citizen = UserFactory(email="an@example.vn")
    for _ in range(5):
        response = client.post(reverse("account_login"), {"login": citizen.email, "password": "x"})
        assert response.status_code == 200
    # the account is locked out, as with Redis
    response = client.post(reverse("account_login"), {"login": citizen.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert response.status_code in (200, 429)

    other = UserFactory(email="binh@example.vn")
    response = client.post(reverse("account_login"), {"login": other.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(other.pk)
