"""The dossier lifecycle: every allowed step, every refused one, and random walks."""

import datetime as dt
import threading

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from citizens.models import Role
from egov.errors import ConflictError, PermissionDeniedError, ValidationFailed
from onecounter import transitions
from onecounter.models import Dossier, DossierEvent
from onecounter.models import DossierStatus as S
from tests.factories import AgencyFactory, DossierFactory, MembershipFactory, ProcedureFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(db):
    agency = AgencyFactory(code="UBLB")
    staff = {
        role: MembershipFactory(agency=agency, role=role).user
        for role in (Role.CLERK, Role.OFFICER, Role.HEAD)
    }
    return agency, staff


def params_for(action, staff, dossier=None):
    if action == "apologise":
        due = dossier.due_date if dossier and dossier.due_date else dt.date(2099, 1, 1)
        return {"new_due_date": due + dt.timedelta(days=7)}
    return {
        "request_supplement_before_receipt": {"items": ["Bản sao giấy chứng sinh"]},
        "request_supplement": {"items": ["Giấy xác nhận cư trú"]},
        "assign": {"officer": staff[Role.OFFICER]},
        "propose": {"decision": "approve"},
    }.get(action, {})


def actor_for(action, dossier, staff):
    spec = transitions.ACTIONS[action]
    if transitions.APPLICANT in spec.actors:
        return dossier.applicant
    for role in (Role.CLERK, Role.OFFICER, Role.HEAD):
        if role in spec.actors:
            return staff[role]
    raise AssertionError(action)


def act(dossier, action, staff, **extra):
    return transitions.perform(
        dossier,
        action,
        actor=actor_for(action, dossier, staff),
        reason="Lý do thử nghiệm",
        **{**params_for(action, staff, dossier), **extra},
    )


def test_the_main_path_from_draft_to_returned(office):
    agency, staff = office
    dossier = DossierFactory(agency=agency)
    path = [
        "submit", "receive", "assign", "request_supplement", "supply", "propose",
        "approve", "mark_result_ready", "hand_back",
    ]  # fmt: skip
    for action in path:
        dossier = act(dossier, action, staff)
    assert dossier.status == S.RETURNED
    events = list(dossier.events.order_by("seq"))
    assert [e.action for e in events] == path
    assert [e.seq for e in events] == list(range(1, len(path) + 1))
    assert events[0].from_status == S.DRAFT and events[-1].to_status == S.RETURNED
    assert dossier.code.startswith("UBLB-") and dossier.due_date is not None


def test_supplement_before_receipt_then_resubmit_then_refuse(office):
    agency, staff = office
    dossier = DossierFactory(agency=agency)
    for action in ["submit", "request_supplement_before_receipt", "resubmit", "refuse"]:
        dossier = act(dossier, action, staff)
    assert dossier.status == S.REFUSED
    assert dossier.supplements.get().before_receipt


def test_the_head_can_send_back_or_reject(office):
    agency, staff = office
    dossier = DossierFactory(agency=agency)
    for action in ["submit", "receive", "assign", "propose", "send_back", "propose", "reject"]:
        dossier = act(dossier, action, staff)
    assert dossier.status == S.REJECTED


def test_the_applicant_can_withdraw_before_a_decision_with_a_reason(office):
    agency, staff = office
    dossier = act(act(DossierFactory(agency=agency), "submit", staff), "receive", staff)
    with pytest.raises(ValidationFailed):
        transitions.perform(dossier, "withdraw", actor=dossier.applicant, reason="")
    dossier = transitions.perform(dossier, "withdraw", actor=dossier.applicant, reason="Nộp nhầm")
    assert dossier.status == S.WITHDRAWN


def test_an_apology_sets_a_later_promised_date_and_counts_as_late(office):
    agency, staff = office
    dossier = act(act(DossierFactory(agency=agency), "submit", staff), "receive", staff)
    with pytest.raises(ValidationFailed):
        transitions.perform(
            dossier,
            "apologise",
            actor=staff[Role.OFFICER],
            reason="x",
            new_due_date=dossier.due_date,
        )
    later = dossier.due_date + dt.timedelta(days=5)
    dossier = transitions.perform(
        dossier, "apologise", actor=staff[Role.OFFICER], reason="Cần xác minh", new_due_date=later
    )
    assert (dossier.due_date, dossier.apologised, dossier.status) == (later, True, S.RECEIVED)
    assert dossier.apologies.get().old_due_date < later


@pytest.mark.parametrize("status", [s.value for s in S])
def test_every_action_not_allowed_from_a_state_is_refused_with_409(office, status):
    agency, staff = office
    dossier = DossierFactory(
        agency=agency, status=status, code=None if status == S.DRAFT else f"X-{status}"
    )
    for name, spec in transitions.ACTIONS.items():
        if status in spec.sources:
            continue
        with pytest.raises(ConflictError) as info:
            act(dossier, name, staff)
        assert info.value.code == "invalid_transition"
        assert info.value.http_status == 409
    assert not DossierEvent.objects.filter(dossier=dossier).exists()
    dossier.refresh_from_db()
    assert dossier.status == status


def test_a_clerk_of_another_agency_or_another_citizen_cannot_act(office):
    agency, staff = office
    dossier = act(DossierFactory(agency=agency), "submit", staff)
    foreign_clerk = MembershipFactory(agency=AgencyFactory(code="UBBD"), role=Role.CLERK).user
    with pytest.raises(PermissionDeniedError):
        transitions.perform(dossier, "receive", actor=foreign_clerk)
    other_citizen = DossierFactory().applicant
    with pytest.raises(PermissionDeniedError):
        transitions.perform(dossier, "withdraw", actor=other_citizen, reason="x")
    # The officer cannot do the clerk's or the head's job either.
    with pytest.raises(PermissionDeniedError):
        transitions.perform(dossier, "receive", actor=staff[Role.OFFICER])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.sampled_from(sorted(transitions.ACTIONS)), min_size=1, max_size=25))
def test_random_action_sequences_never_reach_an_invalid_state_or_lose_an_event(office, actions):
    agency, staff = office
    dossier = DossierFactory(agency=agency)
    expected_events = 0
    for action in actions:
        before = Dossier.objects.get(pk=dossier.pk).status
        try:
            dossier = act(dossier, action, staff)
        except (ConflictError, PermissionDeniedError, ValidationFailed):
            assert Dossier.objects.get(pk=dossier.pk).status == before
            continue
        expected_events += 1
        spec = transitions.ACTIONS[action]
        assert before in spec.sources
        assert dossier.status == (spec.target or before)
    dossier.refresh_from_db()
    assert dossier.status in S.values
    events = list(dossier.events.order_by("seq"))
    assert len(events) == expected_events
    assert [e.seq for e in events] == list(range(1, expected_events + 1))
    # The events chain: each step starts where the previous one ended.
    status = S.DRAFT
    for event in events:
        assert event.from_status == status
        status = event.to_status
    assert status == dossier.status


@pytest.mark.django_db(transaction=True)
def test_fifty_simultaneous_submissions_get_fifty_consecutive_codes():
    agency = AgencyFactory(code="UBLB")
    procedure = ProcedureFactory()
    drafts = [DossierFactory(agency=agency, procedure=procedure) for _ in range(50)]
    barrier = threading.Barrier(10)
    errors = []

    def submit(chunk):
        try:
            barrier.wait()
            for d in chunk:
                transitions.perform(d, "submit", actor=d.applicant)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(drafts[i::10],)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    codes = sorted(Dossier.objects.values_list("code", flat=True))
    prefix = codes[0].rsplit("-", 1)[0]
    assert codes == [f"{prefix}-{n:04d}" for n in range(1, 51)]


def test_a_linked_parent_acts_for_their_minor_child_and_not_for_an_adult_one(office):
    from citizens.models import IdentityLink
    from tests.factories import PersonFactory, UserFactory

    agency, staff = office
    mother = PersonFactory(full_name="Lê Thị Mẹ", sex="F", birth_date=dt.date(1990, 1, 1))
    child = PersonFactory(
        full_name="Lê Văn Con", sex="M", birth_date=dt.date(2018, 6, 1), mother=mother
    )
    adult = PersonFactory(
        full_name="Lê Văn Lớn", sex="M", birth_date=dt.date(2000, 6, 1), mother=mother
    )
    parent_user = UserFactory()
    IdentityLink.objects.create(user=parent_user, person=mother, level=1, method="self")

    for_child = act(DossierFactory(agency=agency, subject_person=child), "submit", staff)
    for_adult = act(DossierFactory(agency=agency, subject_person=adult), "submit", staff)
    withdrawn = transitions.perform(for_child, "withdraw", actor=parent_user, reason="Nộp nhầm")
    assert withdrawn.status == S.WITHDRAWN
    with pytest.raises(PermissionDeniedError):
        transitions.perform(for_adult, "withdraw", actor=parent_user, reason="x")
