"""Object-level permissions in the back office, and mandatory TOTP for staff."""

import pytest
from allauth.mfa.models import Authenticator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import enrol_totp
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_given_a_clerk_when_opening_their_own_ward_then_the_agency_page_shows(client, clerk):
    client.force_login(clerk)
    response = client.get(reverse("backoffice:agency", args=["UBLB"]))
    assert response.status_code == 200
    assert "UBND phường Long Biên" in response.text


def test_given_a_clerk_when_opening_another_wards_back_office_then_403(
    client, clerk, other_ward_agency
):
    client.force_login(clerk)
    response = client.get(reverse("backoffice:agency", args=[other_ward_agency.code]))
    assert response.status_code == 403
    assert "UBND phường Bồ Đề" not in response.text


def test_an_unknown_agency_code_answers_like_a_foreign_one(client, clerk):
    client.force_login(clerk)
    assert client.get(reverse("backoffice:agency", args=["NOPE"])).status_code == 403


def test_back_office_home_sends_a_single_agency_clerk_to_their_agency(client, clerk):
    client.force_login(clerk)
    response = client.get(reverse("backoffice:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("backoffice:agency", args=["UBLB"])


def test_a_citizen_is_refused_the_back_office(client, citizen):
    client.force_login(citizen)
    assert client.get(reverse("backoffice:home")).status_code == 403


def test_an_anonymous_visitor_is_sent_to_sign_in(client, ward_agency):
    response = client.get(reverse("backoffice:agency", args=[ward_agency.code]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_staff_without_totp_are_sent_to_enrolment_before_any_back_office_page(client, ward_agency):
    user = MembershipFactory(agency=ward_agency).user
    client.force_login(user)
    for path in (reverse("backoffice:home"), reverse("backoffice:agency", args=["UBLB"])):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("mfa_activate_totp"))
    enrol_totp(user)
    assert client.get(reverse("backoffice:agency", args=["UBLB"])).status_code == 200


def test_removing_the_second_factor_sends_staff_to_enrol_again_at_once(
    client, ward_agency, settings
):
    """The middleware keeps a "has a second factor" for a few seconds; removing
    the factor forgets it, and enrolling counts at once."""
    settings.EGOV_MFA_ENROLLED_SECONDS = 10
    user = MembershipFactory(agency=ward_agency).user
    enrol_totp(user)
    client.force_login(user)
    page = reverse("backoffice:agency", args=["UBLB"])
    assert client.get(page).status_code == 200
    with CaptureQueriesContext(connection) as again:
        assert client.get(page).status_code == 200
    assert not [q for q in again.captured_queries if "mfa_authenticator" in q["sql"]]
    Authenticator.objects.filter(user=user).delete()  # as deactivating TOTP does
    response = client.get(page)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))
    enrol_totp(user)
    assert client.get(page).status_code == 200


def test_a_revoked_role_closes_the_agency_page_at_once(client, ward_agency, settings):
    """The roles are kept by the process for a few seconds; revoking a role or
    closing the agency forgets them, so the next request is refused."""
    settings.EGOV_STAFF_ROLES_SECONDS = 10
    membership = MembershipFactory(agency=ward_agency)
    user = membership.user
    enrol_totp(user)
    client.force_login(user)
    page = reverse("backoffice:agency", args=["UBLB"])
    assert client.get(page).status_code == 200
    with CaptureQueriesContext(connection) as again:
        assert client.get(page).status_code == 200
    assert not [
        q
        for q in again.captured_queries
        if "staffmembership" in q["sql"].lower()
        and "agency" in q["sql"].lower()
        and '"is_active"' in q["sql"]
    ]
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    assert client.get(page).status_code == 403
    membership.is_active = True
    membership.save(update_fields=["is_active"])
    assert client.get(page).status_code == 200
    ward_agency.is_active = False
    ward_agency.save(update_fields=["is_active"])
    assert client.get(page).status_code in (403, 404)


def test_only_head_sees_the_agency_staff_list(client, ward_agency, clerk):
    colleague = MembershipFactory(agency=ward_agency, role="officer").user
    head = MembershipFactory(agency=ward_agency, role="head").user
    enrol_totp(head)
    client.force_login(clerk)
    assert colleague.email not in client.get(reverse("backoffice:agency", args=["UBLB"])).text
    client.force_login(head)
    assert colleague.email in client.get(reverse("backoffice:agency", args=["UBLB"])).text


def test_django_admin_is_for_superusers_only(client, clerk):
    client.force_login(clerk)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]

    superuser = UserFactory(is_superuser=True, is_staff=True)
    enrol_totp(superuser)
    client.force_login(superuser)
    assert client.get("/admin/").status_code == 200


def test_a_superuser_without_totp_must_enrol_before_admin(client):
    superuser = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(superuser)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))
