"""The back office after the interconnected birth: the menu leads the heads
and administrators to the handoffs, the dossier page speaks the answers'
language (choice labels, a late registration flagged) and links each issued
result to its verification page; counter intake prefills the declarer from
the person found in step 1 and answers an empty confirmation with the
problems, not a server error."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from citizens.models import Role
from onecounter.models import Dossier, DossierDocument
from tests.conftest import enrol_totp
from tests.factories import MembershipFactory, PersonFactory, UserFactory
from tests.test_birth_cases import (
    World,
    birth,
    child,
    days_ago,
    declarer,
    english,
    outside_hospital,
    the_parents,
)
from tests.test_my_dossiers import use_private_storage

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(settings, tmp_path):
    use_private_storage(settings, tmp_path)
    return World()


def text(response) -> str:
    return html.unescape(response.content.decode())


def input_value(page: str, name: str) -> str | None:
    """The value of the text input ``name`` (None when it has none)."""
    tag = re.search(r'<input[^>]*name="' + re.escape(name) + r'"[^>]*>', page)
    assert tag, name
    value = re.search(r'value="([^"]*)"', tag.group(0))
    return value.group(1) if value else None


def answer(page: str, label: str) -> str:
    """The answer shown under the question ``label`` on the dossier page."""
    found = re.search(
        r'<dt class="summary-list__key">'
        + re.escape(label)
        + r'</dt><dd class="summary-list__value">'
        r"(.*?)</dd>",
        page,
    )
    assert found, label
    return found.group(1)


# --- The menu --------------------------------------------------------------------------------


def test_the_menu_leads_heads_and_administrators_to_the_handoffs_and_no_one_else(world):
    handoffs = reverse("handoffs:list")
    head = english(world.staff[Role.HEAD])
    page = text(head.get(reverse("dossiers:queue", args=[world.agency.code])))
    assert f'href="{handoffs}" data-testid="nav-handoffs"' in page

    # On the handoffs page its link is the current one, not "Agencies".
    page = text(head.get(handoffs))
    assert f'href="{handoffs}" data-testid="nav-handoffs" aria-current="page"' in page
    assert 'aria-current="true">Agencies' not in page

    admin = UserFactory(is_superuser=True, is_staff=True)
    enrol_totp(admin)
    assert 'data-testid="nav-handoffs"' in text(english(admin).get(handoffs))

    for role in (Role.CLERK, Role.OFFICER):
        page = text(english(world.staff[role]).get(reverse("dossiers:queue", args=["UBBD"])))
        assert 'data-testid="nav-handoffs"' not in page, role
        assert english(world.staff[role]).get(handoffs).status_code == 403

    # The head of any agency (here social insurance) sees the link on every back-office page.
    other_head = MembershipFactory(role=Role.HEAD).user
    enrol_totp(other_head)
    home = english(other_head).get(reverse("backoffice:home"), follow=True)
    assert home.status_code == 200 and 'data-testid="nav-handoffs"' in text(home)


# --- Counter intake and the dossier page --------------------------------------------------------


def intake(world, person, pages: dict[int, dict]):
    """The clerk's browser after the pages, on the confirmation step."""
    client = world.staff_client()
    base = reverse("dossiers:intake-person", args=[world.agency.code])
    assert client.post(base, {"id_number": person.id_number}).status_code == 302
    assert client.post(base + "procedure/", {"procedure": world.procedure.pk}).status_code == 302
    for number, answers in pages.items():
        response = client.post(base + f"answers/{number}/", answers)
        assert response.status_code == 302, text(response)[:3000]
    assert client.post(base + "contact/", {"phone": "0912345678", "email": ""}).status_code == 302
    return client, base


def late_at_home_by_grandmother(world) -> dict[int, dict]:
    return {
        1: declarer("grandparent", world.grandmother, declarer_reason="Cha mẹ đi công tác xa"),
        2: child(),
        3: birth(
            world,
            days_ago(400),
            **outside_hospital("witness_statement"),
            evidence_document="on",
            birth_facts_document="on",
            late_reason="Gia đình không biết thủ tục",
            never_registered="on",
        ),
        4: the_parents(world),
    }


def test_the_declarer_found_in_step_1_is_prefilled_and_may_be_changed(world):
    client = world.staff_client()
    base = reverse("dossiers:intake-person", args=[world.agency.code])
    client.post(base, {"id_number": world.grandmother.id_number})
    client.post(base + "procedure/", {"procedure": world.procedure.pk})

    page = text(client.get(base + "answers/1/"))
    assert input_value(page, "declarer_id_number") == world.grandmother.id_number
    # The household it suggests is the declarer's own, on the last page.
    page = text(client.get(base + "answers/4/"))
    assert input_value(page, "household_number") == world.grandmothers_home.number

    # What the clerk typed instead is kept when the page is shown again.
    client.post(base + "answers/1/", declarer("mother", world.mother))
    page = text(client.get(base + "answers/1/"))
    assert input_value(page, "declarer_id_number") == world.mother.id_number


def test_an_empty_confirmation_shows_the_problems_instead_of_failing(world):
    """Given a counter intake whose answers the birth handler refuses as a
    whole (the population database has this child already), when the
    confirmation is posted without any field (as the test client may: it does
    not check the CSRF token), then the page answers 400 with the problem, and
    nothing is filed."""
    PersonFactory(full_name="Trần Minh An", sex="M", birth_date=days_ago(10), mother=world.mother)
    pages = {
        1: declarer("mother", world.mother),
        2: child(),
        3: birth(world, days_ago(10)),
        4: the_parents(world, mother_id_number=""),
    }
    client, base = intake(world, world.mother, pages)

    response = client.post(base + "confirm/")

    assert response.status_code == 400
    page = text(response)
    assert 'class="error-summary"' in page
    # The existing record is named (not its personal ID number).
    assert "This child is registered already in the population database: Trần Minh An" in page
    assert not Dossier.objects.filter(channel=Dossier.Channel.COUNTER).exists()


def test_an_empty_post_of_step_1_shows_that_the_number_is_needed(world):
    client = world.staff_client()
    response = client.post(reverse("dossiers:intake-person", args=[world.agency.code]))
    assert response.status_code == 400
    assert 'class="error-summary"' in text(response)


def test_choices_show_their_labels_and_a_late_registration_is_flagged(world):
    client, base = intake(world, world.grandmother, late_at_home_by_grandmother(world))

    confirm = text(client.get(base + "confirm/"))
    assert "Grandparent" in confirm
    assert "Born outside a hospital: a witness's written statement" in confirm

    response = client.post(base + "confirm/", {"csrfmiddlewaretoken": "x"})
    assert response.status_code == 302, text(response)[:3000]
    dossier = Dossier.objects.get(channel=Dossier.Channel.COUNTER)
    assert dossier.data["declarer_relation"] == "grandparent" and dossier.data["late"] is True

    page = world.staff_page(dossier)
    assert answer(page, "You are the child's") == "Grandparent"
    assert answer(page, "Evidence of the birth") == (
        "Born outside a hospital: a witness's written statement"
    )
    assert answer(page, "Sex") == "male"
    assert 'data-flag="late-registration">Late registration</strong>' in page
    vietnamese = Client()  # Vietnamese first
    vietnamese.force_login(world.staff[Role.OFFICER])
    page = text(vietnamese.get(reverse("dossiers:detail", args=[world.agency.code, dossier.pk])))
    assert 'data-flag="late-registration">Đăng ký khai sinh quá hạn</strong>' in page

    # A birth within 60 days carries no such flag.
    Dossier.objects.filter(pk=dossier.pk).update(data={**dossier.data, "late": False})
    assert 'data-flag="late-registration"' not in world.staff_page(dossier)


def test_an_issued_result_links_to_its_verification_page(settings, tmp_path):
    from tests.test_result_documents import make_world, register_birth

    use_private_storage(settings, tmp_path)
    family = make_world()
    dossier = register_birth(family)
    extract = DossierDocument.objects.get(dossier=dossier, key="birth_certificate")
    agency, staff = family["committee"]
    enrol_totp(staff[Role.CLERK])
    client = english(staff[Role.CLERK])

    page = text(client.get(reverse("dossiers:detail", args=[agency.code, dossier.pk])))

    verify = reverse("verify:document", args=[extract.pk])
    assert f'href="{verify}" data-testid="verify-link"' in page
    assert extract.number in page
    assert page.count('data-testid="verify-link"') == 1  # the slips have no such page
    assert client.get(verify).status_code == 200
