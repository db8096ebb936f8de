"""The interconnected birth registration: a birth approved by the ward is handed
on to the ward police (permanent residence) and to social insurance (the
child's card) at the same time; each works it in its own queue; the results
come back together to the parent's wallet with one notice.

Celery runs eagerly (tests/settings.py); the on-commit callbacks run through
``django_capture_on_commit_callbacks`` (the whole journey once more with real
commits in ``test_the_journey_with_real_commits``).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from citizens.models import (
    Agency,
    Household,
    HouseholdMembership,
    IdentityLink,
    IssuedIdNumber,
    Person,
    Role,
)
from egov.errors import ConflictError
from interconnect import services as handoff_services
from interconnect import tasks as handoff_tasks
from interconnect.models import Handoff, HandoffMessage
from onecounter import tasks as onecounter_tasks
from onecounter import transitions
from onecounter.models import Dossier, DossierDocument, Notification, WalletDocument
from onecounter.models import DossierStatus as S
from onecounter.wallet import documents as my_documents
from onecounter.wallet import services as wallet
from tests.factories import (
    AgencyFactory,
    DossierFactory,
    MembershipFactory,
    PersonFactory,
    ProcedureFactory,
    UserFactory,
    WardFactory,
)
from tests.test_my_dossiers import use_private_storage
from workdays.services import calendar_seed

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
PC, POLICE, SI = (
    Agency.Kind.PEOPLES_COMMITTEE,
    Agency.Kind.POLICE,
    Agency.Kind.SOCIAL_INSURANCE,
)
ROLES = (Role.CLERK, Role.OFFICER, Role.HEAD)


# --- The world: a ward with its People's Committee, police and social insurance -----------


class World:
    """Agencies, their staff, the three procedures, a family with a household
    and the mother's account."""

    def __init__(self):
        calendar_seed()
        self.ward = WardFactory(code="00004", name="Phường Long Biên")
        self.ublb = AgencyFactory(
            code="UBLB", name="UBND phường Long Biên", kind=PC, unit=self.ward
        )
        self.calb = AgencyFactory(
            code="CALB", name="Công an phường Long Biên", kind=POLICE, unit=self.ward
        )
        self.bhxh = AgencyFactory(
            code="BHXHLB", name="Bảo hiểm xã hội cơ sở Long Biên", kind=SI, unit=self.ward
        )
        self.staff = {
            (agency.code, role): MembershipFactory(
                agency=agency, role=role, user__full_name=f"{agency.code} {role}"
            ).user
            for agency in (self.ublb, self.calb, self.bhxh)
            for role in ROLES
        }
        self.birth = ProcedureFactory(
            code="1.001193", handler="birth", online_level="full", days_online=0, days_counter=0
        )
        self.birth.offered_by.add(self.ublb)
        self.residence = ProcedureFactory(
            code="1.004194",
            handler="residence",
            agency_kind=POLICE,
            online_level="full",
            days_online=7,
            days_counter=7,
            fee_online=10000,
            fee_counter=20000,
        )
        self.residence.offered_by.add(self.calb)
        self.card = ProcedureFactory(
            code="HN.BHXH.01",
            handler="health_insurance",
            agency_kind=SI,
            online_level="full",
            days_online=2,
            days_counter=5,
        )
        self.card.offered_by.add(self.bhxh)
        self.mother = PersonFactory(
            full_name="Nguyễn Thị Hoa",
            sex="F",
            birth_date=dt.date(1995, 5, 17),
            permanent_unit=self.ward,
        )
        self.father = PersonFactory(
            full_name="Trần Văn Bình",
            sex="M",
            birth_date=dt.date(1993, 2, 1),
            permanent_unit=self.ward,
            spouse=self.mother,
        )
        self.household = Household.objects.create(
            number="HN0010001", address="Số 5 phố Ngọc Lâm", unit=self.ward, head=self.mother
        )
        for person, relation in ((self.mother, "head"), (self.father, "spouse")):
            HouseholdMembership.objects.create(
                household=self.household,
                person=person,
                relation=relation,
                start_date=dt.date(2020, 1, 1),
            )
        self.parent = UserFactory(full_name="Nguyễn Thị Hoa", email="hoa@example.vn")
        IdentityLink.objects.create(user=self.parent, person=self.mother, level=2, method="counter")

    def user(self, code: str, role: str):
        return self.staff[(code, role)]

    def birth_data(self, **changes):
        data = {
            "full_name": "Trần Minh An",
            "sex": "M",
            "birth_date": (TODAY - dt.timedelta(days=10)).isoformat(),
            "birth_time": "08:30",
            "birth_facility": "Bệnh viện Phụ sản Hà Nội",
            "birth_address": {"address": "929 đường La Thành", "unit_code": self.ward.code},
            "ethnicity": "01",
            "nationality": "Việt Nam",
            "native_place": "Xã Đông Anh, Thành phố Hà Nội",
            "late": False,
            "birth_evidence": "hospital_certificate",
            "birth_order": 1,
            "multiple_birth": False,
            "declarer_relation": "mother",
            "declarer_id_number": self.mother.id_number,
            "mother_id_number": self.mother.id_number,
            "father_unknown": False,
            "father_id_number": self.father.id_number,
            "household_number": self.household.number,
            "health_facility": "Trạm y tế phường Long Biên",
        }
        data.update(changes)
        return data

    def file_birth(self, **changes) -> Dossier:
        """The mother's birth dossier, filed online and received by the ward."""
        dossier = DossierFactory(
            agency=self.ublb,
            procedure=self.birth,
            applicant=self.parent,
            applicant_person=self.mother,
            applicant_name=self.mother.full_name,
            applicant_id_number=self.mother.id_number,
            applicant_email=self.parent.email,
            applicant_phone="",
            data=self.birth_data(**changes),
        )
        dossier = transitions.perform(dossier, "submit", actor=self.parent)
        return transitions.perform(dossier, "receive", actor=self.user("UBLB", Role.CLERK))

    def decide(self, dossier: Dossier, decision: str = "approve", reason: str = "") -> Dossier:
        """The agency's officer takes the dossier and proposes; its head decides."""
        code = dossier.agency.code
        officer, head = self.user(code, Role.OFFICER), self.user(code, Role.HEAD)
        dossier = Dossier.objects.get(pk=dossier.pk)
        if dossier.status == S.RECEIVED:
            dossier = transitions.perform(dossier, "assign", actor=officer, officer=officer)
        if dossier.status == S.IN_PROCESSING:
            dossier = transitions.perform(
                dossier, "propose", actor=officer, decision=decision, reason=reason
            )
        return transitions.perform(dossier, decision, actor=head, reason=reason)

    def register_birth(self, **changes) -> Dossier:
        return self.decide(self.file_birth(**changes))


@pytest.fixture
def world(settings, tmp_path):
    use_private_storage(settings, tmp_path)
    settings.EGOV_CIVIL_REGISTRY_URL = ""
    return World()


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run what is enqueued after commit (eager Celery tasks), including what
    those callbacks enqueue in turn."""

    def run(function, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(*args, **kwargs)

    return run


def handoffs_of(dossier: Dossier) -> dict[str, Handoff]:
    return {h.target: h for h in Handoff.objects.filter(dossier=dossier)}


def child_of(dossier: Dossier) -> Person:
    return Person.objects.get(source=f"birth:{dossier.code}")


# --- The journey -------------------------------------------------------------------------------


def test_the_whole_journey_brings_three_results_together_with_one_notice(world, run_on_commit):
    # Given a birth dossier received by the ward
    # When the ward head approves it
    birth = run_on_commit(world.register_birth)
    child = child_of(birth)
    handoffs = handoffs_of(birth)

    # Then it is handed on to the police and to social insurance at once,
    # each as a dossier in that agency's queue, with only what it needs
    assert set(handoffs) == {"residence", "insurance"}
    residence, insurance = handoffs["residence"], handoffs["insurance"]
    assert residence.key == f"{birth.code}:residence"
    for handoff in (residence, insurance):
        assert handoff.status == Handoff.Status.DELIVERED
        assert handoff.attempts == 1
        assert handoff.agency_dossier is not None
        assert handoff.messages.filter(kind="deliver", response_status=201).count() == 1
        assert len(handoff.payload_sha256) == 64
    police_dossier = residence.agency_dossier
    card_dossier = insurance.agency_dossier
    assert police_dossier.agency == world.calb and police_dossier.procedure == world.residence
    assert card_dossier.agency == world.bhxh and card_dossier.procedure == world.card
    assert police_dossier.channel == Dossier.Channel.LINKED
    assert police_dossier.status == S.RECEIVED and police_dossier.code.startswith("CALB-")
    assert police_dossier.applicant == world.parent and police_dossier.subject_person == child
    assert police_dossier.fee == 0
    assert police_dossier.data == {
        "person_id_number": child.id_number,
        "household_number": world.household.number,
        "relation": "child",
        "legal_basis": "relatives_home",
        "head_consents": "yes",
        "start_date": TODAY.isoformat(),
        "full_name": "Trần Minh An",
        "birth_date": child.birth_date.isoformat(),
        "sex": "M",
    }
    assert card_dossier.data == {
        "child_id_number": child.id_number,
        "health_facility": "Trạm y tế phường Long Biên",
        "full_name": "Trần Minh An",
        "birth_date": child.birth_date.isoformat(),
        "sex": "M",
    }
    # ... received by the system with a 2-working-day budget, a receipt and a notice
    from workdays.calendar import WorkCalendar

    due = WorkCalendar.load().due_date(police_dossier.received_at, 2)
    assert police_dossier.due_date == due == residence.due_date
    hand_in = police_dossier.events.get(action="hand_in")
    assert hand_in.actor is None
    assert police_dossier.documents.filter(kind=DossierDocument.Kind.RECEIPT).exclude(file="")
    assert Notification.objects.filter(event=hand_in, user=world.parent).exists()
    assert birth.status == S.APPROVED

    # When the police approve first, the birth still waits for social insurance
    run_on_commit(world.decide, police_dossier)
    police_dossier.refresh_from_db()
    residence.refresh_from_db()
    birth.refresh_from_db()
    assert police_dossier.status == S.RESULT_READY
    assert residence.status == Handoff.Status.COMPLETED and residence.finished_at
    assert residence.messages.filter(kind="decision", direction="in").count() == 1
    assert birth.status == S.APPROVED
    membership = HouseholdMembership.objects.get(person=child)
    assert membership.household == world.household
    assert membership.start_date == TODAY and membership.end_date is None
    assert membership.relation == "child"
    # ... and nothing reaches the wallet yet: the results come together
    assert not WalletDocument.objects.filter(owner=world.parent).exists()

    # When social insurance approves too
    mail.outbox.clear()
    run_on_commit(world.decide, card_dossier)
    card_dossier.refresh_from_db()
    birth.refresh_from_db()
    child.refresh_from_db()
    assert card_dossier.status == S.RESULT_READY
    assert child.health_insurance_number.startswith("TE101")

    # Then the birth dossier's result is ready, by the system
    assert birth.status == S.RESULT_READY
    assert birth.events.get(action="mark_result_ready").actor is None
    # ... the wallet holds the three results
    kinds = sorted(WalletDocument.objects.filter(owner=world.parent).values_list("kind", flat=True))
    assert kinds == ["birth_certificate", "health_insurance_card", "residence_confirmation"]
    # ... and one email lists them (the agencies' own "result ready" steps say nothing)
    ready = [m for m in mail.outbox if birth.code in m.subject]
    assert len(ready) == 1
    body = ready[0].body
    titles = DossierDocument.objects.filter(
        dossier__in=[birth, police_dossier, card_dossier], kind=DossierDocument.Kind.RESULT
    ).values_list("title", flat=True)
    assert len(titles) == 3
    for title in titles:
        assert title in body
    assert not [m for m in mail.outbox if card_dossier.code in m.subject and "sẵn" in m.subject]


@pytest.mark.django_db(transaction=True)
def test_the_journey_with_real_commits(world):
    """The same journey with each step committed, as in production (tasks run
    eagerly when their transaction commits)."""
    birth = world.register_birth()
    handoffs = handoffs_of(birth)
    assert {h.status for h in handoffs.values()} == {Handoff.Status.DELIVERED}
    for handoff in handoffs.values():
        world.decide(handoff.agency_dossier)
    birth.refresh_from_db()
    assert birth.status == S.RESULT_READY
    assert WalletDocument.objects.filter(owner=world.parent).count() == 3
    assert Notification.objects.filter(
        event__dossier=birth, event__action="mark_result_ready", email_sent_at__isnull=False
    ).exists()


def test_staff_cannot_mark_the_birth_result_ready_while_handoffs_are_open(world, run_on_commit):
    birth = run_on_commit(world.register_birth)
    with pytest.raises(ConflictError) as error:
        transitions.perform(birth, "mark_result_ready", actor=world.user("UBLB", Role.CLERK))
    assert error.value.code == "handoffs_pending"
    assert {h["target"] for h in error.value.data["handoffs"]} == {"residence", "insurance"}


def test_an_api_client_gets_409_handoffs_pending(world, run_on_commit, client):
    from tests.conftest import enrol_totp

    birth = run_on_commit(world.register_birth)
    clerk = world.user("UBLB", Role.CLERK)
    enrol_totp(clerk)
    client.force_login(clerk)
    response = client.post(
        f"/api/v1/back-office/agencies/UBLB/dossiers/{birth.pk}/actions/mark_result_ready/",
        {},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "handoffs_pending"


def test_neither_agency_waits_for_the_other(world, run_on_commit):
    birth = run_on_commit(world.register_birth)
    handoffs = handoffs_of(birth)
    # Social insurance finishes first, the police later: same end.
    run_on_commit(world.decide, handoffs["insurance"].agency_dossier)
    birth.refresh_from_db()
    assert birth.status == S.APPROVED
    run_on_commit(world.decide, handoffs["residence"].agency_dossier)
    birth.refresh_from_db()
    assert birth.status == S.RESULT_READY


def test_a_late_registration_of_a_child_of_6_or_more_is_not_handed_to_social_insurance(
    world, run_on_commit
):
    seven_years = TODAY.replace(year=TODAY.year - 7) - dt.timedelta(days=3)
    birth = run_on_commit(world.register_birth, birth_date=seven_years.isoformat(), late=True)
    assert set(handoffs_of(birth)) == {"residence"}
    run_on_commit(world.decide, handoffs_of(birth)["residence"].agency_dossier)
    birth.refresh_from_db()
    assert birth.status == S.RESULT_READY


def test_a_grandparent_heading_the_household_makes_the_child_a_grandchild(world, run_on_commit):
    grandmother = PersonFactory(
        full_name="Lê Thị Lan", sex="F", birth_date=dt.date(1960, 1, 1), permanent_unit=world.ward
    )
    world.mother.mother = grandmother
    world.mother.save(update_fields=["mother"])
    household = Household.objects.create(
        number="HN0010002", address="Số 7 phố Ngọc Lâm", unit=world.ward, head=grandmother
    )
    birth = run_on_commit(world.register_birth, household_number=household.number)
    payload = handoffs_of(birth)["residence"].payload
    assert payload["relation"] == "grandchild"
    assert payload["household_number"] == "HN0010002"
    # The head did not declare the birth and no consent was given: the police see it.
    assert payload["head_consents"] == "no"


def test_the_civil_registry_handoff_exists_only_where_it_is_configured(
    world, run_on_commit, settings
):
    settings.EGOV_CIVIL_REGISTRY_URL = "https://registry.example.vn/births"
    settings.EGOV_CIVIL_REGISTRY_SECRET = ""
    # An elder sibling, born two years before (not a duplicate of the next birth).
    elder = (TODAY - dt.timedelta(days=730)).isoformat()
    assert "civil_registry" not in handoffs_of(
        world.decide(world.file_birth(full_name="Trần Minh Khang", birth_date=elder))
    )
    settings.EGOV_CIVIL_REGISTRY_SECRET = "shared-secret-for-tests"
    birth = world.file_birth()
    # The registry is not called here (no on-commit): only the outbox rows are checked.
    birth = world.decide(birth)
    handoffs = handoffs_of(birth)
    assert set(handoffs) == {"residence", "insurance", "civil_registry"}
    registry = handoffs["civil_registry"]
    assert registry.agency is None and registry.status == Handoff.Status.PENDING
    child = registry.payload["child"]
    assert child["id_number"] == child_of(birth).id_number
    assert registry.payload["dossier_code"] == birth.code
    # The birth's result does not wait for an outside registry.
    for target in ("residence", "insurance"):
        Handoff.objects.filter(pk=handoffs[target].pk).update(status="completed")
    assert handoff_services.handoff_join_now(birth.pk)


# --- Exactly once -----------------------------------------------------------------------------


def test_delivering_twice_and_sweeping_after_delivery_duplicate_nothing(world, run_on_commit):
    birth = run_on_commit(world.register_birth)
    residence = handoffs_of(birth)["residence"]
    dossiers_before = Dossier.objects.count()
    # The task runs again (a redelivered message), and the sweep passes by.
    assert handoff_tasks.deliver_handoff(str(residence.pk)) == "not_pending"
    assert run_on_commit(handoff_tasks.sweep_handoffs) == 0
    assert Dossier.objects.count() == dossiers_before
    assert residence.messages.filter(kind="deliver").count() == 1


def test_a_pending_handoff_delivered_twice_creates_one_agency_dossier(world):
    # No on-commit: the handoffs stay pending, as after a lost task.
    birth = world.register_birth()
    residence = handoffs_of(birth)["residence"]
    assert residence.status == Handoff.Status.PENDING
    assert handoff_services.handoff_deliver(residence.pk).code == "delivered"
    assert handoff_services.handoff_deliver(residence.pk).code == "not_pending"
    assert Dossier.objects.filter(agency=world.calb).count() == 1


def test_approving_twice_duplicates_nothing(world, run_on_commit):
    birth = run_on_commit(world.register_birth)
    child = child_of(birth)
    head = world.user("UBLB", Role.HEAD)
    with pytest.raises(ConflictError):
        transitions.perform(birth, "approve", actor=head)
    # The handler's effects applied again (a retried approval) change nothing either.
    from procedures.handlers import registry

    ref = transitions.DossierRef(birth)
    registry.get("birth").on_approved(world.birth, ref, head)
    handoff_services.handoffs_create(
        dossier=birth, specs=registry.get("birth").handoffs(world.birth, ref)
    )
    assert Person.objects.filter(source=f"birth:{birth.code}").count() == 1
    assert IssuedIdNumber.objects.filter(number=child.id_number).count() == 1
    assert Handoff.objects.filter(dossier=birth).count() == 2

    handoffs = handoffs_of(birth)
    police_dossier = handoffs["residence"].agency_dossier
    card_dossier = handoffs["insurance"].agency_dossier
    run_on_commit(world.decide, police_dossier)
    run_on_commit(world.decide, card_dossier)
    police_head, card_head = world.user("CALB", Role.HEAD), world.user("BHXHLB", Role.HEAD)
    for dossier, head in ((police_dossier, police_head), (card_dossier, card_head)):
        with pytest.raises(ConflictError):
            transitions.perform(dossier, "approve", actor=head)
        dossier.refresh_from_db()
        handler = registry.get(dossier.procedure.handler)
        handler.on_approved(dossier.procedure, transitions.DossierRef(dossier), head)
    child.refresh_from_db()
    card = child.health_insurance_number
    assert HouseholdMembership.objects.filter(person=child).count() == 1
    assert Person.objects.filter(health_insurance_number=card).count() == 1
    # Running every task again changes nothing.
    run_on_commit(handoff_tasks.sweep_handoffs)
    for event in birth.events.all():
        onecounter_tasks.after_event(event.pk)
    assert WalletDocument.objects.filter(owner=world.parent).count() == 3
    assert my_documents.deliver_results(birth) == []
    assert HandoffMessage.objects.filter(kind="decision").count() == 2


# --- Refusal, supplements ---------------------------------------------------------------------


def test_a_refusal_by_the_police_leaves_the_birth_registered_and_tells_the_parent(
    world, run_on_commit
):
    birth = run_on_commit(world.register_birth)
    child = child_of(birth)
    handoffs = handoffs_of(birth)
    police_dossier = handoffs["residence"].agency_dossier
    mail.outbox.clear()
    run_on_commit(world.decide, police_dossier, "reject", "Chủ hộ chưa đồng ý cho nhập hộ khẩu.")
    residence = Handoff.objects.get(pk=handoffs["residence"].pk)
    assert residence.status == Handoff.Status.REFUSED
    assert residence.outcome_note == "Chủ hộ chưa đồng ý cho nhập hộ khẩu."
    # The birth is still registered: the child's record and number stay.
    assert Person.objects.get(pk=child.pk).status == Person.Status.LIVING
    assert not HouseholdMembership.objects.filter(person=child).exists()
    # The parent is told what to do next, with the child's ID number.
    notice = Notification.objects.get(dossier=police_dossier, event__action="reject")
    assert child.id_number in notice.body
    assert world.calb.name in notice.body
    assert "Chủ hộ chưa đồng ý" in notice.body
    assert any(child.id_number in m.body for m in mail.outbox)
    # Once social insurance finishes, the birth certificate and the card come back.
    run_on_commit(world.decide, handoffs["insurance"].agency_dossier)
    birth.refresh_from_db()
    assert birth.status == S.RESULT_READY
    kinds = set(WalletDocument.objects.filter(owner=world.parent).values_list("kind", flat=True))
    assert {"birth_certificate", "health_insurance_card"} <= kinds
    assert "residence_confirmation" not in kinds
    final = Notification.objects.get(event__dossier=birth, event__action="mark_result_ready")
    assert "Chủ hộ chưa đồng ý" in final.body and child.id_number in final.body


def test_a_supplement_asked_by_social_insurance_is_answered_by_the_parent(world, run_on_commit):
    birth = run_on_commit(world.register_birth)
    card_dossier = handoffs_of(birth)["insurance"].agency_dossier
    officer = world.user("BHXHLB", Role.OFFICER)
    card_dossier = transitions.perform(card_dossier, "assign", actor=officer, officer=officer)
    run_on_commit(
        transitions.perform,
        card_dossier,
        "request_supplement",
        actor=officer,
        items=["Giấy xác nhận nơi đăng ký khám chữa bệnh ban đầu"],
    )
    card_dossier.refresh_from_db()
    assert card_dossier.status == S.AWAITING_SUPPLEMENT
    # The parent sees it among their dossiers and answers it there.
    assert wallet.my_dossier(world.parent, card_dossier.pk) is not None
    assert "supply" in wallet.citizen_actions(card_dossier, world.parent)
    run_on_commit(
        wallet.supplement_answer,
        actor=world.parent,
        dossier=card_dossier,
        items=[],
        note="Đăng ký khám tại Trạm y tế phường Long Biên.",
    )
    card_dossier.refresh_from_db()
    assert card_dossier.status == S.IN_PROCESSING
    run_on_commit(world.decide, card_dossier)
    assert Handoff.objects.get(agency_dossier=card_dossier).status == Handoff.Status.COMPLETED


def test_a_supplement_not_supplied_in_time_rejects_the_dossier_by_itself(world, run_on_commit):
    birth = run_on_commit(world.register_birth)
    police_dossier = handoffs_of(birth)["residence"].agency_dossier
    officer = world.user("CALB", Role.OFFICER)
    police_dossier = transitions.perform(police_dossier, "assign", actor=officer, officer=officer)
    transitions.perform(
        police_dossier,
        "request_supplement",
        actor=officer,
        items=["Văn bản đồng ý của chủ hộ"],
    )
    request = police_dossier.supplements.get()
    assert request.deadline > TODAY  # 7 working days
    # Nothing happens on the deadline day itself...
    assert onecounter_tasks.expire_supplements() == 0
    # ...but once it has passed, the beat job rejects it with a clear reason.
    type(request).objects.filter(pk=request.pk).update(deadline=TODAY - dt.timedelta(days=1))
    assert run_on_commit(onecounter_tasks.expire_supplements) == 1
    police_dossier.refresh_from_db()
    assert police_dossier.status == S.RESULT_READY  # rejected, its notice issued
    reject = police_dossier.events.get(action="reject")
    assert reject.actor is None
    assert (TODAY - dt.timedelta(days=1)).strftime("%d/%m/%Y") in reject.reason
    handoff = Handoff.objects.get(agency_dossier=police_dossier)
    assert handoff.status == Handoff.Status.REFUSED
    assert handoff.outcome_note == reject.reason
    assert run_on_commit(onecounter_tasks.expire_supplements) == 0


def test_verification_needed_extends_the_police_budget_to_5_working_days_once(world, run_on_commit):
    from workdays.calendar import WorkCalendar

    birth = run_on_commit(world.register_birth)
    handoffs = handoffs_of(birth)
    police_dossier = handoffs["residence"].agency_dossier
    officer = world.user("CALB", Role.OFFICER)
    names = {a.name for a in transitions.allowed_actions(police_dossier, officer)}
    assert "need_verification" in names
    police_dossier = transitions.perform(police_dossier, "need_verification", actor=officer)
    calendar = WorkCalendar.load()
    assert police_dossier.due_date == calendar.due_date(police_dossier.received_at, 5)
    handoff = Handoff.objects.get(pk=handoffs["residence"].pk)
    assert handoff.budget_days == 5 and handoff.due_date == police_dossier.due_date
    # Once only, and never for social insurance.
    with pytest.raises(ConflictError) as error:
        transitions.perform(police_dossier, "need_verification", actor=officer)
    assert error.value.code == "not_applicable"
    card_dossier = handoffs["insurance"].agency_dossier
    card_officer = world.user("BHXHLB", Role.OFFICER)
    names = {a.name for a in transitions.allowed_actions(card_dossier, card_officer)}
    assert "need_verification" not in names


def test_the_parent_may_withdraw_a_handed_on_dossier_and_the_birth_still_completes(
    world, run_on_commit
):
    birth = run_on_commit(world.register_birth)
    handoffs = handoffs_of(birth)
    run_on_commit(
        transitions.perform,
        handoffs["residence"].agency_dossier,
        "withdraw",
        actor=world.parent,
        reason="Gia đình sẽ đăng ký thường trú ở nơi khác.",
    )
    assert Handoff.objects.get(pk=handoffs["residence"].pk).status == Handoff.Status.REFUSED
    run_on_commit(world.decide, handoffs["insurance"].agency_dossier)
    birth.refresh_from_db()
    assert birth.status == S.RESULT_READY


def test_handing_back_the_birth_results_hands_back_those_that_came_with_them(world, run_on_commit):
    birth = run_on_commit(world.register_birth)
    handoffs = handoffs_of(birth)
    for handoff in handoffs.values():
        run_on_commit(world.decide, handoff.agency_dossier)
    run_on_commit(
        wallet.result_receive, actor=world.parent, dossier=Dossier.objects.get(pk=birth.pk)
    )
    assert Dossier.objects.get(pk=birth.pk).status == S.RETURNED
    for handoff in handoffs.values():
        assert Dossier.objects.get(pk=handoff.agency_dossier_id).status == S.RETURNED


def test_the_sweep_joins_a_dossier_whose_handoffs_all_finished(world, run_on_commit):
    # As after a crash between an agency's decision and the join.
    birth = run_on_commit(world.register_birth)
    Handoff.objects.filter(dossier=birth).update(
        status=Handoff.Status.COMPLETED, finished_at=timezone.now()
    )
    assert handoff_services.unjoined_dossiers() == [birth.pk]
    run_on_commit(handoff_tasks.sweep_handoffs)
    birth.refresh_from_db()
    assert birth.status == S.RESULT_READY
    assert handoff_services.unjoined_dossiers() == []
