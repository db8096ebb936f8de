"""One child, one record: the same birth filed twice never gets two personal ID
numbers (``onecounter.duplicates``, ``procedures.handlers.birth.duplicates``).

The same birth (the same mother, date of birth and name) filed by the mother
online and by the father at the counter is flagged for the clerk and the head
side by side; once one is registered, the other is refused with the record
named, at submission and at approval; a likely duplicate needs the head's
decision with a reason, kept in the history; two approvals at the same moment
issue one number. The same for permanent residence (one person, one household)
and health-insurance cards (one open card request per child).
"""

from __future__ import annotations

import datetime as dt
import html
import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from citizens.models import Person, Role
from egov.errors import ConflictError, ValidationFailed
from onecounter import duplicates, transitions
from onecounter.models import Dossier, DossierEvent
from onecounter.models import DossierStatus as S
from procedures.handlers.birth.services import birth_source
from tests.factories import DossierFactory, PersonFactory, ProcedureFactory
from tests.test_birth_cases import (
    TODAY,
    World,
    by_mother_at_counter,
    by_mother_online,
    days_ago,
    declarer,
)
from tests.test_my_dossiers import use_private_storage

pytestmark = pytest.mark.django_db

BORN = days_ago(6)


@pytest.fixture(name="world")
def world_fixture(settings, tmp_path) -> World:
    use_private_storage(settings, tmp_path)
    return World()


def to_proposed(world: World, dossier: Dossier) -> Dossier:
    officer = world.staff[Role.OFFICER]
    dossier = Dossier.objects.get(pk=dossier.pk)
    if dossier.status == S.SUBMITTED:
        dossier = transitions.perform(dossier, "receive", actor=world.staff[Role.CLERK])
    dossier = transitions.perform(dossier, "assign", actor=officer, officer=officer)
    return transitions.perform(dossier, "propose", actor=officer, decision="approve")


def by_father_at_counter(world: World, **page2) -> dict[int, dict]:
    """The father declares the same child at the counter (the mother by her ID)."""
    pages = by_mother_at_counter(world, BORN, page2=page2)
    pages[1] = declarer("father", world.father)
    pages[4] = {**pages[4], "mother_id_number": world.mother.id_number, "father_id_number": ""}
    return pages


def children_named(world: World, name: str) -> int:
    return Person.objects.filter(mother=world.mother, full_name=name).count()


# --- The same birth, twice ---------------------------------------------------------------------


def test_the_same_birth_by_both_parents_is_flagged_side_by_side_and_registered_once(world):
    """Given the mother's online declaration still open, when the father declares
    the same child at the counter, then it is taken (it may be the parents' one
    request) but the clerk and the head see both side by side; once the
    mother's is registered, approving the father's is refused naming the
    record, and a third filing is refused when sent, naming the registration."""
    first = world.file_online(world.mother, by_mother_online(world, BORN))
    assert first.sent, first.text[:3000]
    second = world.file_at_counter(world.father, by_father_at_counter(world))
    assert second.sent, second.text[:3000]
    assert first.dossier.duplicate_key == second.dossier.duplicate_key != ""

    queue = world.staff_client().get(
        reverse("dossiers:queue", args=[world.agency.code]), {"view": "all"}
    )
    rows = html.unescape(queue.content.decode()).split("<tr data-dossier=")
    flagged = [row for row in rows if 'data-flag="possible-duplicate"' in row]
    assert sorted(row.split('"')[1] for row in flagged) == sorted(
        [first.dossier.code, second.dossier.code]
    )

    page = world.staff_page(second.dossier)
    assert 'data-testid="duplicates"' in page
    assert "Possible duplicate: compare before deciding" in page
    assert f'data-reference="{first.dossier.code}"' in page
    assert "Trần Minh An" in page and "This dossier" in page

    registered = world.register(first.dossier)
    second_proposed = to_proposed(world, second.dossier)
    with pytest.raises(duplicates.DuplicateFound) as refused:
        transitions.perform(
            second_proposed,
            "approve",
            actor=world.staff[Role.HEAD],
            reason="Cha khai",
            duplicate_decision="not_duplicate",
        )
    assert refused.value.code == "duplicate"
    assert registered.id_number in str(refused.value.message)
    assert refused.value.data["duplicates"][0]["reference"] == registered.id_number
    assert Dossier.objects.get(pk=second.dossier.pk).status == S.PROPOSED
    assert children_named(world, "Trần Minh An") == 1

    page = world.staff_page(second.dossier)
    assert "Duplicate: this request is registered already" in page
    assert registered.id_number in page

    third = world.file_online(world.mother, by_mother_online(world, BORN))
    assert not third.sent
    assert f"registered by dossier {first.dossier.code}" in third.text
    assert registered.id_number not in third.text  # the citizen is not told the number


def test_the_same_birth_typed_without_diacritics_is_the_same_child(world):
    first = world.file_online(world.mother, by_mother_online(world, BORN))
    world.register(first.dossier)
    again = world.file_at_counter(
        world.father, by_father_at_counter(world, full_name="tran  minh an")
    )
    assert not again.sent
    assert f"registered by dossier {first.dossier.code}" in again.text


def test_a_likely_duplicate_needs_the_heads_decision_with_a_reason_kept_in_the_history(world):
    """Given two open declarations of a child of the mother born the same day
    with other names, not declared as twins, the head approving the second
    must confirm it is not a duplicate and say why, in the page and the API;
    the decision is in the event history."""
    first = world.file_online(world.mother, by_mother_online(world, BORN))
    second = world.file_at_counter(
        world.father, by_father_at_counter(world, full_name="Trần Minh Anh")
    )
    assert first.sent and second.sent
    proposed = to_proposed(world, second.dossier)
    head = world.staff[Role.HEAD]

    with pytest.raises(ConflictError) as undecided:
        transitions.perform(proposed, "approve", actor=head)
    assert undecided.value.code == "duplicate_decision_required"
    assert undecided.value.data["duplicates"][0]["reference"] == first.dossier.code

    # Through the staff API: the same refusal, machine-readable.
    api = APIClient()
    api.force_login(head)
    url = reverse(
        "api:backoffice-dossier-action",
        args=[world.agency.code, second.dossier.pk, "approve"],
    )
    response = api.post(url, {"duplicate_decision": "not_duplicate"}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "duplicate_decision_required"

    # In the browser: the approve form asks for the decision and its reason.
    client = world.staff_client(Role.HEAD)
    action = reverse("dossiers:action", args=[world.agency.code, second.dossier.pk, "approve"])
    refused = client.post(action, {"approve-reason": ""})
    text = html.unescape(refused.content.decode())
    assert refused.status_code == 400
    assert "Confirm that the dossier is not a duplicate, or reject it." in text
    assert "Say why the dossier is not a duplicate." in text
    done = client.post(
        action,
        {"approve-not_duplicate": "on", "approve-reason": "Hai lần sinh khác nhau: con thứ hai"},
    )
    assert done.status_code == 302
    approved = Dossier.objects.get(pk=second.dossier.pk)
    assert approved.status == S.APPROVED
    event = DossierEvent.objects.get(dossier=approved, action="approve")
    assert event.data["duplicate_decision"] == "not_duplicate"
    assert [d["reference"] for d in event.data["duplicates"]] == [first.dossier.code]
    assert event.reason == "Hai lần sinh khác nhau: con thứ hai"
    assert "Decided not a duplicate of" in world.staff_page(approved)


def test_twins_with_other_names_and_orders_are_not_duplicates(world):
    twin = {"multiple_birth": "on", "multiple_birth_order": "1", "full_name": "Trần Minh Nhật"}
    first = world.file_online(world.mother, by_mother_online(world, BORN, page2=twin))
    assert first.sent
    second = world.file_at_counter(
        world.mother,
        by_mother_at_counter(
            world,
            BORN,
            page2={
                **twin,
                "full_name": "Trần Minh Nguyệt",
                "multiple_birth_order": "2",
                "birth_order": "2",
                "sex": "F",
                "sibling_dossier_code": first.dossier.code,
            },
        ),
    )
    assert second.sent, second.text[:3000]
    assert duplicates.matches_of(second.dossier) == []
    world.register(first.dossier)
    assert duplicates.matches_of(Dossier.objects.get(pk=second.dossier.pk)) == []
    world.register(second.dossier)
    assert Person.objects.filter(mother=world.mother, birth_date=BORN).count() == 2


# --- Two approvals at the same moment ------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_heads_approving_the_same_birth_at_once_issue_one_number(world):
    """Given the same birth filed twice and both proposed for approval, when two
    heads approve them at the same moment (two PostgreSQL sessions), then one
    approval registers the child and the other is refused as a duplicate."""
    first = world.file_online(world.mother, by_mother_online(world, BORN))
    second = world.file_at_counter(world.father, by_father_at_counter(world))
    dossiers = [to_proposed(world, first.dossier), to_proposed(world, second.dossier)]
    head = world.staff[Role.HEAD]
    barrier = threading.Barrier(2)
    outcomes: dict[int, str] = {}

    def approve(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            transitions.perform(
                dossiers[index],
                "approve",
                actor=head,
                reason="Đã đối chiếu",
                duplicate_decision="not_duplicate",
            )
            outcomes[index] = "approved"
        except duplicates.DuplicateFound:
            outcomes[index] = "duplicate"
        except Exception as exc:  # noqa: BLE001 (reported by the assertion)
            outcomes[index] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(i,)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes.values()) == ["approved", "duplicate"], outcomes
    assert children_named(world, "Trần Minh An") == 1
    statuses = set(
        Dossier.objects.filter(pk__in=[d.pk for d in dossiers]).values_list("status", flat=True)
    )
    assert statuses == {S.APPROVED, S.PROPOSED}


def test_the_database_refuses_a_second_record_of_the_same_birth(world):
    """The guard under the lock: two birth-registered records of one mother,
    date of birth and name cannot both exist."""
    fields = {"full_name": "Trần Minh An", "sex": "M", "birth_date": BORN, "mother": world.mother}
    PersonFactory(source=birth_source("UBBD-261201-0001"), **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        PersonFactory(source=birth_source("UBBD-261201-0002"), **fields)
    # Twins (another name) and records not made by a birth dossier are not refused.
    PersonFactory(
        source=birth_source("UBBD-261201-0003"), **{**fields, "full_name": "Trần Minh Anh"}
    )
    PersonFactory(source="import:2026", **fields)


# --- Permanent residence and health-insurance cards --------------------------------------------


def _send(world: World, handler: str, data: dict) -> Dossier:
    procedure = ProcedureFactory(handler=handler, days_online=2, days_counter=2)
    procedure.offered_by.add(world.agency)
    dossier = DossierFactory(procedure=procedure, agency=world.agency, data=data)
    return transitions.perform(dossier, "submit", actor=world.staff[Role.CLERK])


def test_the_same_person_joining_the_same_household_twice_is_refused(world):
    newcomer = PersonFactory(full_name="Phạm Văn Cường", sex="M", birth_date=dt.date(2001, 3, 3))
    data = {
        "person_id_number": newcomer.id_number,
        "household_number": world.home.number,
        "relation": "other",
        "legal_basis": "relatives_home",
        "head_consents": "yes",
        "start_date": TODAY.isoformat(),
    }
    first = _send(world, "residence", data)
    with pytest.raises(ValidationFailed) as refused:
        _send(world, "residence", {**data, "household_number": world.home.number.lower()})
    assert refused.value.code == "duplicate"
    assert first.code in str(refused.value.message) or first.code in str(refused.value.data)

    # Once the first is approved, the person is in the household: a later one is refused too.
    proposed = to_proposed(world, first)
    transitions.perform(proposed, "approve", actor=world.staff[Role.HEAD])
    with pytest.raises(ValidationFailed) as again:
        _send(world, "residence", data)
    assert again.value.code == "duplicate"
    assert again.value.data["duplicates"][0]["kind"] == "record"


def test_one_open_card_request_per_child(world):
    baby = PersonFactory(full_name="Trần Minh Khôi", sex="M", birth_date=days_ago(30))
    data = {"child_id_number": baby.id_number, "health_facility": "Trạm y tế phường Ba Đình"}
    first = _send(world, "health_insurance", data)
    with pytest.raises(ValidationFailed) as refused:
        _send(world, "health_insurance", data)
    assert refused.value.code == "duplicate"
    assert first.code in str(refused.value.data)
    transitions.perform(to_proposed(world, first), "approve", actor=world.staff[Role.HEAD])
    baby.refresh_from_db()
    assert baby.health_insurance_number
    with pytest.raises(ValidationFailed):
        _send(world, "health_insurance", data)
