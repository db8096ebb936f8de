import pytest

from citizens.services import administrative_units_load

pytestmark = pytest.mark.django_db


def test_api_root_links_the_schema_docs_and_resources(client):
    body = client.get("/api/v1/").json()
    assert body["version"] == "1"
    assert body["schema"].endswith("/api/schema/")
    assert body["docs"].endswith("/api/docs/")


def test_openapi_schema_describes_the_v1_api(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/administrative-units/" in schema["paths"]
    assert "/api/v1/me/" in schema["paths"]


def test_api_docs_are_served_from_vendored_assets_without_a_cdn(client):
    html = client.get("/api/docs/").text
    assert "swagger-ui" in html
    for cdn in ("cdn.jsdelivr", "unpkg.com", "cdnjs"):
        assert cdn not in html
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html


def test_administrative_units_api_filters_by_parent_and_name(client):
    administrative_units_load(provinces=["01"])
    body = client.get("/api/v1/administrative-units/?parent=01&q=long%20bien").json()
    assert body["count"] == 1
    assert body["results"][0]["name"] == "Phường Long Biên"


def test_administrative_units_list_costs_the_same_queries_as_rows_grow(
    client, django_assert_max_num_queries
):
    administrative_units_load(provinces=["01"])
    with django_assert_max_num_queries(2):
        assert len(client.get("/api/v1/administrative-units/?limit=5").json()["results"]) == 5
    with django_assert_max_num_queries(2):
        assert len(client.get("/api/v1/administrative-units/?limit=100").json()["results"]) == 100


def test_me_needs_a_signed_in_account_and_answers_with_a_code(client, citizen):
    response = client.get("/api/v1/me/")
    assert response.status_code == 403
    assert response.json()["code"] == "not_authenticated"
    client.force_login(citizen)
    body = client.get("/api/v1/me/").json()
    assert body["email"] == citizen.email
    assert body["memberships"] == []
