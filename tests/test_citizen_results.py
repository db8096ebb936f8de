"""The results of an interconnected birth as the parent sees them: the birth
certificate extract, the residence confirmation and the health-insurance card
are all about the child, in the wallet and on the page of the birth dossier
("your results"), each downloadable from there and from the citizen API; and
nobody else's.

The journey is the one of tests/test_handoffs.py: the mother files, the ward
registers, the police and social insurance each decide in their own queue.
"""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from citizens.models import IdentityLink
from onecounter.models import Dossier, DossierDocument, WalletDocument
from onecounter.models import DossierStatus as S
from tests.factories import PersonFactory, UserFactory
from tests.test_handoffs import World, child_of, handoffs_of
from tests.test_my_dossiers import in_english, store_result, use_private_storage

pytestmark = pytest.mark.django_db

TITLES = ("Trích lục khai sinh", "Xác nhận thông tin về cư trú", "Thẻ bảo hiểm y tế")


@pytest.fixture
def world(settings, tmp_path):
    use_private_storage(settings, tmp_path)
    settings.EGOV_CIVIL_REGISTRY_URL = ""
    return World()


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    def run(function, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(*args, **kwargs)

    return run


@pytest.fixture
def registered(world, run_on_commit):
    """The birth registered by the ward, the residence registered by the police
    and the card issued by social insurance: the birth's results are ready."""
    birth = run_on_commit(world.register_birth)
    for handoff in handoffs_of(birth).values():
        run_on_commit(world.decide, handoff.agency_dossier)
    birth.refresh_from_db()
    assert birth.status == S.RESULT_READY
    return birth


def handed_on(birth: Dossier) -> tuple[Dossier, Dossier]:
    """The police's dossier and social insurance's, handed on from the birth."""
    handoffs = handoffs_of(birth)
    return handoffs["residence"].agency_dossier, handoffs["insurance"].agency_dossier


def signed_in(client, user):
    client = in_english(client)
    client.force_login(user)
    return client


# --- The wallet: each result is about the child ----------------------------------------------


def test_the_three_results_of_a_birth_are_filed_under_the_child_in_the_parents_wallet(
    world, registered, client
):
    # Given a registered birth whose three results reached the mother's wallet
    child = child_of(registered)
    entries = list(WalletDocument.objects.filter(owner=world.parent).select_related("document"))
    assert sorted(e.kind for e in entries) == [
        "birth_certificate",
        "health_insurance_card",
        "residence_confirmation",
    ]

    # Then each entry is about the child, the holder of the document it holds
    for entry in entries:
        assert entry.person == child, entry.kind
        assert entry.document.holder == child

    # ... and her wallet shows each of them "· <the child's name>"
    page = html.unescape(signed_in(client, world.parent).get("/me/documents/").content.decode())
    assert page.count(f"· {child.full_name}") == 3
    for entry in entries:
        item = page.split(f'id="document-{entry.pk}"')[1].split("</li>")[0]
        assert f"· {child.full_name}" in item, entry.kind


# --- The birth dossier's page: its results and those handed on --------------------------------


def result_links(page: str) -> list[tuple[str, str]]:
    """(title, href) of each result in the "your results" list of a dossier page."""
    section = page.split('data-testid="results"')[1].split("</ul>")[0]
    return [
        (html.unescape(title), href)
        for href, title in re.findall(r'<a href="([^"]+)" data-kind="result">([^<]+)</a>', section)
    ]


def test_the_birth_dossier_page_lists_the_three_results_each_downloadable(
    world, registered, client
):
    # Given the mother signed in, when she opens her birth dossier
    client = signed_in(client, world.parent)
    response = client.get(reverse("mine:dossier", args=[registered.pk]))
    assert response.status_code == 200
    page = response.content.decode()

    # Then "Your results" lists the birth certificate and the results of the
    # dossiers handed on to the police and to social insurance, named by agency
    links = dict(result_links(page))
    assert list(links) == list(TITLES)
    assert "Your results" in page
    assert "Công an phường Long Biên" in html.unescape(page.split('data-testid="results"')[1])
    police, insurance = handed_on(registered)
    assert f"/me/dossiers/{police.pk}/documents/" in links["Xác nhận thông tin về cư trú"]
    assert f"/me/dossiers/{insurance.pk}/documents/" in links["Thẻ bảo hiểm y tế"]

    # ... and each link downloads its PDF
    for title, href in links.items():
        download = client.get(href)
        assert download.status_code == 200, title
        assert download["Content-Type"] == "application/pdf"
        assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_the_citizen_api_lists_the_three_results_of_the_birth_dossier(world, registered, client):
    client = signed_in(client, world.parent)
    detail = client.get(reverse("api:me-dossier", args=[registered.pk])).json()

    results = detail["results"]
    assert [r["title"] for r in results] == list(TITLES)
    assert all(r["kind"] == DossierDocument.Kind.RESULT for r in results)
    for result in results:
        download = client.get(result["url"])
        assert download.status_code == 200, result["title"]
        assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_before_the_results_are_ready_none_is_listed(world, run_on_commit, client):
    # Given the birth registered and only the police done
    birth = run_on_commit(world.register_birth)
    police = handoffs_of(birth)["residence"].agency_dossier
    run_on_commit(world.decide, police)
    client = signed_in(client, world.parent)

    # Then neither the page nor the API offers results yet
    page = client.get(reverse("mine:dossier", args=[birth.pk])).content.decode()
    assert 'data-testid="results"' not in page
    assert client.get(reverse("api:me-dossier", args=[birth.pk])).json()["results"] == []


def test_another_citizen_gets_none_of_the_results(world, registered, client):
    # Given another citizen, linked to their own record
    stranger = UserFactory(full_name="Lê Thị Giang")
    IdentityLink.objects.create(user=stranger, person=PersonFactory(), level=1, method="self")
    client = signed_in(client, stranger)

    # Then the birth dossier, its results and those handed on are all "not found"
    assert client.get(reverse("mine:dossier", args=[registered.pk])).status_code == 404
    assert client.get(reverse("api:me-dossier", args=[registered.pk])).status_code == 404
    for dossier in (registered, *handed_on(registered)):
        for document in dossier.documents.filter(kind=DossierDocument.Kind.RESULT):
            for name in ("mine:document", "api:me-dossier-document"):
                url = reverse(name, args=[dossier.pk, document.pk])
                assert client.get(url).status_code == 404, (name, document.title)


def test_a_handed_on_result_is_not_served_under_the_birth_dossiers_address(
    world, registered, client
):
    client = signed_in(client, world.parent)
    police, _insurance = handed_on(registered)
    document = police.documents.get(kind=DossierDocument.Kind.RESULT)
    url = reverse("mine:document", args=[registered.pk, document.pk])
    assert client.get(url).status_code == 404


def test_the_dossier_page_costs_the_same_queries_however_many_results_are_handed_on(
    world, registered, client, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = signed_in(client, world.parent)
    url = reverse("mine:dossier", args=[registered.pk])
    with CaptureQueriesContext(connection) as before:
        assert client.get(url).status_code == 200
    for dossier in handed_on(registered):
        store_result(dossier, key="copy", title="Bản sao")

    with django_assert_num_queries(len(before.captured_queries)):
        page = client.get(url).content.decode()
    assert len(result_links(page)) == 5
