"""The cases of a birth declaration the law and real life bring (Law on Civil
Status 2014 arts. 13-16), end to end: filed online by a citizen through the
pages, or at the counter by a clerk for a walk-in declarer; checked; seen by
the ward's staff; registered (the child's record and ID number).

Cases: a declarer who is not a parent, late registration, a birth outside a
hospital, an unknown father, twins and triplets, a parent outside the
population database, a household head who must consent, the child's ID number
(the registering ward's province, sex and year), and the same-working-day
time limit. Pages are read in English (language cookie) so the assertions can
name the messages.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from citizens.idnumbers import validation_errors
from citizens.models import (
    AccessLog,
    Household,
    HouseholdMembership,
    IdentityLink,
    Person,
    Role,
)
from onecounter import transitions
from onecounter.models import Attachment, Dossier
from onecounter.models import DossierStatus as S
from onecounter.results import rendering
from procedures.handlers.birth.handler import PURPOSE_PREFILL
from procedures.handlers.birth.results import BIRTH_CERTIFICATE
from procedures.handlers.birth.services import PURPOSE_PARENTS_NAMED
from tests.conftest import enrol_totp
from tests.factories import (
    AgencyFactory,
    DossierFactory,
    MembershipFactory,
    PersonFactory,
    ProcedureFactory,
    ProvinceFactory,
    UserFactory,
    WardFactory,
)
from tests.test_my_dossiers import use_private_storage
from tests.test_my_record import PDF
from workdays.services import calendar_seed

pytestmark = pytest.mark.django_db

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
TODAY = timezone.localdate()
HEALTH_FACILITY = "Trạm y tế phường Ba Đình"


def days_ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


# --- The world: a ward, its People's Committee and a family -------------------------------


class World:
    """The ward Ba Đình of Hà Nội with its People's Committee (UBBD: clerk,
    officer and chair), the birth procedure (0 days: the same working day),
    and a family: the grandmother Lê Thị Gấm heading her household, her
    daughter Nguyễn Thị Hoa married to Trần Văn Bình, the couple heading
    their own household."""

    def __init__(self):
        calendar_seed()
        self.ward = WardFactory(code="00004", name="Phường Ba Đình")
        self.agency = AgencyFactory(code="UBBD", name="UBND phường Ba Đình", unit=self.ward)
        self.staff = {}
        for role in (Role.CLERK, Role.OFFICER, Role.HEAD):
            user = MembershipFactory(agency=self.agency, role=role).user
            enrol_totp(user)
            self.staff[role] = user
        self.procedure = ProcedureFactory(
            code="1.001193",
            name="Đăng ký khai sinh",
            handler="birth",
            online_level="full",
            identity_level=1,
            days_online=0,
            days_counter=0,
            fee_online=0,
            fee_counter=0,
        )
        self.procedure.offered_by.add(self.agency)
        self.grandmother = self.person("Lê Thị Gấm", "F", dt.date(1965, 3, 2))
        self.mother = self.person(
            "Nguyễn Thị Hoa", "F", dt.date(1995, 5, 17), mother=self.grandmother
        )
        self.father = self.person("Trần Văn Bình", "M", dt.date(1993, 2, 1), ethnicity="06")
        Person.objects.filter(pk=self.mother.pk).update(spouse=self.father)
        Person.objects.filter(pk=self.father.pk).update(spouse=self.mother)
        self.mother.refresh_from_db()
        self.father.refresh_from_db()
        self.grandmothers_home = self.household("HN0010002", self.grandmother)
        self.home = self.household("HN0010001", self.mother, (self.father, "spouse"))

    def person(self, name: str, sex: str, born: dt.date, **fields) -> Person:
        return PersonFactory(
            full_name=name,
            sex=sex,
            birth_date=born,
            permanent_address="Số 5 phố Kim Mã",
            permanent_unit=self.ward,
            **fields,
        )

    def household(self, number: str, head: Person, *members: tuple[Person, str]) -> Household:
        household = Household.objects.create(
            number=number, address="Số 5 phố Kim Mã", unit=self.ward, head=head
        )
        for person, relation in ((head, "head"), *members):
            HouseholdMembership.objects.create(
                household=household,
                person=person,
                relation=relation,
                start_date=dt.date(2020, 1, 1),
            )
        return household

    def move(self, person: Person, household: Household, relation: str) -> None:
        HouseholdMembership.objects.filter(person=person, end_date__isnull=True).update(
            end_date=TODAY
        )
        HouseholdMembership.objects.create(
            household=household, person=person, relation=relation, start_date=TODAY
        )

    # --- Clients

    def citizen(self, person: Person) -> Client:
        """A browser signed in to the account linked to ``person``'s record."""
        return english(account_of(person))

    def staff_client(self, role: str = Role.CLERK) -> Client:
        return english(self.staff[role])

    # --- Filing

    def file_online(
        self, person: Person, pages: dict[int, dict], documents: tuple[str, ...] = ()
    ) -> Filed:
        """``person`` files online: each page, the documents, then check and send."""
        client = self.citizen(person)
        start = client.post(
            reverse("filing:start", args=[self.procedure.code]), {"subject": "self"}
        )
        assert start.status_code == 302, start.content.decode()[:2000]
        dossier = Dossier.objects.filter(applicant_person=person).latest("created_at")
        for number, answers in pages.items():
            response = client.post(page_url(dossier, number), answers)
            if response.status_code != 302:
                return Filed(dossier, response, client)
        uploads = {f"q-{key}": pdf(key) for key in documents}
        response = client.post(reverse("filing:documents", args=[dossier.pk]), uploads)
        if response.status_code != 302:  # a document the answers call for is missing
            return Filed(dossier, response, client)
        response = client.post(check_url(dossier), {"declaration": "on", "send": ""})
        dossier.refresh_from_db()
        return Filed(dossier, response, client)

    def file_at_counter(self, person: Person, pages: dict[int, dict]) -> Filed:
        """The clerk files for ``person``, who walked in with the papers."""
        client = self.staff_client()
        base = reverse("dossiers:intake-person", args=[self.agency.code])
        assert client.post(base, {"id_number": person.id_number}).status_code == 302
        response = client.post(base + "procedure/", {"procedure": self.procedure.pk})
        assert response.status_code == 302
        for number, answers in pages.items():
            response = client.post(base + f"answers/{number}/", answers)
            if response.status_code != 302:
                return Filed(None, response, client)
        response = client.post(base + "contact/", {"phone": "0912345678", "email": ""})
        assert response.status_code == 302
        # (A browser posts the CSRF token with the button: the form is never empty.)
        response = client.post(base + "confirm/", {"csrfmiddlewaretoken": "x"})
        dossier = (
            Dossier.objects.filter(applicant_person=person, channel=Dossier.Channel.COUNTER)
            .order_by("-created_at")
            .first()
        )
        if response.status_code != 302:
            dossier = None
        return Filed(dossier, response, client)

    def register(self, dossier: Dossier) -> Person:
        """The ward receives (when filed online), examines and registers the birth."""
        officer, head = self.staff[Role.OFFICER], self.staff[Role.HEAD]
        dossier = Dossier.objects.get(pk=dossier.pk)
        if dossier.status == S.SUBMITTED:
            dossier = transitions.perform(dossier, "receive", actor=self.staff[Role.CLERK])
        dossier = transitions.perform(dossier, "assign", actor=officer, officer=officer)
        dossier = transitions.perform(dossier, "propose", actor=officer, decision="approve")
        dossier = transitions.perform(dossier, "approve", actor=head)
        assert dossier.status == S.APPROVED
        return Person.objects.get(source=f"birth:{dossier.code}")

    def staff_page(self, dossier: Dossier) -> str:
        response = self.staff_client().get(
            reverse("dossiers:detail", args=[dossier.agency.code, dossier.pk])
        )
        assert response.status_code == 200
        return html.unescape(response.content.decode())


@dataclass
class Filed:
    dossier: Dossier | None
    response: object
    client: Client

    @property
    def sent(self) -> bool:
        return self.dossier is not None and self.dossier.status in (S.SUBMITTED, S.RECEIVED)

    @property
    def text(self) -> str:
        return html.unescape(self.response.content.decode())


def account_of(person: Person):
    link = IdentityLink.objects.filter(person=person).select_related("user").first()
    if link is None:
        user = UserFactory(full_name=person.full_name)
        link = IdentityLink.objects.create(user=user, person=person, level=1, method="self")
    return link.user


def birth_certificate(dossier: Dossier) -> dict:
    """What the birth certificate (extract) of a registered dossier shows."""
    return rendering.result_context(dossier, BIRTH_CERTIFICATE)


def english(user) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client


def pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(f"{name}.pdf", PDF, content_type="application/pdf")


def page_url(dossier: Dossier, number: int) -> str:
    return reverse("filing:page", args=[dossier.pk, number])


def check_url(dossier: Dossier) -> str:
    return reverse("filing:check", args=[dossier.pk])


def read_only_answer(page: str, name: str) -> str:
    """The text of an answer shown read-only on a question page: its question
    is the <dt> the <dd id="id_<name>"> follows."""
    match = re.search(
        rf'<dt class="summary-list__key" id="id_{name}_label">([^<]+)</dt>\s*'
        rf'<dd class="summary-list__value" id="id_{name}" aria-labelledby="id_{name}_label">'
        r"(.*?)</dd>",
        page,
        re.S,
    )
    assert match, f"{name} is not shown read-only"
    return " ".join(match.group(2).split())


CONSENT_QUESTION = "Does the head of that household consent to the child joining it?"


def consent_asked(page: str) -> bool:
    return bool(re.search(r'<input type="radio" name="head_consents"', page))


@pytest.fixture
def world(settings, tmp_path):
    use_private_storage(settings, tmp_path)
    return World()


# --- Answers, page by page ---------------------------------------------------------------


def declarer(relation: str = "mother", person: Person | None = None, **more) -> dict:
    answers = {"declarer_relation": relation, **more}
    if person is not None:  # at the counter; online it comes from the linked record
        answers["declarer_id_number"] = person.id_number
    return answers


def child(**changes) -> dict:
    answers = {
        "full_name": "Trần Minh An",
        "sex": "M",
        "ethnicity": "01",
        "nationality": "Việt Nam",
        "native_place": "Xã Đông Anh, Thành phố Hà Nội",
        "birth_order": "1",
    }
    answers.update(changes)
    return answers


def birth(world: World, born: dt.date | None = None, **changes) -> dict:
    answers = {
        "birth_date": (born or days_ago(10)).isoformat(),
        "birth_time": "08:30",
        "birth_facility": "Bệnh viện Phụ sản Hà Nội",
        "birth_address_0": "929 đường La Thành",
        "birth_address_1": world.ward.code,
        "birth_evidence": "hospital_certificate",
        "birth_certificate_number": "GCS-2026-001234",
    }
    answers.update(changes)
    return answers


def outside_hospital(evidence: str = "witness_statement") -> dict:
    return {"birth_evidence": evidence, "birth_certificate_number": "", "birth_facility": ""}


def household(number: str = "", **changes) -> dict:
    answers = {"household_number": number, "health_facility": HEALTH_FACILITY}
    answers.update(changes)
    return answers


def the_parents(world: World, **changes) -> dict:
    """Page 4 at the counter, or for a declarer who is not a parent."""
    answers = {
        "mother_id_number": world.mother.id_number,
        "father_id_number": world.father.id_number,
        **household(world.home.number),
    }
    answers.update(changes)
    return answers


def by_mother_online(world: World, born: dt.date | None = None, **more) -> dict[int, dict]:
    pages = {
        1: declarer("mother"),
        2: child(),
        3: birth(world, born),
        4: household(world.home.number),
    }
    for number, changes in more.items():
        pages[int(number.removeprefix("page"))].update(changes)
    return pages


def by_mother_at_counter(world: World, born: dt.date | None = None, **more) -> dict[int, dict]:
    pages = {
        1: declarer("mother", world.mother),
        2: child(),
        3: birth(world, born),
        4: the_parents(world, mother_id_number=""),
    }
    for number, changes in more.items():
        pages[int(number.removeprefix("page"))].update(changes)
    return pages


# --- 1. A declarer who is not a parent ------------------------------------------------------


def test_a_grandmother_declares_online_naming_the_parents_whose_records_are_read_and_logged(
    world,
):
    """Given the grandmother with an account linked to her record, when she
    declares online as the grandparent, then she must say why the parents do
    not declare, names the parents by their ID numbers (each read logged once
    for the parent to see, with its purpose), her own number comes from her
    record whatever is posted, and the child is registered to both parents in
    her household as her grandchild."""
    stranger = PersonFactory(sex="F", birth_date=dt.date(1970, 1, 1))
    pages = {
        1: declarer("grandparent", declarer_id_number=stranger.id_number),
        2: child(),
        3: birth(world),
        4: the_parents(world, household_number=""),
    }
    refused = world.file_online(world.grandmother, pages)
    assert refused.response.status_code == 200
    assert "Explain why the father or mother is not registering the birth." in refused.text

    pages[1]["declarer_reason"] = "Cha mẹ đang làm việc ở nước ngoài"
    filed = world.file_online(world.grandmother, pages)
    assert filed.sent, filed.text[:3000]
    data = filed.dossier.data
    assert data["declarer_id_number"] == world.grandmother.id_number  # never the posted one
    assert data["household_number"] == world.grandmothers_home.number  # her own, as suggested
    assert data["relation_to_head"] == "grandchild" and data["head_consents"] == "yes"
    for parent in (world.mother, world.father):
        log = AccessLog.objects.get(person=parent, purpose=PURPOSE_PARENTS_NAMED)
        assert log.channel == AccessLog.Channel.PREFILL
        assert log.actor == account_of(world.grandmother)
        assert log.dossier_ref == str(filed.dossier.pk)
    # The earlier, refused draft read nothing: the parents were not named yet.
    assert AccessLog.objects.filter(purpose=PURPOSE_PARENTS_NAMED).count() == 2

    staff_page = world.staff_page(filed.dossier)
    assert "You are the child's" in staff_page and "Grandparent" in staff_page
    assert "Cha mẹ đang làm việc ở nước ngoài" in staff_page
    registered = world.register(filed.dossier)
    assert registered.mother == world.mother and registered.father == world.father


def test_a_mother_declares_online_and_only_confirms_both_parents_from_the_population_database(
    world,
):
    """Given the mother linked to her record, when she says she is the mother,
    then her details and her husband's are filled in from the population
    database and cannot be changed (a father's number posted is ignored), the
    read of his record is logged for him, and the child is linked to both."""
    client = world.citizen(world.mother)
    client.post(reverse("filing:start", args=[world.procedure.code]), {"subject": "self"})
    dossier = Dossier.objects.get(applicant_person=world.mother)
    assert client.post(page_url(dossier, 1), declarer("mother")).status_code == 302
    # (The parents' page opens once the pages before it are done.)
    assert client.post(page_url(dossier, 2), child()).status_code == 302
    assert client.post(page_url(dossier, 3), birth(world)).status_code == 302
    page = html.unescape(client.get(page_url(dossier, 4)).content.decode())
    assert "Nguyễn Thị Hoa" in page and "Trần Văn Bình" in page
    assert "From the population database: you do not need to type them." in page
    # Read-only answers are text (a long address wraps), never inputs
    assert read_only_answer(page, "father_id_number") == world.father.id_number
    assert read_only_answer(page, "mother_residence").startswith("Số 5 phố Kim Mã, Phường Ba Đình")
    assert not re.search(r'<input[^>]*name="(father|mother)_(id_number|name|birth_year)', page)
    assert 'name="household_number"' in page  # hers, and she may change it

    stranger = PersonFactory(sex="M", birth_date=dt.date(1990, 1, 1))
    pages = by_mother_online(world, page4={"father_id_number": stranger.id_number})
    for number, answers in pages.items():
        assert client.post(page_url(dossier, number), answers).status_code == 302
    dossier.refresh_from_db()
    assert dossier.data["father_id_number"] == world.father.id_number
    assert dossier.data["mother_name"] == "Nguyễn Thị Hoa"
    log = AccessLog.objects.get(person=world.father, purpose=PURPOSE_PREFILL)
    assert log.dossier_ref == str(dossier.pk)
    assert AccessLog.objects.filter(person=world.father).count() == 1  # read once
    client.post(reverse("filing:documents", args=[dossier.pk]), {})
    response = client.post(check_url(dossier), {"declaration": "on", "send": ""})
    assert response.status_code == 302
    registered = world.register(dossier)
    assert registered.mother == world.mother and registered.father == world.father


def test_a_declarer_who_is_not_a_parent_cannot_be_named_as_one_at_the_counter(world):
    """At the counter the grandmother declares with a reason; naming her as
    the mother is refused, naming the parents registers the child to them."""
    pages = {
        1: declarer("grandparent", world.grandmother, declarer_reason="Cha mẹ đi công tác xa"),
        2: child(),
        3: birth(world),
        4: the_parents(world, mother_id_number=world.grandmother.id_number),
    }
    refused = world.file_at_counter(world.grandmother, pages)
    assert refused.response.status_code == 400
    assert "You are named as the child's parent" in refused.text
    pages[4] = the_parents(world)
    filed = world.file_at_counter(world.grandmother, pages)
    assert filed.sent, filed.text[:3000]
    registered = world.register(filed.dossier)
    assert registered.mother == world.mother and registered.father == world.father


# --- 2. Late registration ---------------------------------------------------------------------


def test_a_late_registration_online_needs_its_reason_commitment_and_proof_and_is_flagged(world):
    """Given a child born 400 days ago at home, when the mother declares
    online, then the late registration is worked out by the server (not the
    browser), needs the reason for the delay, the commitment that the birth
    was never registered, and a document proving the birth; the staff see
    the dossier flagged as a late registration."""
    born = days_ago(400)
    late_birth = {**outside_hospital(), "late": "False"}  # the browser says "not late"
    refused = world.file_online(world.mother, by_mother_online(world, born, page3=late_birth))
    assert refused.response.status_code == 200
    assert "explain why it was not registered" in refused.text
    assert "Confirm that this birth has never been registered anywhere." in refused.text

    late_birth.update(late_reason="Mẹ ốm nặng sau sinh", never_registered="on")
    pages = by_mother_online(world, born, page3=late_birth)
    without_proof = world.file_online(world.mother, pages, documents=("evidence_document",))
    assert not without_proof.sent
    # The documents step asks for it (mandatory for a late birth at home).
    assert "Upload “Document proving the facts of the birth”." in without_proof.text
    # ``late`` is the server's: worked out when the dossier is sent, never kept from a page.
    assert "late" not in without_proof.dossier.data

    filed = world.file_online(
        world.mother, pages, documents=("evidence_document", "birth_facts_document")
    )
    assert filed.sent, filed.text[:3000]
    assert filed.dossier.data["late"] is True
    assert filed.dossier.data["birth_date"] == born.isoformat()
    assert {a.field_key for a in Attachment.objects.filter(dossier=filed.dossier)} == {
        "evidence_document",
        "birth_facts_document",
    }
    staff_page = world.staff_page(filed.dossier)
    assert "Late registration (more than 60 days after the birth)" in staff_page
    assert "Mẹ ốm nặng sau sinh" in staff_page
    assert world.register(filed.dossier).birth_date == born


def test_a_birth_within_60_days_is_never_late_whatever_the_browser_says(world):
    pages = by_mother_online(world, days_ago(60), page3={"late": "True"})
    filed = world.file_online(world.mother, pages)
    assert filed.sent and filed.dossier.data["late"] is False


def test_a_late_registration_of_a_child_already_in_the_population_database_is_refused(world):
    """The population database has a child of this mother born that day with
    a similar name: the late registration is blocked online and at the counter."""
    born = days_ago(500)
    PersonFactory(full_name="Trần Minh Anh", sex="M", birth_date=born, mother=world.mother)
    late = {"late_reason": "Không biết thủ tục", "never_registered": "on"}
    online = world.file_online(world.mother, by_mother_online(world, born, page3=late))
    assert not online.sent
    assert "this birth seems to be registered already" in online.text
    counter = world.file_at_counter(world.mother, by_mother_at_counter(world, born, page3=late))
    assert counter.response.status_code == 400 and counter.dossier is None
    assert "this birth seems to be registered already" in counter.text


def test_a_child_of_6_or_more_is_registered_late_at_the_counter_without_a_card_facility(world):
    """A 7-year-old's late registration needs no health-care facility (no
    free card after 6); ``late`` and the birth date are in the dossier data
    for the handoffs that follow."""
    born = TODAY.replace(year=TODAY.year - 7) - dt.timedelta(days=3)
    pages = by_mother_at_counter(
        world,
        born,
        page3={"late_reason": "Gia đình ở vùng sâu", "never_registered": "on"},
        page4={"health_facility": ""},
    )
    filed = world.file_at_counter(world.mother, pages)
    assert filed.sent, filed.text[:3000]
    assert filed.dossier.data["late"] is True
    assert filed.dossier.data["birth_date"] == born.isoformat()
    assert "Late registration (more than 60 days after the birth)" in world.staff_page(
        filed.dossier
    )
    # A baby needs one.
    baby = world.file_at_counter(
        world.mother, by_mother_at_counter(world, page4={"health_facility": ""})
    )
    assert baby.response.status_code == 400
    assert (
        "Enter the health-care facility where the child will be registered for primary care"
        in baby.text
    )


# --- 3. A birth outside a hospital -------------------------------------------------------------


def test_a_birth_at_home_online_needs_the_witness_statement_attached(world):
    pages = by_mother_online(world, page3=outside_hospital())
    refused = world.file_online(world.mother, pages)
    assert not refused.sent
    # Asked for on the documents step, before the check page.
    assert "Upload “Witness's statement or written commitment”." in refused.text
    filed = world.file_online(world.mother, pages, documents=("evidence_document",))
    assert filed.sent, filed.text[:3000]
    registered = world.register(filed.dossier)
    assert registered.birth_place.startswith("929 đường La Thành, Phường Ba Đình")


def test_a_birth_at_home_at_the_counter_needs_the_paper_commitment_checked(world):
    pages = by_mother_at_counter(world, page3=outside_hospital("written_commitment"))
    refused = world.file_at_counter(world.mother, pages)
    assert refused.response.status_code == 400
    assert "Attach the witness's statement or your written commitment." in refused.text
    pages[3]["evidence_document"] = "on"
    filed = world.file_at_counter(world.mother, pages)
    assert filed.sent, filed.text[:3000]
    assert filed.dossier.data["evidence_document"] == {"paper_original_checked": True}


# --- 4. Father unknown ----------------------------------------------------------------------------


def test_an_unmarried_mother_declares_the_father_unknown_online(world):
    """No father link and no father details; the certificate's father
    section stays empty."""
    mother = world.person("Phạm Thị Lan", "F", dt.date(1998, 8, 8))
    lans_home = world.household("HN0010005", mother)
    pages = {
        1: declarer("mother"),
        2: child(full_name="Phạm Minh Khang"),
        3: birth(world),
        4: household(lans_home.number, father_unknown="on"),
    }
    filed = world.file_online(mother, pages)
    assert filed.sent, filed.text[:3000]
    registered = world.register(filed.dossier)
    assert registered.father is None and registered.father_name == ""
    assert registered.mother == mother
    certificate = birth_certificate(filed.dossier)
    assert set(certificate["father"].values()) == {""}  # the father's section stays empty
    assert certificate["mother"]["name"] == "Phạm Thị Lan"


def test_father_unknown_at_the_counter_takes_no_father_details(world):
    pages = by_mother_at_counter(
        world, page4={"father_unknown": "on", "father_id_number": "", "father_name": "Ai đó"}
    )
    refused = world.file_at_counter(world.mother, pages)
    assert refused.response.status_code == 400
    assert "Leave the father's details empty when the father is unknown." in refused.text
    pages[4]["father_name"] = ""
    filed = world.file_at_counter(world.mother, pages)
    assert filed.sent, filed.text[:3000]
    registered = world.register(filed.dossier)
    assert registered.father is None and registered.father_name == ""


# --- 5. Twins and triplets --------------------------------------------------------------------------


def test_triplets_get_a_dossier_each_linked_with_their_order_and_an_id_number_each(world):
    """The first triplet is filed online; the second and third at the counter
    while the first is still open, each naming the first's dossier, which must
    be of the same mother and date of birth and not of the same order."""
    born = days_ago(4)
    twin = {"multiple_birth": "on"}
    first = world.file_online(
        world.mother,
        by_mother_online(
            world, born, page2={**twin, "full_name": "Trần Minh Nhật", "multiple_birth_order": "1"}
        ),
    )
    assert first.sent and first.dossier.status == S.SUBMITTED  # open

    def sibling(name: str, order: str, code: str, sex: str = "F", when=born):
        return by_mother_at_counter(
            world,
            when,
            page2={
                **twin,
                "full_name": name,
                "sex": sex,
                "birth_order": order,
                "multiple_birth_order": order,
                "sibling_dossier_code": code,
            },
        )

    code = first.dossier.code
    same_order = world.file_at_counter(world.mother, sibling("Trần Minh Nguyệt", "1", code))
    assert same_order.response.status_code == 400
    assert "The twin's dossier has the same order in the multiple birth." in same_order.text
    other_day = world.file_at_counter(
        world.mother, sibling("Trần Minh Nguyệt", "2", code, when=days_ago(5))
    )
    assert "The twin's dossier gives another date of birth." in other_day.text
    unknown = world.file_at_counter(
        world.mother, sibling("Trần Minh Nguyệt", "2", "UBBD-260101-9999")
    )
    assert "There is no birth registration dossier with this code." in unknown.text

    second = world.file_at_counter(world.mother, sibling("Trần Minh Nguyệt", "2", code))
    assert second.sent, second.text[:3000]
    third = world.file_at_counter(world.mother, sibling("Trần Minh Nguyên", "3", code, sex="M"))
    assert third.sent, third.text[:3000]

    children = [world.register(f.dossier) for f in (first, second, third)]
    assert len({c.id_number for c in children}) == 3
    for registered in children:
        assert registered.mother == world.mother and registered.birth_date == born
        assert (
            validation_errors(
                registered.id_number, sex=registered.sex, birth_date=registered.birth_date
            )
            == []
        )
    orders = [
        Dossier.objects.get(pk=f.dossier.pk).data["multiple_birth_order"]
        for f in (first, second, third)
    ]
    assert orders == [1, 2, 3]
    assert second.dossier.data["sibling_dossier_code"] == code
    assert "Order in the multiple birth" in world.staff_page(second.dossier)


# --- 6. A parent outside the population database ------------------------------------------------


def test_a_foreign_mother_is_named_by_free_text_online_and_the_child_carries_her_name(world):
    """A father married to a foreign national (his record names her, she has
    no record) declares online: her name comes from his record, her year of
    birth, nationality and residence are typed; no link, the name kept."""
    father = world.person("Đỗ Văn Hải", "M", dt.date(1990, 4, 4), spouse_name="Anna Ivanova")
    home = world.household("HN0010006", father)
    pages = {
        1: declarer("father"),
        2: child(full_name="Đỗ Minh Sơn"),
        3: birth(world),
        4: household(home.number, mother_birth_year="1994"),
    }
    refused = world.file_online(father, pages)
    assert not refused.sent
    assert "For a parent not in the population database, enter the nationality." in refused.text
    pages[4].update(mother_nationality="Liên bang Nga", mother_residence="Số 8 Tràng Tiền, Hà Nội")
    filed = world.file_online(father, pages)
    assert filed.sent, filed.text[:3000]
    assert filed.dossier.data["mother_name"] == "Anna Ivanova"
    registered = world.register(filed.dossier)
    assert registered.mother is None and registered.mother_name == "Anna Ivanova"
    assert registered.father == father
    mother = birth_certificate(filed.dossier)["mother"]
    assert (mother["name"], mother["birth_year"]) == ("Anna Ivanova", "1994")
    assert mother["nationality"] == "Liên bang Nga"


def test_a_foreign_father_is_named_by_free_text_at_the_counter(world):
    foreign = {
        "father_id_number": "",
        "father_name": "John Smith",
        "father_birth_year": "1988",
        "father_nationality": "Vương quốc Anh",
        "father_residence": "London, Vương quốc Anh",
    }
    filed = world.file_at_counter(world.mother, by_mother_at_counter(world, page4=foreign))
    assert filed.sent, filed.text[:3000]
    registered = world.register(filed.dossier)
    assert registered.father is None and registered.father_name == "John Smith"
    assert filed.dossier.data["father_nationality"] == "Vương quốc Anh"


# --- 7. A household head who must consent -----------------------------------------------------------


@pytest.fixture
def at_grandmothers(world):
    """The couple live in the grandmother's household, which she heads."""
    world.move(world.mother, world.grandmothers_home, "child")
    world.move(world.father, world.grandmothers_home, "in_law")
    return world


def test_online_the_child_joins_the_grandmothers_household_only_with_her_consent(at_grandmothers):
    world = at_grandmothers
    # The household suggested is hers (the grandmother's); she keeps it.
    pages = by_mother_online(world, page4={"household_number": world.grandmothers_home.number})
    refused = world.file_online(world.mother, pages)
    assert not refused.sent
    assert "Lê Thị Gấm" in refused.text  # named from the record
    assert "the child joins the household only with Lê Thị Gấm's consent" in refused.text
    page = html.unescape(refused.client.get(page_url(refused.dossier, 4)).content.decode())
    assert "The head of household HN0010002 is Lê Thị Gấm" in page

    pages[4]["head_consents"] = "yes"
    assert refused.client.post(page_url(refused.dossier, 4), pages[4]).status_code == 302
    check = html.unescape(refused.client.get(check_url(refused.dossier)).content.decode())
    assert CONSENT_QUESTION in check  # asked and answered: listed with the answer
    filed = world.file_online(world.mother, pages)
    assert filed.sent, filed.text[:3000]
    assert filed.dossier.data["household_number"] == world.grandmothers_home.number
    assert filed.dossier.data["head_consents"] == "yes"
    assert filed.dossier.data["relation_to_head"] == "grandchild"
    staff_page = world.staff_page(filed.dossier)
    assert "The child's relation to the head of household" in staff_page


def test_at_the_counter_the_heads_consent_is_asked_for_too(at_grandmothers):
    world = at_grandmothers
    pages = by_mother_at_counter(world, page4={"household_number": "HN0010002"})
    refused = world.file_at_counter(world.mother, pages)
    assert refused.response.status_code == 400
    assert "only with Lê Thị Gấm's consent" in refused.text
    pages[4]["head_consents"] = "no"
    assert world.file_at_counter(world.mother, pages).response.status_code == 400
    pages[4]["head_consents"] = "yes"
    filed = world.file_at_counter(world.mother, pages)
    assert filed.sent, filed.text[:3000]
    assert filed.dossier.data["relation_to_head"] == "grandchild"


@pytest.mark.parametrize("head", ["mother", "father"])
def test_online_no_consent_is_asked_when_the_declarer_or_her_husband_heads_the_household(
    world, head
):
    """Given the mother declaring online for a household headed by herself or
    by her husband (the father, named from her record), then page 4 does not
    ask for the head's consent, the check page does not list it as not
    answered, and the dossier goes with the consent the law presumes."""
    if head == "father":
        Household.objects.filter(pk=world.home.pk).update(head=world.father)
        HouseholdMembership.objects.filter(person=world.father).update(relation="head")
        HouseholdMembership.objects.filter(person=world.mother).update(relation="spouse")
    number = world.home.number
    client = world.citizen(world.mother)
    client.post(reverse("filing:start", args=[world.procedure.code]), {"subject": "self"})
    dossier = Dossier.objects.get(applicant_person=world.mother)
    pages = by_mother_online(world, page4={"household_number": number})
    for page_number in (1, 2, 3):
        assert client.post(page_url(dossier, page_number), pages[page_number]).status_code == 302

    page = html.unescape(client.get(page_url(dossier, 4)).content.decode())
    assert read_only_answer(page, "father_id_number") == world.father.id_number
    assert not consent_asked(page) and CONSENT_QUESTION not in page
    assert client.post(page_url(dossier, 4), pages[4]).status_code == 302
    client.post(reverse("filing:documents", args=[dossier.pk]), {})

    check = html.unescape(client.get(check_url(dossier)).content.decode())
    assert CONSENT_QUESTION not in check
    assert "Before you can send this dossier" not in check
    assert client.post(check_url(dossier), {"declaration": "on", "send": ""}).status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == S.SUBMITTED
    assert dossier.data["household_number"] == number
    assert dossier.data["head_consents"] == "yes"
    assert dossier.data["relation_to_head"] == "child"


def test_online_the_consent_is_asked_when_the_grandmother_heads_the_household(at_grandmothers):
    world = at_grandmothers
    client = world.citizen(world.mother)
    client.post(reverse("filing:start", args=[world.procedure.code]), {"subject": "self"})
    dossier = Dossier.objects.get(applicant_person=world.mother)
    pages = by_mother_online(world, page4={"household_number": world.grandmothers_home.number})
    for page_number in (1, 2, 3):
        assert client.post(page_url(dossier, page_number), pages[page_number]).status_code == 302
    page = html.unescape(client.get(page_url(dossier, 4)).content.decode())
    assert consent_asked(page) and CONSENT_QUESTION in page
    # Her own household instead: her husband and she live there, she heads it
    changed = {**pages[4], "household_number": world.home.number, "head_consents": "no"}
    assert client.post(page_url(dossier, 4), changed).status_code == 302
    dossier.refresh_from_db()
    assert dossier.data["head_consents"] == ""  # a question not asked keeps no answer
    assert not consent_asked(html.unescape(client.get(page_url(dossier, 4)).content.decode()))


def test_no_consent_is_asked_when_a_parent_heads_the_household(world):
    filed = world.file_at_counter(world.mother, by_mother_at_counter(world))
    assert filed.sent, filed.text[:3000]
    assert filed.dossier.data["head_consents"] == "yes"
    assert filed.dossier.data["relation_to_head"] == "child"


# --- 8. The child's personal ID number ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("province", "ward_code", "sex", "digit"),
    [
        ("01", "00004", "M", "2"),  # Hà Nội, a boy born in the 2000s
        ("01", "00004", "F", "3"),  # Hà Nội, a girl
        ("79", "26734", "M", "2"),  # Hồ Chí Minh City, a boy
        ("79", "26734", "F", "3"),  # Hồ Chí Minh City, a girl
    ],
)
def test_the_childs_id_number_carries_the_registering_wards_province_sex_and_year(
    world, province, ward_code, sex, digit
):
    if province == "01":
        agency = world.agency
    else:
        city = ProvinceFactory(code=province, name="Thành phố Hồ Chí Minh")
        ward = WardFactory(code=ward_code, name="Phường Sài Gòn", parent=city)
        agency = AgencyFactory(code="UBSG", name="UBND phường Sài Gòn", unit=ward)
        for role in (Role.CLERK, Role.OFFICER, Role.HEAD):
            MembershipFactory(agency=agency, role=role, user=world.staff[role])
    born = days_ago(3)
    data = {
        "declarer_relation": "mother",
        "declarer_id_number": world.mother.id_number,
        "full_name": "Trần Minh Châu",
        "sex": sex,
        "birth_date": born.isoformat(),
        "birth_address": {"address": "929 đường La Thành", "unit_code": world.ward.code},
        "father_id_number": world.father.id_number,
        "household_number": world.home.number,
    }
    dossier = DossierFactory(agency=agency, procedure=world.procedure, data=data)
    dossier = transitions.perform(dossier, "submit", actor=dossier.applicant)
    registered = world.register(dossier)
    number = registered.id_number
    assert number[:3] == "0" + province
    assert number[3] == digit and number[4:6] == f"{born.year % 100:02d}"
    assert len(number) == 12 and number.isdigit()
    assert validation_errors(number, sex=sex, birth_date=born) == []


# --- The same working day -------------------------------------------------------------------------


class Clock:
    def __init__(self, monkeypatch):
        self.monkeypatch = monkeypatch

    def set(self, *when: int) -> dt.datetime:
        moment = dt.datetime(*when, tzinfo=HANOI)
        self.monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment


@pytest.mark.parametrize(
    ("received", "due"),
    [
        ((2026, 3, 4, 10, 0), dt.date(2026, 3, 4)),  # Wednesday morning: the same day
        ((2026, 3, 4, 14, 59), dt.date(2026, 3, 4)),
        ((2026, 3, 4, 15, 0), dt.date(2026, 3, 5)),  # after 15:00: the next working day
        ((2026, 3, 6, 16, 30), dt.date(2026, 3, 9)),  # Friday afternoon: Monday
        ((2026, 2, 13, 15, 30), dt.date(2026, 2, 23)),  # Friday before Tết: after it
    ],
)
@pytest.mark.parametrize("channel", ["online", "counter"])
def test_a_complete_birth_dossier_is_due_the_same_working_day(
    world, monkeypatch, channel, received, due
):
    """0 working days: registered the day it is received when complete; a
    dossier received after 15:00 (or on a day off) counts from the next
    working day."""
    Clock(monkeypatch).set(*received)
    dossier = DossierFactory(agency=world.agency, procedure=world.procedure, channel=channel)
    dossier = transitions.perform(dossier, "submit", actor=dossier.applicant)
    dossier = transitions.perform(dossier, "receive", actor=world.staff[Role.CLERK])
    assert dossier.due_date == due
