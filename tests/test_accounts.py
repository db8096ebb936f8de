"""Sign-up with verification, sign-in throttling, TOTP at sign-in for staff."""

import re

import pytest
from django.core import mail
from django.core.cache import cache

from citizens.models import User
from tests.conftest import enrol_totp
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()
    yield
    cache.clear()


def test_sign_up_sends_a_verification_mail_and_the_link_verifies_the_address(client):
    response = client.post(
        "/accounts/signup/",
        {"email": "Moi@Example.vn", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    user = User.objects.get(email="moi@example.vn")
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[0].body).group(0)
    path = link.split("testserver", 1)[-1]
    response = client.post(path)
    assert response.status_code == 302
    assert user.emailaddress_set.get().verified


def test_an_unverified_account_cannot_sign_in_until_verified(client):
    client.post(
        "/accounts/signup/",
        {"email": "chuaxacminh@example.vn", "password1": PASSWORD, "password2": PASSWORD},
    )
    client.logout()
    response = client.post(
        "/accounts/login/", {"login": "chuaxacminh@example.vn", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"


def test_repeated_failed_sign_ins_are_throttled(client, citizen):
    for _ in range(5):
        response = client.post("/accounts/login/", {"login": citizen.email, "password": "wrong"})
        assert response.status_code == 200
    # Even the right password is refused while the account is throttled.
    response = client.post("/accounts/login/", {"login": citizen.email, "password": PASSWORD})
    assert response.status_code in (200, 429)
    assert "_auth_user_id" not in client.session


def test_staff_with_totp_must_give_a_code_at_sign_in(client, ward_agency):
    from tests.factories import MembershipFactory

    user = MembershipFactory(agency=ward_agency).user
    totp = enrol_totp(user)
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session
    response = client.post("/accounts/2fa/authenticate/", {"code": totp.now()})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_a_citizen_signs_in_with_email_and_password(client):
    user = UserFactory(email="an@example.vn")
    response = client.post("/accounts/login/", {"login": "an@example.vn", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_account_emails_name_the_portal_not_the_host(client):
    client.post(
        "/accounts/signup/",
        {"email": "ten@example.vn", "password1": PASSWORD, "password2": PASSWORD},
    )
    body = mail.outbox[0].body
    assert "Cổng dịch vụ công Hà Nội" in body
    assert "Xin chào" in body
