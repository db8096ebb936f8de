"""Adding a procedure touches only its handler folder and the catalog data: the
worked example of CONTRIBUTING.md ("Adding a procedure"), the death
registration of ``procedures/handlers/death/``.

Nothing lists the handler: its folder is discovered. The catalog entries are
written here as the catalog data would write them (``procedure_sync``): the
ward's death registration with ``handler: death``, and the ward police's removal
of a permanent residence registration with the generic ``form`` handler and the
questions the handoff's payload answers. A death filed at the counter is
approved; the removal is handed on to the police's queue (delivered eagerly,
as in tests/test_handoffs.py); when the police have decided, the result
described by the handler's ``ResultSpec`` is rendered, numbered in its own
series and filed in the declarer's wallet under its kind.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from citizens.models import Agency, IdentityLink, Person, Role
from interconnect.models import Handoff
from onecounter import selectors, services, transitions
from onecounter.models import Dossier, DossierDocument, WalletDocument
from onecounter.models import DossierStatus as S
from procedures import services as catalog
from procedures.handlers import registry
from procedures.handlers.death.results import DEATH_CERTIFICATE
from procedures.handlers.form import serialise
from tests.factories import (
    AgencyFactory,
    FieldFactory,
    MembershipFactory,
    PersonFactory,
    UserFactory,
    WardFactory,
)
from tests.test_my_dossiers import use_private_storage
from tests.test_result_documents import text_of
from workdays.services import calendar_seed

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DIED = TODAY - dt.timedelta(days=3)
ROLES = (Role.CLERK, Role.OFFICER, Role.HEAD)


# --- The catalog data: the two procedures, as the catalog file names them --------------------


def death_registration(field, agencies) -> dict:
    return {
        "values": {
            "code": "1.000656",
            "name": "Đăng ký khai tử",
            "name_en": "Death registration",
            "field": field,
            "level": "commune",
            "agency_kind": Agency.Kind.PEOPLES_COMMITTEE,
            "online_level": "full",
            "handler": "death",  # the new handler, by name
            "identity_level": 1,
            "days_online": 2,
            "days_counter": 3,
            "result_document": "Trích lục khai tử",
        },
        "offered_by": agencies,
        "documents": [
            {"name": "Tờ khai đăng ký khai tử", "name_en": "Death registration declaration"},
            {"name": "Giấy báo tử", "name_en": "Death notice", "wallet_kind": "death_notice"},
        ],
        "questions": [],  # a handler in code asks its own
    }


def residence_removal(field, agencies) -> dict:
    """The police's procedure: the generic form handler, asking what the death hands on."""
    question = {"required": True, "page": 1}
    return {
        "values": {
            "code": "HN.CA.02",
            "name": "Xóa đăng ký thường trú",
            "name_en": "Removal of a permanent residence registration",
            "field": field,
            "level": "commune",
            "agency_kind": Agency.Kind.POLICE,
            "online_level": "partial",
            "handler": "form",
            "identity_level": 1,
            "days_online": 2,
            "days_counter": 2,
        },
        "offered_by": agencies,
        "documents": [],
        "questions": [
            {**question, "key": "person_id_number", "kind": "id_number", "label": "Số định danh"},
            {**question, "key": "full_name", "kind": "text", "label": "Họ và tên"},
            {**question, "key": "birth_date", "kind": "date", "label": "Ngày sinh"},
            {**question, "key": "date_of_death", "kind": "date", "label": "Ngày chết"},
            {**question, "key": "death_registration", "kind": "text", "label": "Hồ sơ khai tử"},
        ],
    }


def sync(definition: dict):
    procedure, _changed = catalog.procedure_sync(
        actor=None, published=True, note="Danh mục (thử nghiệm)", **definition
    )
    return procedure


# --- The world: a ward with its People's Committee and police, a family -----------------------


class World:
    def __init__(self):
        calendar_seed()
        self.ward = WardFactory(code="00004", name="Phường Long Biên")
        self.ublb = AgencyFactory(
            code="UBLB", name="UBND phường Long Biên", kind="peoples_committee", unit=self.ward
        )
        self.calb = AgencyFactory(
            code="CALB", name="Công an phường Long Biên", kind="police", unit=self.ward
        )
        self.staff = {
            (agency.code, role): MembershipFactory(
                agency=agency, role=role, user__full_name=f"{agency.code} {role}"
            ).user
            for agency in (self.ublb, self.calb)
            for role in ROLES
        }
        field = FieldFactory()
        self.death = sync(death_registration(field, [self.ublb]))
        self.removal = sync(residence_removal(field, [self.calb]))
        self.deceased = PersonFactory(
            full_name="Nguyễn Văn Lâm",
            sex="M",
            birth_date=dt.date(1941, 8, 19),
            permanent_address="Số 5 phố Ngọc Lâm",
            permanent_unit=self.ward,
        )
        self.son = PersonFactory(
            full_name="Nguyễn Văn Hải",
            sex="M",
            birth_date=dt.date(1970, 1, 2),
            permanent_unit=self.ward,
            father=self.deceased,
        )
        self.son_account = UserFactory(full_name="Nguyễn Văn Hải", email="hai@example.vn")
        IdentityLink.objects.create(
            user=self.son_account, person=self.son, level=2, method="counter"
        )

    def user(self, code: str, role: str):
        return self.staff[(code, role)]

    def answers(self, **changes) -> dict:
        """The son's declaration, as the handler's page cleans it (then JSON)."""
        handler = registry.get("death")
        page = handler.form_class(self.death, 1)(
            data={
                "declarer_relation": "child",
                "deceased_id_number": self.deceased.id_number,
                "date_of_death": DIED.isoformat(),
                "place_of_death": "Bệnh viện Đức Giang",
                "cause_of_death": "illness",
                "death_notice_number": "123/GBT",
                **changes,
            }
        )
        assert page.is_valid(), page.errors
        return {key: serialise(value) for key, value in page.cleaned_data.items()}

    def decide(self, dossier: Dossier) -> Dossier:
        """The agency's officer takes the dossier and proposes; its head approves."""
        code = dossier.agency.code
        officer, head = self.user(code, Role.OFFICER), self.user(code, Role.HEAD)
        dossier = Dossier.objects.get(pk=dossier.pk)
        if dossier.status == S.RECEIVED:
            dossier = transitions.perform(dossier, "assign", actor=officer, officer=officer)
        dossier = transitions.perform(dossier, "propose", actor=officer, decision="approve")
        return transitions.perform(dossier, "approve", actor=head)


@pytest.fixture
def world(settings, tmp_path):
    use_private_storage(settings, tmp_path)
    settings.EGOV_PUBLIC_BASE_URL = "https://dichvucong.example.vn"
    return World()


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run what is enqueued after commit (eager Celery tasks), and what that enqueues."""

    def run(function, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(*args, **kwargs)

    return run


# --- The worked example ---------------------------------------------------------------------


def test_the_new_handler_is_found_without_being_listed():
    assert "death" in registry.names()
    handler = registry.get("death")
    assert handler.results(None) == [DEATH_CERTIFICATE]
    assert DEATH_CERTIFICATE.wallet_kind == "death_certificate"


def test_a_death_registration_issues_its_extract_and_hands_the_removal_on_to_the_police(
    world, run_on_commit
):
    # Given the son's declaration, checked by the handler, filed at the ward's counter
    answers = world.answers()
    assert registry.get("death").validate(world.death, answers) == {}
    dossier = run_on_commit(
        services.counter_intake,
        clerk=world.user("UBLB", Role.CLERK),
        agency=world.ublb,
        procedure=world.death,
        person=world.son,
        data=answers,
    )

    # When the ward approves it (the handoff is delivered after commit)
    dossier = run_on_commit(world.decide, dossier)

    # Then the population database records the death
    deceased = Person.objects.get(pk=world.deceased.pk)
    assert (deceased.status, deceased.death_date) == (Person.Status.DECEASED, DIED)
    # ... and the removal of his residence is in the police's queue, worked
    # with the procedure the catalog gives them for the handler the spec names
    handoff = Handoff.objects.get(dossier=dossier)
    assert (handoff.target, handoff.channel, handoff.handler) == (
        "residence_removal",
        "internal",
        "form",
    )
    assert handoff.key == f"{dossier.code}:residence_removal"
    assert handoff.status == Handoff.Status.DELIVERED and handoff.agency == world.calb
    police_dossier = handoff.agency_dossier
    assert police_dossier.procedure == world.removal
    assert police_dossier.status == S.RECEIVED and police_dossier.channel == "linked"
    assert police_dossier.subject_person == deceased
    assert police_dossier.data["death_registration"] == dossier.code
    queue = selectors.dossier_queue(agency=world.calb, user=world.user("CALB", Role.CLERK))
    assert police_dossier in queue
    # ... and the death's result waits for the police
    assert Dossier.objects.get(pk=dossier.pk).status == S.APPROVED
    assert not DossierDocument.objects.filter(dossier=dossier, kind="result").exists()

    # When the police approve the removal
    run_on_commit(world.decide, police_dossier)

    # Then the handoff is completed and both results are ready together
    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.COMPLETED
    dossier = Dossier.objects.get(pk=dossier.pk)
    assert dossier.status == S.RESULT_READY
    # ... the extract rendered as its spec describes it: title, number series, holder
    extract = DossierDocument.objects.get(dossier=dossier, kind="result")
    assert extract.key == DEATH_CERTIFICATE.name
    assert extract.title == DEATH_CERTIFICATE.title == "Trích lục khai tử"
    assert extract.number == f"1/{TODAY.year}/TLKT"
    assert extract.issued_by == world.ublb and extract.holder == deceased
    text = text_of(extract)
    for expected in [
        "TRÍCH LỤC KHAI TỬ",
        f"Số: {extract.number}",
        "Nguyễn Văn Lâm",
        "19/08/1941",
        deceased.id_number,
        DIED.strftime("%d/%m/%Y"),
        "Bệnh viện Đức Giang",
        "Nguyên nhân chết Bệnh",
        "Số giấy báo tử 123/GBT",
        "UBND phường Long Biên",
    ]:
        assert expected in text, expected
    # ... filed in the declarer's wallet under the spec's kind, about the deceased
    entry = WalletDocument.objects.get(owner=world.son_account, document=extract)
    assert entry.kind == "death_certificate" and entry.person == deceased
    # ... with the police's decision next to it
    police_result = DossierDocument.objects.get(dossier=police_dossier, kind="result")
    assert police_result.issued_by == world.calb and police_result.holder == deceased


def test_the_declaration_is_checked_against_the_population_database(world):
    handler = registry.get("death")
    tomorrow = (TODAY + dt.timedelta(days=1)).isoformat()
    assert "date_of_death" in handler.validate(world.death, world.answers(date_of_death=tomorrow))
    before_birth = world.answers(date_of_death="1940-01-01")
    assert "date_of_death" in handler.validate(world.death, before_birth)
    unknown = world.answers(deceased_id_number=PersonFactory.build().id_number)
    assert "deceased_id_number" in handler.validate(world.death, unknown)
    world.deceased.status, world.deceased.death_date = Person.Status.DECEASED, DIED
    world.deceased.save(update_fields=["status", "death_date"])
    assert "deceased_id_number" in handler.validate(world.death, world.answers())
