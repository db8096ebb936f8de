"""The rules of the birth procedure, as the browser and the API apply them:

1. a late registration (more than 60 days after the birth) is decided by the
   server, asks its own questions only then, and costs the catalog's late fee,
   paid before the ward receives the dossier (online, or in cash at the counter);
2. the parents: not the same ID number, born before the child and old enough;
3. a birth outside a hospital needs the witness's statement from the documents step;
4. the steps are taken in order; the API refuses an incomplete draft;
5. what comes from the population database cannot be changed through the API
   any more than on the pages;
6. a citizen deletes a draft (browser and API);
7. an address is written with its administrative unit once;
8. each step of a dossier's history says when and who (role and agency).

Pages are read in English (language cookie) so the assertions can name the
messages. The family and the ward are those of ``tests.test_birth_cases``.
"""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.urls import reverse
from django.utils import translation

from citizens.models import Role
from egov.errors import ConflictError
from egov.text import address_with_unit
from onecounter import transitions
from onecounter.intake import drafts
from onecounter.models import Attachment, Dossier, DossierEvent, Payment
from onecounter.models import DossierStatus as S
from onecounter.results import rendering
from procedures.demo import CATALOG
from procedures.handlers import registry
from procedures.handlers.birth import rules
from tests.factories import UserFactory, WardFactory
from tests.test_birth_cases import (
    HEALTH_FACILITY,
    TODAY,
    World,
    birth,
    by_mother_at_counter,
    by_mother_online,
    check_url,
    child,
    days_ago,
    declarer,
    english,
    household,
    outside_hospital,
    page_url,
    pdf,
)
from tests.test_my_dossiers import use_private_storage
from tests.test_result_documents import text_of

pytestmark = pytest.mark.django_db

LATE_FEE = 8000
LATE_QUESTION = "Why the birth was not registered within 60 days"


# --- Helpers -------------------------------------------------------------------------------


@pytest.fixture
def world(settings, tmp_path):
    use_private_storage(settings, tmp_path)
    return World()


def start(world, person=None):
    """The citizen (the mother by default) starts a birth draft in the browser."""
    person = person or world.mother
    client = world.citizen(person)
    response = client.post(
        reverse("filing:start", args=[world.procedure.code]), {"subject": "self"}
    )
    assert response.status_code == 302
    return client, Dossier.objects.filter(applicant_person=person).latest("created_at")


def text(response) -> str:
    return html.unescape(response.content.decode())


def draft_url(dossier) -> str:
    return reverse("api:me-draft", args=[dossier.pk])


def patch(client, dossier, data):
    return client.patch(draft_url(dossier), {"data": data}, content_type="application/json")


def submit(client, dossier):
    return client.post(
        reverse("api:me-draft-submit", args=[dossier.pk]),
        {"declaration": True},
        content_type="application/json",
    )


def post_pages(client, dossier, pages: dict[int, dict]) -> None:
    for number, answers in pages.items():
        response = client.post(page_url(dossier, number), answers)
        assert response.status_code == 302, text(response)[:3000]


def question_keys(client, dossier) -> list[str]:
    return [q["key"] for q in client.get(draft_url(dossier)).json()["questions"]]


def late_online(world, born=None, **more):
    """The mother's pages for a birth 400 days ago with the late registration's answers."""
    late = {"late_reason": "Mẹ ốm nặng sau sinh", "never_registered": "on"}
    return by_mother_online(world, born or days_ago(400), page3={**late, **more})


def with_late_fee(world, **fields):
    type(world.procedure).objects.filter(pk=world.procedure.pk).update(fee_late=LATE_FEE, **fields)
    world.procedure.refresh_from_db()


# --- 1. Late registration ----------------------------------------------------------------


def test_the_api_refuses_a_late_flag_sent_by_the_client_and_lists_no_such_question(world):
    """Given a draft, when the client PATCHes ``late``, then it is refused
    (400, on ``late``) and nothing is saved: the server decides."""
    client, dossier = start(world)
    assert "late" not in question_keys(client, dossier)
    response = patch(client, dossier, {"late": True, "full_name": "Trần Minh An"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and set(body["data"]) == {"late"}
    assert "worked out by the portal" in body["data"]["late"][0]
    dossier.refresh_from_db()
    assert "late" not in dossier.data and "full_name" not in dossier.data


def test_a_late_flag_posted_by_the_browser_is_never_kept_and_the_server_sets_it_on_sending(
    world,
):
    """Given a birth 10 days ago, when the browser posts late=True on page 3,
    then the draft keeps no ``late``, and the sent dossier says not late."""
    client, dossier = start(world)
    pages = by_mother_online(world, page3={"late": "True"})
    post_pages(client, dossier, pages)
    dossier.refresh_from_db()
    assert "late" not in dossier.data
    client.post(reverse("filing:documents", args=[dossier.pk]), {})
    assert submit(client, dossier).status_code == 200
    dossier.refresh_from_db()
    assert dossier.data["late"] is False and dossier.fee == 0


def test_the_late_questions_are_asked_only_of_a_late_birth_in_the_browser_and_the_api(world):
    """Given a birth within 60 days, page 3, the check page and the API's
    questions do not ask why it is late; given a birth 400 days back, they do."""
    client, dossier = start(world)
    post_pages(client, dossier, {1: declarer("mother"), 2: child()})
    fresh = text(client.get(page_url(dossier, 3)))
    assert 'name="birth_date"' in fresh
    assert LATE_QUESTION not in fresh and 'name="never_registered"' not in fresh
    assert "late_reason" not in question_keys(client, dossier)

    post_pages(client, dossier, {3: birth(world), 4: household(world.home.number)})
    client.post(reverse("filing:documents", args=[dossier.pk]), {})
    check = text(client.get(check_url(dossier)))
    assert "Date of birth" in check
    assert LATE_QUESTION not in check
    documents = client.get(draft_url(dossier)).json()["documents"]
    assert "q-birth_facts_document" not in [d["key"] for d in documents]

    # The same draft, the date of birth now 400 days back (through the API).
    assert patch(client, dossier, {"birth_date": days_ago(400).isoformat()}).status_code == 200
    keys = question_keys(client, dossier)
    assert {"late_reason", "never_registered"} <= set(keys)
    page = text(client.get(page_url(dossier, 3)))
    assert LATE_QUESTION in page and 'name="never_registered"' in page
    refused = submit(client, dossier)
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid"
    assert {"late_reason", "never_registered"} <= set(refused.json()["data"])


def test_a_late_birth_online_costs_the_late_fee_paid_before_it_is_sent(world):
    """Given the catalog's late fee of 8,000 đồng, when the mother files a
    birth 400 days late online, then the check page and the API show the
    fee, sending asks for the payment (402 with the amount), and once paid
    the dossier is sent with that fee; an on-time birth stays free."""
    with_late_fee(world)
    client, dossier = start(world)
    post_pages(client, dossier, late_online(world))
    client.post(reverse("filing:documents", args=[dossier.pk]), {})
    draft = client.get(draft_url(dossier)).json()
    assert draft["fee_online"] == LATE_FEE and draft["payment_required"] is True
    check = text(client.get(check_url(dossier)))
    assert "The fee of 8,000 đồng is paid online" in check
    assert "Confirm and pay the fee" in check

    unpaid = submit(client, dossier)
    assert unpaid.status_code == 402
    assert unpaid.json()["code"] == "payment_required"
    assert unpaid.json()["data"]["amount"] == LATE_FEE
    # The payment page asks for the late fee.
    payment_page = text(client.get(reverse("payments:start", args=[dossier.pk])))
    assert "8,000" in payment_page

    Dossier.objects.filter(pk=dossier.pk).update(paid_at=dt.datetime.now(dt.UTC))
    dossier.refresh_from_db()
    sent = drafts.submit_online(dossier=dossier, actor=dossier.applicant)
    assert sent.status == S.SUBMITTED and sent.fee == LATE_FEE and sent.data["late"] is True
    # Paid before receipt: the ward receives it.
    received = transitions.perform(sent, "receive", actor=world.staff[Role.CLERK])
    assert received.status == S.RECEIVED

    on_time_client, on_time = start(world, world.father)
    post_pages(on_time_client, on_time, {**by_mother_online(world), 1: declarer("father")})
    on_time_client.post(reverse("filing:documents", args=[on_time.pk]), {})
    assert on_time_client.get(draft_url(on_time)).json()["fee_online"] == 0


def sent_late_partial(world):
    """A late birth sent online on a partly-online birth procedure with a late
    fee (no online payment: the fee is taken at the counter)."""
    with_late_fee(world, online_level="partial")
    client, dossier = start(world)
    post_pages(client, dossier, late_online(world))
    client.post(reverse("filing:documents", args=[dossier.pk]), {})
    assert submit(client, dossier).status_code == 200
    dossier.refresh_from_db()
    return dossier


def test_the_clerk_cannot_receive_a_late_birth_whose_fee_is_unpaid_until_cash_is_recorded(world):
    """Given a partly-online birth procedure (no online payment) with a late
    fee, when a late birth is sent online, then "receive" is refused with
    ``fee_unpaid`` (and on the staff page, 409) until the clerk records the
    fee paid in cash at the counter."""
    dossier = sent_late_partial(world)
    assert dossier.fee == LATE_FEE and dossier.paid_at is None
    clerk = world.staff[Role.CLERK]
    with pytest.raises(ConflictError) as refused:
        transitions.perform(dossier, "receive", actor=clerk)
    assert refused.value.code == "fee_unpaid"
    assert refused.value.data == {"amount": LATE_FEE, "currency": "VND"}

    staff = world.staff_client()
    detail = reverse("dossiers:detail", args=[world.agency.code, dossier.pk])
    assert "Record the fee paid in cash at the counter" in text(staff.get(detail))
    receive = reverse("dossiers:action", args=[world.agency.code, dossier.pk, "receive"])
    response = staff.post(receive, {})
    assert response.status_code == 409
    assert "must be paid before the dossier is received" in text(response)

    cash = reverse("dossiers:action", args=[world.agency.code, dossier.pk, "record_cash_payment"])
    assert staff.post(cash, {}).status_code == 302
    dossier.refresh_from_db()
    assert dossier.paid_at is not None
    payment = Payment.objects.get(dossier=dossier)
    assert (payment.provider, payment.amount, payment.status) == ("cash", LATE_FEE, "paid")
    assert staff.post(receive, {}).status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == S.RECEIVED


def test_only_a_clerk_of_the_agency_records_a_fee_paid_in_cash(world):
    """The officer, the head, the applicant and another ward's clerk are refused."""
    from egov.errors import PermissionDeniedError
    from tests.factories import AgencyFactory, MembershipFactory

    dossier = sent_late_partial(world)
    other_clerk = MembershipFactory(agency=AgencyFactory(code="UBKM"), role=Role.CLERK).user
    for who in (world.staff[Role.OFFICER], world.staff[Role.HEAD], dossier.applicant, other_clerk):
        with pytest.raises(PermissionDeniedError):
            transitions.perform(dossier, "record_cash_payment", actor=who)
    dossier.refresh_from_db()
    assert dossier.paid_at is None and not Payment.objects.filter(dossier=dossier).exists()


def test_at_the_counter_a_late_birth_is_filed_with_the_late_fee_taken_in_cash(world):
    with_late_fee(world)
    late = {"late_reason": "Gia đình ở vùng sâu", "never_registered": "on"}
    filed = world.file_at_counter(
        world.mother, by_mother_at_counter(world, days_ago(400), page3=late)
    )
    assert filed.sent, filed.text[:3000]
    dossier = Dossier.objects.get(pk=filed.dossier.pk)
    assert dossier.status == S.RECEIVED and dossier.fee == LATE_FEE
    assert dossier.paid_at is not None
    assert list(dossier.events.values_list("action", flat=True)) == [
        "submit",
        "record_cash_payment",
        "receive",
    ]
    on_time = world.file_at_counter(world.mother, by_mother_at_counter(world))
    assert on_time.sent and on_time.dossier.fee == 0 and on_time.dossier.paid_at is None


def test_the_late_fee_is_in_the_catalog_its_api_its_admin_form_and_the_demo(world, client):
    with_late_fee(world, is_published=True)
    page = text(client.get(reverse("procedures:detail", args=[world.procedure.code])))
    assert "8.000" in page or "8,000" in page
    assert 'data-testid="fee-late-online"' in page
    api = client.get(reverse("api:procedure-detail", args=[world.procedure.code]))
    assert api.status_code == 200 and api.json()["fee_late"] == LATE_FEE
    birth_spec = next(spec for spec in CATALOG if spec["code"] == "1.001193")
    assert birth_spec["fee_late"] == 8000 and birth_spec["fee_online"] == 0
    from procedures.forms import ProcedureForm

    assert "fee_late" in ProcedureForm.base_fields


# --- 2. The parents -----------------------------------------------------------------------


def validate(world, **changes) -> dict[str, list[str]]:
    """The handler's checks on the mother's declaration at the counter."""
    pages = by_mother_at_counter(world)
    data = {
        **pages[1],
        **pages[2],
        "birth_date": days_ago(10).isoformat(),
        "birth_time": "08:30",
        "birth_facility": "Bệnh viện Phụ sản Hà Nội",
        "birth_address": {"address": "929 đường La Thành", "unit_code": world.ward.code},
        "birth_evidence": "hospital_certificate",
        "birth_certificate_number": "GCS-2026-001234",
        "mother_id_number": world.mother.id_number,
        "father_id_number": world.father.id_number,
        "household_number": world.home.number,
        "health_facility": HEALTH_FACILITY,
        "birth_order": 1,
    }
    data.update(changes)
    with translation.override("en"):
        return registry.get("birth").validate(world.procedure, data)


def test_the_fathers_id_number_cannot_be_the_mothers(world):
    problems = validate(world, father_id_number=world.mother.id_number)
    assert "The father's ID number is the mother's" in " ".join(problems["father_id_number"])
    # On the parents' page too, next to the field (at the counter).
    same = {"mother_id_number": world.mother.id_number, "father_id_number": world.mother.id_number}
    filed = world.file_at_counter(world.mother, by_mother_at_counter(world, page4=same))
    assert filed.dossier is None
    assert "The father's ID number is the mother's" in filed.text
    assert re.search(r'id="id_father_id_number_error"', filed.text)


def test_a_parent_younger_than_the_minimum_age_at_the_birth_is_refused(world):
    assert rules.MIN_PARENT_AGE_YEARS == 12
    young = world.person("Lò Thị Nhỏ", "F", days_ago(365 * 11))
    problems = validate(world, mother_id_number=young.id_number, declarer_id_number="")
    assert "younger than 12 at the child's birth" in " ".join(problems["mother_id_number"])
    # Twelve and more is accepted (mothers younger than the marriage age do register births).
    teen = world.person("Lò Thị Trẻ", "F", TODAY.replace(year=TODAY.year - 15))
    problems = validate(world, mother_id_number=teen.id_number, declarer_id_number="")
    assert "mother_id_number" not in problems


def test_a_child_born_before_a_parent_is_refused_by_record_or_by_year(world):
    later = world.person("Trần Văn Sau", "M", days_ago(1))
    problems = validate(
        world, birth_date=days_ago(10).isoformat(), father_id_number=later.id_number
    )
    assert "before the father's" in " ".join(problems["father_id_number"])
    # A father not in the population database, by the year typed.
    problems = validate(
        world,
        father_id_number="",
        father_name="John Smith",
        father_birth_year=TODAY.year + 1,
        father_nationality="Anh",
        father_residence="London",
    )
    assert "before the father's" in " ".join(problems["father_birth_year"])
    problems = validate(
        world,
        father_id_number="",
        father_name="John Smith",
        father_birth_year=TODAY.year - 5,
        father_nationality="Anh",
        father_residence="London",
    )
    assert "younger than 12" in " ".join(problems["father_birth_year"])


def test_online_a_too_young_parent_is_shown_on_the_check_page_next_to_the_field(world):
    young = world.person("Lò Văn Bé", "M", days_ago(365 * 10))
    grandmother_client, dossier = start(world, world.grandmother)
    pages = {
        1: declarer("grandparent", declarer_reason="Bố mẹ đi làm xa"),
        2: child(),
        3: birth(world),
        4: {
            "mother_id_number": world.mother.id_number,
            "father_id_number": young.id_number,
            **household(world.home.number),
            "head_consents": "yes",
        },
    }
    post_pages(grandmother_client, dossier, pages)
    grandmother_client.post(reverse("filing:documents", args=[dossier.pk]), {})
    response = grandmother_client.post(check_url(dossier), {"declaration": "on", "send": ""})
    page = text(response)
    assert "The father would be younger than 12" in page
    assert f"{page_url(dossier, 4)}?next=check#id_father_id_number" in page
    dossier.refresh_from_db()
    assert dossier.status == S.DRAFT


# --- 3. A birth outside a hospital -----------------------------------------------------------


def slot_heading(page: str, key: str = "q-evidence_document") -> str:
    match = re.search(rf'<h2 id="{key}-title">(.*?)</h2>', page, re.S)
    assert match, f"no section {key}"
    return match.group(1)


def test_a_birth_outside_a_hospital_makes_the_witness_statement_mandatory_from_the_documents_step(
    world,
):
    client, dossier = start(world)
    documents_url = reverse("filing:documents", args=[dossier.pk])
    post_pages(client, dossier, by_mother_online(world))
    # The slot's heading says "(if it applies to you)" only while it is optional.
    assert "secondary-text" in slot_heading(text(client.get(documents_url)))

    post_pages(client, dossier, {3: birth(world, **outside_hospital())})
    assert "secondary-text" not in slot_heading(text(client.get(documents_url)))
    draft = client.get(draft_url(dossier)).json()
    slot = next(d for d in draft["documents"] if d["key"] == "q-evidence_document")
    assert slot["mandatory"] is True
    assert "q-evidence_document" in draft["missing_documents"]
    # Not past the documents step without it, nor through the API.
    response = client.post(documents_url, {})
    assert response.status_code == 200
    assert "Upload “Witness's statement or written commitment”." in text(response)
    assert client.get(check_url(dossier))["Location"] == documents_url
    refused = submit(client, dossier)
    assert refused.status_code == 400 and refused.json()["code"] == "documents_missing"
    assert "q-evidence_document" in refused.json()["data"]
    # It can be uploaded (the API), and then the dossier goes.
    upload = client.post(
        reverse("api:me-draft-attachments", args=[dossier.pk]),
        {"question": "evidence_document", "file": pdf("evidence")},
    )
    assert upload.status_code == 201, upload.content
    assert client.get(draft_url(dossier)).json()["missing_documents"] == []
    assert submit(client, dossier).status_code == 200


# --- 4. Steps in order --------------------------------------------------------------------------


def test_a_later_step_or_the_check_page_of_a_fresh_draft_leads_to_the_first_step_not_done(world):
    client, dossier = start(world)
    for url in (page_url(dossier, 3), check_url(dossier)):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == page_url(dossier, 1)
    # A post to a later page saves nothing.
    client.post(page_url(dossier, 3), birth(world))
    dossier.refresh_from_db()
    assert "birth_date" not in dossier.data
    post_pages(client, dossier, {1: declarer("mother"), 2: child()})
    assert client.get(page_url(dossier, 4))["Location"] == page_url(dossier, 3)
    documents = reverse("filing:documents", args=[dossier.pk])
    assert client.get(documents)["Location"] == page_url(dossier, 3)
    # Going back stays allowed.
    assert client.get(page_url(dossier, 1)).status_code == 200
    assert client.get(page_url(dossier, 3)).status_code == 200


def test_the_api_refuses_to_send_an_incomplete_draft_with_each_missing_answer(world):
    client, dossier = start(world)
    assert patch(client, dossier, {"declarer_relation": "mother"}).status_code == 200
    response = submit(client, dossier)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "answers_missing"
    assert {"full_name", "sex", "birth_date", "birth_address", "birth_order"} <= set(body["data"])
    assert "declarer_relation" not in body["data"]
    assert "late_reason" not in body["data"]  # not asked of a birth not known to be late
    assert all(
        messages and messages[0].startswith("Answer this question")
        for messages in body["data"].values()
    )
    dossier.refresh_from_db()
    assert dossier.status == S.DRAFT


# --- 5. The population database's answers through the API --------------------------------------


def test_the_api_allows_exactly_what_the_pages_allow_of_the_prefilled_answers(world):
    """Given a mother's draft whose parents come from the population database,
    when the client PATCHes her husband's name, then it is refused as on the
    page (read-only there); the household number (a suggestion, editable on
    the page) can be changed."""
    client, dossier = start(world)
    post_pages(client, dossier, {1: declarer("mother"), 2: child(), 3: birth(world)})
    page = text(client.get(page_url(dossier, 4)))
    assert not re.search(r'<input[^>]*name="father_name"', page)
    assert re.search(r'<input[^>]*name="household_number"', page)

    refused = patch(client, dossier, {"father_name": "Người Khác", "mother_birth_year": 1990})
    assert refused.status_code == 400
    assert set(refused.json()["data"]) == {"father_name", "mother_birth_year"}
    assert "population database" in refused.json()["data"]["father_name"][0]
    questions = {q["key"]: q for q in client.get(draft_url(dossier)).json()["questions"]}
    assert questions["father_name"]["read_only"] is True
    assert questions["household_number"]["read_only"] is False

    # Nor what the portal works out from the records (not a question on the page either).
    assert 'name="relation_to_head"' not in page
    worked_out = patch(client, dossier, {"relation_to_head": "child"})
    assert worked_out.status_code == 400 and set(worked_out.json()["data"]) == {"relation_to_head"}

    changed = patch(client, dossier, {"household_number": world.grandmothers_home.number})
    assert changed.status_code == 200, changed.json()
    dossier.refresh_from_db()
    assert dossier.data["household_number"] == world.grandmothers_home.number
    assert dossier.data["father_name"] == world.father.full_name


# --- 6. Deleting a draft ----------------------------------------------------------------------


def test_a_citizen_deletes_a_draft_through_the_api_with_its_files_after_commit(
    world, django_capture_on_commit_callbacks
):
    client, dossier = start(world)
    post_pages(client, dossier, by_mother_online(world, page3=outside_hospital()))
    client.post(
        reverse("api:me-draft-attachments", args=[dossier.pk]),
        {"question": "evidence_document", "file": pdf("evidence")},
    )
    attachment = Attachment.objects.get(dossier=dossier)
    storage, name = attachment.file.storage, attachment.file.name
    assert storage.exists(name)

    stranger = english(UserFactory())
    assert stranger.delete(draft_url(dossier)).status_code == 404
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.delete(draft_url(dossier))
    assert response.status_code == 204
    assert not Dossier.objects.filter(pk=dossier.pk).exists()
    assert storage.exists(name)  # not before the commit
    for callback in callbacks:
        callback()
    assert not storage.exists(name)
    assert client.delete(draft_url(dossier)).status_code == 404


def test_a_sent_dossier_or_a_draft_with_a_payment_cannot_be_deleted(world):
    client, sent = start(world)
    post_pages(client, sent, by_mother_online(world))
    client.post(reverse("filing:documents", args=[sent.pk]), {})
    assert submit(client, sent).status_code == 200
    response = client.delete(draft_url(sent))
    assert response.status_code == 409 and response.json()["code"] == "not_draft"

    paying_client, paying = start(world, world.father)
    Payment.objects.create(dossier=paying, provider="test", reference="P-RULES-1", amount=8000)
    response = paying_client.delete(draft_url(paying))
    assert response.status_code == 409 and response.json()["code"] == "draft_in_use"
    assert Dossier.objects.filter(pk=paying.pk).exists()


def test_a_citizen_deletes_a_draft_in_the_browser_after_confirming(world):
    client, dossier = start(world)
    listing = text(client.get(reverse("mine:dossiers")))
    delete_url = reverse("mine:delete-draft", args=[dossier.pk])
    assert delete_url in listing
    confirm = client.get(delete_url)
    assert confirm.status_code == 200 and 'method="post"' in text(confirm)
    assert Dossier.objects.filter(pk=dossier.pk).exists()  # a GET deletes nothing
    assert english(UserFactory()).post(delete_url).status_code == 404
    response = client.post(delete_url)
    assert response.status_code == 302 and response["Location"] == reverse("mine:dossiers")
    assert not Dossier.objects.filter(pk=dossier.pk).exists()


# --- 7. The address, once ----------------------------------------------------------------------


def test_an_address_naming_its_ward_already_gets_the_unit_once():
    unit = "Phường Long Biên, Thành phố Hà Nội"
    assert address_with_unit("Số 12, ngõ 45 Ngọc Lâm, Phường Long Biên, Hà Nội", unit) == (
        "Số 12, ngõ 45 Ngọc Lâm, Phường Long Biên, Hà Nội"
    )
    assert (
        address_with_unit("Số 12 ngõ 45, phuong long bien", unit)
        == "Số 12 ngõ 45, phuong long bien"
    )
    assert address_with_unit("Số 5 phố Kim Mã", unit) == f"Số 5 phố Kim Mã, {unit}"
    assert address_with_unit("", unit) == unit
    assert address_with_unit("Số 5 phố Kim Mã", "") == "Số 5 phố Kim Mã"
    # Another ward named in the line: the unit follows.
    assert address_with_unit("Số 1, Phường Ba Đình", unit) == f"Số 1, Phường Ba Đình, {unit}"


def test_the_prefill_and_the_birth_certificate_write_the_parents_address_once(world):
    long_bien = WardFactory(code="00145", name="Phường Long Biên", parent=world.ward.parent)
    address = "Số 12, ngõ 45 Ngọc Lâm, Phường Long Biên, Hà Nội"
    for person in (world.mother, world.father):
        type(person).objects.filter(pk=person.pk).update(
            permanent_address=address, permanent_unit=long_bien
        )
    client, dossier = start(world)
    post_pages(client, dossier, {1: declarer("mother")})
    dossier.refresh_from_db()
    assert dossier.data["mother_residence"] == address
    assert dossier.data["father_residence"] == address

    post_pages(client, dossier, {2: child(), 3: birth(world), 4: household(world.home.number)})
    client.post(reverse("filing:documents", args=[dossier.pk]), {})
    assert submit(client, dossier).status_code == 200
    world.register(dossier)
    (certificate,) = rendering.render_results(Dossier.objects.get(pk=dossier.pk))
    pdf_text = text_of(certificate)
    assert pdf_text.count("Ngọc Lâm") == 2  # the mother's and the father's residence
    assert "Phường Long Biên, Hà Nội, Phường Long Biên" not in pdf_text
    assert pdf_text.count("Phường Long Biên") == 2


# --- 8. Who and when, in the citizen's history -----------------------------------------------------


def test_each_step_says_when_and_who_by_role_and_agency_never_the_clerks_name(world):
    clerk = world.staff[Role.CLERK]
    type(clerk).objects.filter(pk=clerk.pk).update(
        full_name="Phạm Văn Tiếp Nhận", email="tiepnhan.rieng@ubbd.example.vn"
    )
    client, dossier = start(world)
    post_pages(client, dossier, by_mother_online(world))
    client.post(reverse("filing:documents", args=[dossier.pk]), {})
    assert submit(client, dossier).status_code == 200
    dossier.refresh_from_db()
    transitions.perform(dossier, "receive", actor=clerk)
    DossierEvent.objects.create(
        dossier=dossier, seq=99, actor=None, action="mark_result_ready", to_status=S.RECEIVED
    )

    page = text(client.get(reverse("mine:dossier", args=[dossier.pk])))
    timeline = page[page.index('data-testid="timeline"') :]
    timeline = timeline[: timeline.index("</ol>")]
    assert "One-stop clerk — UBND phường Ba Đình" in timeline
    assert "You" in timeline and "The system" in timeline
    assert "Phạm Văn Tiếp Nhận" not in page and "tiepnhan.rieng" not in page
    assert re.search(
        r'<time class="timeline__when" datetime="[^"]+">\d\d/\d\d/\d{4} \d\d:\d\d', timeline
    )

    api = client.get(reverse("api:me-dossier", args=[dossier.pk]))
    assert api.status_code == 200
    steps = api.json()["steps"]
    assert [s["who"] for s in steps] == [
        "you",
        "One-stop clerk — UBND phường Ba Đình",
        "the system",
    ]
    assert all(s["at"] for s in steps)
    assert "Phạm Văn Tiếp Nhận" not in api.content.decode()
    assert "tiepnhan.rieng" not in api.content.decode()
