"""/healthz/queues: queue depths, outbox ages and failure counts for
monitoring, JSON or Prometheus text, behind a bearer token; Redis down is
reported, never a 500."""

from __future__ import annotations

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from tests.conftest import enrol_totp
from tests.factories import AgencyFactory, UserFactory
from tests.test_failures import failing_dossier

pytestmark = pytest.mark.django_db

URL = "/healthz/queues"
TOKEN = "metrics-test-token-0123456789"
QUEUE = "egov-ops-test-queue"


@pytest.fixture
def failing(db):
    return failing_dossier(AgencyFactory(code="UBLB"), "UBLB-260101-0001")


@pytest.fixture
def queued():
    """Three messages waiting in a queue of their own (Redis DB of the tests)."""
    client = redis.Redis.from_url(django_settings.CELERY_BROKER_URL)
    client.delete(QUEUE)
    client.rpush(QUEUE, "a", "b", "c")
    yield 3
    client.delete(QUEUE)


def bearer(token: str = TOKEN) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@override_settings(EGOV_METRICS_TOKEN=TOKEN, CELERY_TASK_DEFAULT_QUEUE=QUEUE)
def test_json_reports_queues_outbox_and_failures(failing, queued):
    response = Client().get(URL, **bearer())
    assert response.status_code == 200
    data = response.json()
    assert data["redis_up"] == 1
    assert data["queues"] == {QUEUE: 3}
    assert data["outbox"]["event"]["waiting"] == 1
    assert data["outbox"]["event"]["oldest_age_seconds"] >= 0
    assert data["outbox"]["handoff"] == {"waiting": 0, "oldest_age_seconds": None}
    for kind in ("event", "document", "notice", "payment", "handoff", "registry"):
        assert data["failures"][kind] == {"failing": 1, "open": 1, "handled": 0}
    assert data["open_failures"] == 6


@override_settings(EGOV_METRICS_TOKEN=TOKEN, CELERY_TASK_DEFAULT_QUEUE=QUEUE)
@pytest.mark.parametrize("how", ["query", "accept"])
def test_prometheus_text_on_request(failing, queued, how):
    if how == "query":
        response = Client().get(URL, {"format": "prometheus"}, **bearer())
    else:
        response = Client().get(URL, HTTP_ACCEPT="text/plain", **bearer())
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    text = response.content.decode()
    assert "egov_redis_up 1\n" in text
    assert f'egov_celery_queue_length{{queue="{QUEUE}"}} 3\n' in text
    assert 'egov_failures{kind="registry",state="open"} 1\n' in text
    assert "egov_open_failures 6\n" in text
    assert "# TYPE egov_outbox_oldest_age_seconds gauge" in text


@override_settings(EGOV_METRICS_TOKEN=TOKEN)
def test_the_token_is_required(db):
    anonymous = Client().get(URL)
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"].startswith("Bearer")
    assert Client().get(URL, **bearer("wrong")).status_code == 403


@override_settings(EGOV_METRICS_TOKEN="")
def test_without_a_token_only_a_signed_in_superuser(db):
    assert Client().get(URL, **bearer("anything")).status_code == 401
    staff = UserFactory()
    enrol_totp(staff)
    client = Client()
    client.force_login(staff)
    assert client.get(URL).status_code == 403
    admin = UserFactory(is_superuser=True, is_staff=True)
    enrol_totp(admin)
    client.force_login(admin)
    assert client.get(URL).status_code == 200


@override_settings(EGOV_METRICS_TOKEN=TOKEN, CELERY_BROKER_URL="redis://127.0.0.1:1/0")
def test_redis_down_is_reported_not_a_500(failing):
    response = Client().get(URL, **bearer())
    assert response.status_code == 200
    data = response.json()
    assert data["redis_up"] == 0
    assert data["queues"] == {"celery": None}
    assert data["open_failures"] == 6
    text = Client().get(URL, {"format": "prometheus"}, **bearer()).content.decode()
    assert "egov_redis_up 0\n" in text
    assert 'egov_celery_queue_length{queue="celery"} NaN\n' in text


@override_settings(EGOV_METRICS_TOKEN=TOKEN)
def test_a_handful_of_queries_whatever_the_rows(failing):
    with CaptureQueriesContext(connection) as first:
        Client().get(URL, **bearer())
    for n in range(2, 6):
        failing_dossier(AgencyFactory(), f"UBLB-260101-{n:04d}")
    with CaptureQueriesContext(connection) as second:
        Client().get(URL, **bearer())
    assert len(second) == len(first) <= 10


def test_healthz_stays_cheap(db):
    with CaptureQueriesContext(connection) as queries:
        assert Client().get("/healthz").json() == {"status": "ok"}
    assert len(queries) == 0
