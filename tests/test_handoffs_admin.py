"""Handoffs that fail are retried with backoff, then fail visibly; an
administrator sees them (page and API) and retries them; each agency sees only
what was handed to it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from citizens.models import Role
from interconnect import services as handoff_services
from interconnect import tasks as handoff_tasks
from interconnect.models import Handoff
from onecounter.models import Dossier
from onecounter.models import DossierStatus as S
from tests import test_handoffs as journey
from tests.conftest import enrol_totp
from tests.factories import UserFactory
from tests.test_handoffs import handoffs_of

# The fixtures of the journey tests.
world = journey.world
run_on_commit = journey.run_on_commit

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(db):
    user = UserFactory(full_name="Quản trị hệ thống", is_superuser=True, is_staff=True)
    enrol_totp(user)
    return user


def signed_in(user, *, csrf=False) -> Client:
    enrol_totp(user)
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def police_without_the_procedure(world):
    """The police agency no longer offers permanent residence: delivery fails."""
    world.calb.procedures.remove(world.residence)


def time_passes(handoff: Handoff) -> None:
    """The next attempt of the handoff is due now."""
    Handoff.objects.filter(pk=handoff.pk).update(
        next_attempt_at=timezone.now() - dt.timedelta(seconds=1)
    )


def failed_handoff(world, run_on_commit, settings):
    """A birth whose residence handoff failed after every attempt."""
    settings.EGOV_HANDOFF_MAX_ATTEMPTS = 3
    police_without_the_procedure(world)
    birth = run_on_commit(world.register_birth)
    residence = handoffs_of(birth)["residence"]
    for _attempt in range(2):
        time_passes(residence)
        run_on_commit(handoff_tasks.sweep_handoffs)
    residence.refresh_from_db()
    assert residence.status == Handoff.Status.FAILED
    return birth, residence


# --- Retries, then a visible failure ------------------------------------------------------------


def test_a_failing_delivery_is_retried_with_backoff_then_fails_visibly(
    world,
    run_on_commit,
    settings,
):
    settings.EGOV_HANDOFF_MAX_ATTEMPTS = 3
    settings.EGOV_HANDOFF_BACKOFF_SECONDS = 30
    police_without_the_procedure(world)
    birth = run_on_commit(world.register_birth)
    residence = handoffs_of(birth)["residence"]
    insurance = handoffs_of(birth)["insurance"]
    # The other agency is not held up.
    assert insurance.status == Handoff.Status.DELIVERED
    # First attempt failed: pending, with the next attempt after the backoff.
    assert residence.status == Handoff.Status.PENDING
    assert residence.attempts == 1
    assert "CALB offers no procedure" in residence.last_error
    first = residence.messages.get(kind="deliver")
    assert first.error and first.request_sha256 == residence.payload_sha256
    assert dt.timedelta(seconds=29) < residence.next_attempt_at - first.started_at
    assert residence.next_attempt_at - first.started_at <= dt.timedelta(seconds=31)
    # Not due yet: the sweep leaves it alone and the task does nothing.
    assert run_on_commit(handoff_tasks.sweep_handoffs) == 0
    assert handoff_tasks.deliver_handoff(str(residence.pk)) == "not_due"
    # Due: second attempt, then a doubled wait.
    time_passes(residence)
    assert run_on_commit(handoff_tasks.sweep_handoffs) == 1
    residence.refresh_from_db()
    assert residence.attempts == 2
    second = residence.messages.filter(kind="deliver").order_by("-started_at").first()
    assert dt.timedelta(seconds=59) < residence.next_attempt_at - second.started_at
    # Third and last attempt: failed, for an administrator.
    time_passes(residence)
    run_on_commit(handoff_tasks.sweep_handoffs)
    residence.refresh_from_db()
    assert residence.status == Handoff.Status.FAILED
    assert residence.attempts == 3 and residence.next_attempt_at is None
    assert residence.messages.filter(kind="deliver").count() == 3
    assert not Dossier.objects.filter(agency=world.calb).exists()
    # The birth waits: its result cannot be marked ready while a handoff is open.
    birth.refresh_from_db()
    assert birth.status == S.APPROVED


def test_a_lost_task_is_sent_again_by_the_sweep(world, run_on_commit):
    # No on-commit: the delivery tasks were never sent (a broker outage).
    birth = world.register_birth()
    residence = handoffs_of(birth)["residence"]
    assert handoff_services.due_for_sweep() == []  # too recent to be lost
    Handoff.objects.filter(dossier=birth).update(
        created_at=timezone.now() - dt.timedelta(minutes=3)
    )
    assert run_on_commit(handoff_tasks.sweep_handoffs) == 2
    residence.refresh_from_db()
    assert residence.status == Handoff.Status.DELIVERED


# --- The administrators' page -----------------------------------------------------------------


def test_an_administrator_sees_a_failed_handoff_and_retries_it_from_the_page(
    world,
    run_on_commit,
    settings,
    admin_user,
):
    birth, residence = failed_handoff(world, run_on_commit, settings)
    client = signed_in(admin_user, csrf=True)
    page = client.get("/back-office/handoffs/?status=failed")
    assert page.status_code == 200
    html = page.content.decode()
    assert residence.key in html and "CALB offers no procedure" in html
    assert 'data-testid="budget-report"' in html
    detail = client.get(f"/back-office/handoffs/{residence.pk}/")
    html = detail.content.decode()
    assert residence.payload["person_id_number"] in html
    assert str(residence.messages.first().pk) in html
    assert residence.payload_sha256 in html
    assert 'id="retry"' in html
    # Without the CSRF token the retry is refused.
    assert client.post(f"/back-office/handoffs/{residence.pk}/retry/").status_code == 403
    # The cause is fixed, then the administrator retries: delivered, once.
    world.calb.procedures.add(world.residence)
    token = client.cookies["csrftoken"].value
    response = run_on_commit(
        client.post,
        f"/back-office/handoffs/{residence.pk}/retry/",
        {"csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    residence.refresh_from_db()
    assert residence.status == Handoff.Status.DELIVERED
    assert residence.attempts == 1
    assert residence.messages.filter(kind="retry").count() == 1
    assert Dossier.objects.filter(agency=world.calb).count() == 1
    # The journey then completes.
    run_on_commit(world.decide, residence.agency_dossier)
    run_on_commit(world.decide, handoffs_of(birth)["insurance"].agency_dossier)
    birth.refresh_from_db()
    assert birth.status == S.RESULT_READY


def test_the_report_counts_on_time_late_and_open_per_agency(
    world,
    run_on_commit,
    admin_user,
):
    from interconnect import selectors

    birth = run_on_commit(world.register_birth)
    handoffs = handoffs_of(birth)
    run_on_commit(world.decide, handoffs["insurance"].agency_dossier)
    # The police's date passed without a decision.
    Handoff.objects.filter(pk=handoffs["residence"].pk).update(
        due_date=timezone.localdate() - dt.timedelta(days=1)
    )
    rows = {row.target: row for row in selectors.budget_report(Handoff.objects.all())}
    assert (rows["insurance"].on_time, rows["insurance"].late, rows["insurance"].open) == (1, 0, 0)
    assert (rows["residence"].open, rows["residence"].open_late) == (1, 1)
    late = signed_in(admin_user).get("/back-office/handoffs/?late=on")
    assert handoffs["residence"].key in late.content.decode()
    assert handoffs["insurance"].key not in late.content.decode()


def test_the_head_of_the_sending_agency_sees_its_handoffs_and_nobody_else_does(
    world,
    run_on_commit,
):
    birth = run_on_commit(world.register_birth)
    residence = handoffs_of(birth)["residence"]
    head = signed_in(world.user("UBLB", Role.HEAD))
    assert residence.key in head.get("/back-office/handoffs/").content.decode()
    assert head.get(f"/back-office/handoffs/{residence.pk}/").status_code == 200
    for user in (
        world.user("UBLB", Role.CLERK),
        world.user("UBLB", Role.OFFICER),
        world.user("CALB", Role.OFFICER),
        world.parent,
    ):
        client = signed_in(user)
        assert client.get("/back-office/handoffs/").status_code == 403
        assert client.get(f"/back-office/handoffs/{residence.pk}/").status_code == 403
        assert client.get("/api/v1/back-office/handoffs/").status_code == 403
    # The police head is a head, but of the receiving agency: nothing of UBLB's.
    police_head = signed_in(world.user("CALB", Role.HEAD))
    assert residence.key not in police_head.get("/back-office/handoffs/").content.decode()
    assert police_head.get(f"/back-office/handoffs/{residence.pk}/").status_code == 404
    assert police_head.get(f"/api/v1/back-office/handoffs/{residence.pk}/").status_code == 404
    assert Client().get("/back-office/handoffs/").status_code == 302  # to sign in


def test_the_list_page_and_api_cost_the_same_queries_as_rows_grow(
    world,
    run_on_commit,
    admin_user,
):
    client = signed_in(admin_user)
    run_on_commit(world.register_birth)

    def count(url):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    few = (count("/back-office/handoffs/"), count("/api/v1/back-office/handoffs/"))
    for n in range(3):
        # The mother's elder children, a year apart (not duplicates of one birth).
        born = timezone.localdate() - dt.timedelta(days=10 + 365 * (n + 1))
        run_on_commit(world.register_birth, full_name=f"Trần Minh {n}", birth_date=born.isoformat())
    assert Handoff.objects.count() == 8
    many = (count("/back-office/handoffs/"), count("/api/v1/back-office/handoffs/"))
    assert many == few


# --- The staff API -------------------------------------------------------------------------


def test_the_api_lists_filters_shows_and_retries_handoffs(
    world,
    run_on_commit,
    settings,
    admin_user,
):
    birth, residence = failed_handoff(world, run_on_commit, settings)
    client = signed_in(admin_user)
    listed = client.get("/api/v1/back-office/handoffs/?status=failed&target=residence").json()
    assert [h["key"] for h in listed["results"]] == [residence.key]
    assert listed["results"][0]["attempts"] == 3
    assert client.get("/api/v1/back-office/handoffs/?status=nonsense").json()["code"] == "invalid"
    detail = client.get(f"/api/v1/back-office/handoffs/{residence.pk}/").json()
    assert detail["payload"] == residence.payload
    assert len(detail["messages"]) == 3
    message = detail["messages"][0]
    assert {"id", "dossier_ref", "request_sha256", "response", "started_at", "finished_at"} <= set(
        message
    )
    assert message["dossier_ref"] == birth.code
    # A handoff that did not fail cannot be retried.
    insurance = handoffs_of(birth)["insurance"]
    refused = client.post(f"/api/v1/back-office/handoffs/{insurance.pk}/retry/")
    assert refused.status_code == 409 and refused.json()["code"] == "not_failed"
    missing = client.post(
        "/api/v1/back-office/handoffs/00000000-0000-0000-0000-000000000000/retry/"
    )
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    # Fixed, then retried through the API: delivered.
    world.calb.procedures.add(world.residence)
    retried = run_on_commit(client.post, f"/api/v1/back-office/handoffs/{residence.pk}/retry/")
    assert retried.status_code == 200
    residence.refresh_from_db()
    assert residence.status == Handoff.Status.DELIVERED
    assert residence.agency_dossier.agency == world.calb


# --- Each agency sees only what was handed to it -------------------------------------------------


def test_police_and_insurance_see_only_their_own_dossier_and_only_its_payload(
    world,
    run_on_commit,
):
    birth = run_on_commit(world.register_birth)
    handoffs = handoffs_of(birth)
    police_dossier = handoffs["residence"].agency_dossier
    card_dossier = handoffs["insurance"].agency_dossier
    for code, own, other in (
        ("CALB", police_dossier, card_dossier),
        ("BHXHLB", card_dossier, police_dossier),
    ):
        for role in (Role.OFFICER, Role.HEAD):
            client = signed_in(world.user(code, role))
            # Their own queue holds the handed-on dossier...
            queue = client.get(f"/back-office/agencies/{code}/dossiers/?view=all")
            assert own.code in queue.content.decode()
            page = client.get(f"/back-office/agencies/{code}/dossiers/{own.pk}/")
            assert page.status_code == 200
            html = page.content.decode()
            assert birth.code in html  # where it came from, as a reference
            # The child handed on, under labels (not raw keys).
            assert "Full name" in html and "Date of birth" in html
            assert ">sex<" not in html and ">full_name<" not in html
            # ...with only the payload: nothing else of the birth declaration.
            assert world.father.id_number not in html
            assert "Bệnh viện Phụ sản" not in html
            api = client.get(f"/api/v1/back-office/agencies/{code}/dossiers/{own.pk}/").json()
            assert set(api["data"]) == set(
                handoffs["residence" if code == "CALB" else "insurance"].payload
            )
            # The ward's birth dossier is not theirs to open (page and API)...
            assert client.get(f"/back-office/agencies/UBLB/dossiers/{birth.pk}/").status_code == 403
            assert (
                client.get(f"/back-office/agencies/{code}/dossiers/{birth.pk}/").status_code == 404
            )
            assert (
                client.get(f"/api/v1/back-office/agencies/UBLB/dossiers/{birth.pk}/").status_code
                == 403
            )
            assert (
                client.get(f"/api/v1/back-office/agencies/{code}/dossiers/{birth.pk}/").status_code
                == 404
            )
            # ...nor the other agency's.
            assert (
                client.get(f"/back-office/agencies/{code}/dossiers/{other.pk}/").status_code == 404
            )


def test_the_dossier_pages_show_each_agencys_step(world, run_on_commit):
    birth = run_on_commit(world.register_birth)
    handoffs = handoffs_of(birth)
    run_on_commit(world.decide, handoffs["residence"].agency_dossier, "reject", "Sai số hộ.")
    # The ward's back office
    ward = signed_in(world.user("UBLB", Role.OFFICER))
    html = ward.get(f"/back-office/agencies/UBLB/dossiers/{birth.pk}/").content.decode()
    assert 'data-testid="agency-steps"' in html
    assert 'data-target="residence" data-state="refused"' in html
    assert 'data-target="insurance" data-state="processing"' in html
    assert handoffs["insurance"].agency_dossier.code in html
    # The parent's "my dossier"
    parent = signed_in(world.parent)
    html = parent.get(f"/me/dossiers/{birth.pk}/").content.decode()
    assert 'data-target="residence" data-state="refused"' in html
    assert "Sai số hộ." in html
    assert 'data-target="insurance" data-state="processing"' in html
    due = handoffs["insurance"].agency_dossier.due_date.strftime("%d/%m/%Y")
    assert due in html
    # ...and the handed-on dossier is among the parent's own, to answer it there
    own = parent.get(f"/me/dossiers/{handoffs['insurance'].agency_dossier_id}/")
    assert own.status_code == 200


@pytest.fixture
def broker_down():
    """The broker is unreachable (a closed port), tasks are not run in-process,
    and nothing waits to reconnect."""
    from egov.celery import app

    down = {
        "task_always_eager": False,
        "broker_url": "redis://127.0.0.1:1/0",
        "task_publish_retry": False,
        "broker_connection_retry": False,
        "broker_connection_max_retries": 0,
        "broker_connection_timeout": 0.2,
        "broker_transport_options": {"max_retries": 0, "socket_connect_timeout": 0.2},
    }
    saved = {key: app.conf[key] for key in down}

    def fresh_pools() -> None:
        # Connections and producers are pooled per broker URL: drop both so
        # nothing after this test publishes to the dead broker. (Not closed:
        # other objects may still hold the old pool.)
        app._pool = None
        app.amqp._producer_pool = None

    app.conf.update(down)
    fresh_pools()
    try:
        yield
    finally:
        app.conf.update(saved)
        fresh_pools()


def test_a_broker_outage_when_enqueuing_never_fails_the_approval(
    world, broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        birth = world.register_birth()
    # The approval stands; the handoffs wait in the outbox for the sweep.
    assert birth.status == S.APPROVED
    assert {h.status for h in handoffs_of(birth).values()} == {Handoff.Status.PENDING}
    assert {h.attempts for h in handoffs_of(birth).values()} == {0}
