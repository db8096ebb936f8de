"""Citizens' API tokens: issued from My space, usable on the citizen API, never for staff."""

import re

import pytest
from rest_framework.authtoken.models import Token

from tests.conftest import enrol_totp

pytestmark = pytest.mark.django_db


def test_a_citizen_creates_a_token_and_a_program_uses_it(client, citizen):
    client.force_login(citizen)
    page = client.post("/me/api-token/", {"action": "create"})
    assert page.status_code == 200
    key = re.search(r'id="api-token-key">([0-9a-f]{40})<', page.text).group(1)

    from django.test import Client

    program = Client()
    response = program.get("/api/v1/me/dossiers/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200
    assert program.get("/api/v1/me/dossiers/").status_code == 403

    client.post("/me/api-token/", {"action": "revoke"})
    assert not Token.objects.exists()
    response = program.get("/api/v1/me/dossiers/", HTTP_AUTHORIZATION=f"Token {key}")
    # 403 rather than 401: the first authentication scheme (the session) sends no challenge.
    assert response.status_code == 403
    assert response.json()["code"] == "authentication_failed"


def test_staff_cannot_have_or_use_tokens(client, clerk):
    enrol_totp(clerk)
    client.force_login(clerk)
    assert client.post("/me/api-token/", {"action": "create"}).status_code == 403
    token = Token.objects.create(user=clerk)

    from django.test import Client

    response = Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 403
    assert response.json()["code"] == "authentication_failed"
