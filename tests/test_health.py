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
def test_readyz_stays_200_but_degraded_and_names_the_broker_when_it_is_unreachable(client):
    # The portal serves without Redis: a load balancer must keep the instance
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert [item["check"] for item in body["failed"]] == ["broker"]


@pytest.mark.django_db(transaction=True)
def test_readyz_is_503_and_names_the_database_when_it_is_unreachable(client):
    from django.db import connections

    connection = connections["default"]
    port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = "1"  # nothing listens there
    try:
        response = client.get("/readyz")
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert {"check": "database", "error": "OperationalError"} in body["failed"]


def test_readyz_without_a_broker_runs_jobs_in_process_and_is_ready(client, settings):
    settings.CELERY_BROKER_URL = ""
    assert client.get("/readyz").status_code == 200
