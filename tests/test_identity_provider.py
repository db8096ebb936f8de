"""Level 2 through a national identity provider (OpenID Connect, via django-allauth)."""

from urllib.parse import parse_qs, urlparse

import pytest

from citizens.models import IdentityLink
from tests.factories import PersonFactory, UserFactory
from tests.oidc_server import FakeIdentityProvider

pytestmark = pytest.mark.django_db


@pytest.fixture
def idp(settings):
    def configure(claims):
        provider = FakeIdentityProvider(claims)
        settings.SOCIALACCOUNT_PROVIDERS = {
            "openid_connect": {
                "OAUTH_PKCE_ENABLED": True,
                "APPS": [
                    {
                        "provider_id": "vneid",
                        "name": "VNeID",
                        "client_id": "portal",
                        "secret": "s3cret",
                        "settings": {"server_url": provider.url, "fetch_userinfo": True},
                    }
                ],
            }
        }
        return provider

    return configure


def connect_through_provider(client):
    response = client.post("/accounts/oidc/vneid/login/", {"process": "connect"})
    assert response.status_code == 302, response.content[:500]
    query = parse_qs(urlparse(response["Location"]).query)
    return client.get(
        "/accounts/oidc/vneid/login/callback/", {"code": "auth-code-1", "state": query["state"][0]}
    )


def test_a_signed_in_citizen_vouched_for_by_the_provider_is_linked_at_level_2(client, idp):
    person = PersonFactory(full_name="Trần Thị Bình")
    user = UserFactory()
    client.force_login(user)
    with idp({"sub": "vneid-42", "personal_id": person.id_number, "email": user.email}) as provider:
        response = connect_through_provider(client)
    assert response.status_code == 302
    assert provider.token_requests, "the portal exchanged the code at the provider's token endpoint"
    link = IdentityLink.objects.get(user=user)
    assert (link.person, link.level, link.method) == (person, 2, "oidc")


def test_an_existing_level_1_link_is_raised_to_level_2(client, idp):
    person = PersonFactory()
    user = UserFactory()
    IdentityLink.objects.create(user=user, person=person, level=1, method="self")
    client.force_login(user)
    with idp({"sub": "vneid-43", "personal_id": person.id_number}):
        connect_through_provider(client)
    assert IdentityLink.objects.get(user=user).level == 2


def test_the_provider_cannot_take_over_a_record_linked_to_another_account(client, idp):
    person = PersonFactory()
    owner = UserFactory()
    IdentityLink.objects.create(user=owner, person=person, level=2, method="counter")
    intruder = UserFactory()
    client.force_login(intruder)
    with idp({"sub": "vneid-44", "personal_id": person.id_number}):
        connect_through_provider(client)
    assert not IdentityLink.objects.filter(user=intruder).exists()
    assert IdentityLink.objects.get(person=person).user == owner


def test_an_unknown_number_links_nothing(client, idp):
    user = UserFactory()
    client.force_login(user)
    with idp({"sub": "vneid-45", "personal_id": "001090999999"}):
        connect_through_provider(client)
    assert not IdentityLink.objects.filter(user=user).exists()
