"""An agency's own one-stop software works its dossiers through the staff API
with an API key, in one role, as a system account of its own."""

import pytest
from django.core.management import call_command
from django.test import Client

from citizens.agency_api.auth import agency_credential_issue, agency_credential_revoke
from egov.errors import ValidationFailed
from onecounter.models import DossierStatus as S
from tests.factories import AgencyFactory, PersonFactory
from tests.test_queues import make, make_office

pytestmark = pytest.mark.django_db

BASE = "/api/v1/back-office/agencies/UBLB/dossiers/"


@pytest.fixture
def office(db):
    return make_office()


def software(agency, role="officer"):
    credential, key = agency_credential_issue(
        agency=agency, name="Phần mềm một cửa", purpose="one_stop", role=role
    )
    client = Client(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return credential, client


def test_an_officer_key_lists_and_acts_on_its_agencys_dossiers(office):
    agency, _staff = office
    dossier = make(office, S.IN_PROCESSING)
    credential, client = software(agency, role="officer")

    listing = client.get(BASE)
    assert listing.status_code == 200
    assert [row["code"] for row in listing.json()["results"]] == [dossier.code]

    response = client.post(
        f"{BASE}{dossier.pk}/actions/request_supplement/",
        {"reason": "Thiếu giấy tờ", "items": ["Bản sao giấy chứng sinh"]},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == S.AWAITING_SUPPLEMENT
    event = dossier.events.order_by("-seq").first()
    assert event.actor.email.startswith(f"api-{credential.prefix}@")
    assert "UBLB" in event.actor.full_name


def test_the_key_acts_only_in_its_role_and_only_in_its_agency(office):
    agency, _staff = office
    dossier = make(office, S.SUBMITTED)
    _credential, officer_software = software(agency, role="officer")
    # Receiving is the clerk's step: 403 for an officer's key.
    response = officer_software.post(
        f"{BASE}{dossier.pk}/actions/receive/", {}, content_type="application/json"
    )
    assert response.status_code == 403
    other = AgencyFactory(code="UBBD")
    _c, other_software = software(other, role="clerk")
    assert other_software.get(BASE).status_code == 403
    assert (
        other_software.post(
            f"{BASE}{dossier.pk}/actions/receive/", {}, content_type="application/json"
        ).status_code
        == 403
    )


def test_a_one_stop_key_reads_no_population_records_and_a_lookup_key_works_no_dossiers(office):
    agency, _staff = office
    person = PersonFactory()
    _credential, one_stop = software(agency)
    assert one_stop.get(f"/api/v1/agency/persons/{person.id_number}/").status_code == 403
    _lookup, key = agency_credential_issue(agency=agency, name="Tra cứu", purpose="identity_check")
    lookup = Client(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert lookup.get(BASE).status_code in (401, 403)


def test_a_revoked_key_stops_working_and_a_key_needs_a_role(office):
    agency, _staff = office
    credential, client = software(agency, role="clerk")
    assert client.get(BASE).status_code == 200
    agency_credential_revoke(credential=credential)
    response = client.get(BASE)
    # 403 rather than 401: the session, the first scheme of this API, sends no challenge.
    assert response.status_code == 403
    assert response.json()["code"] == "invalid_credentials"
    with pytest.raises(ValidationFailed):
        agency_credential_issue(agency=agency, name="x", purpose="one_stop")


def test_the_command_issues_a_one_stop_key(office, capsys):
    call_command(
        "issue_agency_key", agency="UBLB", purpose="one_stop", role="head", name="Phần mềm"
    )
    key = capsys.readouterr().out.strip()
    client = Client(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert client.get(BASE).status_code == 200
