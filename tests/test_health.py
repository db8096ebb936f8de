import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_healthz_answers_while_the_process_runs(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_200_when_database_and_broker_answer(client, settings):
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0")
def test_readyz_is_503_and_names_the_broker_when_it_is_unreachable(client):
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert [item["check"] for item in body["failed"]] == ["broker"]


def test_readyz_without_a_broker_runs_jobs_in_process_and_is_ready(client, settings):
    settings.CELERY_BROKER_URL = ""
    assert client.get("/readyz").status_code == 200
