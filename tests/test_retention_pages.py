"""Retention pages and API: heads of the agency only, four eyes, typed input
kept on error, query counts that hold as items grow."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from citizens.models import Role
from onecounter.models import DestructionList, DestructionListItem
from onecounter.retention import services
from tests.conftest import enrol_totp
from tests.factories import MembershipFactory, ProcedureFactory, UserFactory
from tests.test_retention import TODAY, closed_dossier


@pytest.fixture
def head(ward_agency):
    user = MembershipFactory(agency=ward_agency, role=Role.HEAD).user
    enrol_totp(user)
    return user


@pytest.fixture
def procedure(db):
    return ProcedureFactory(retention_dossier_years=5)


def make_list(agency, procedure, count):
    for n in range(count):
        closed_dossier(
            agency, procedure, dt.date(2019, 1, 1) + dt.timedelta(days=n), with_files=False
        )
    # The list before is rejected: a new one can be proposed, and the history grows.
    earlier = DestructionList.objects.filter(agency=agency, status="proposed")
    DestructionListItem.objects.filter(destruction_list__in=earlier).update(is_open=False)
    earlier.update(
        status="rejected", decided_by=UserFactory(), decided_at=timezone.now(), decision_reason="x"
    )
    return services.list_propose(agency=agency, today=TODAY)


def test_the_head_sees_the_lists_and_a_list_in_vietnamese(mfa_client, head, ward_agency, procedure):
    made = make_list(ward_agency, procedure, 2)
    client = mfa_client(head)
    page = client.get("/back-office/retention/")
    assert page.status_code == 200
    assert "Danh sách" in page.content.decode() or "danh sách" in page.content.decode()
    assert f'data-list="{made.pk}"' in page.content.decode()
    assert 'data-testid="nav-retention"' in page.content.decode()
    detail = client.get(f"/back-office/retention/{made.pk}/")
    assert detail.status_code == 200
    body = detail.content.decode()
    assert body.count("data-item=") == 2 and 'data-testid="approve"' in body


def test_a_clerk_and_a_citizen_are_refused_and_another_agencys_head_gets_404(
    mfa_client, client, clerk, citizen, ward_agency, other_ward_agency, procedure
):
    made = make_list(ward_agency, procedure, 1)
    for user in (clerk, citizen):
        client.force_login(user)
        assert client.get("/back-office/retention/").status_code == 403
        assert client.get(f"/back-office/retention/{made.pk}/").status_code == 403
        assert client.get(f"/api/v1/back-office/retention/lists/{made.pk}/").status_code == 403
    other_head = MembershipFactory(agency=other_ward_agency, role=Role.HEAD).user
    enrol_totp(other_head)
    client.force_login(other_head)
    assert client.get(f"/back-office/retention/{made.pk}/").status_code == 404
    assert (
        client.post(
            f"/back-office/retention/{made.pk}/decide/", {"decision": "approve", "reason": "x"}
        ).status_code
        == 404
    )
    response = client.get(f"/api/v1/back-office/retention/lists/{made.pk}/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    made.refresh_from_db()
    assert made.status == "proposed"


def test_an_empty_reason_shows_the_error_and_keeps_the_typed_input(
    mfa_client, head, ward_agency, procedure
):
    made = make_list(ward_agency, procedure, 1)
    item = made.items.get()
    client = mfa_client(head)
    response = client.post(
        f"/back-office/retention/{made.pk}/decide/", {"decision": "approve", "reason": "   "}
    )
    assert response.status_code == 400
    assert "form-group--error" in response.content.decode()
    response = client.post(
        f"/back-office/retention/{made.pk}/items/{item.pk}/exclude/", {"reason": ""}
    )
    assert response.status_code == 400
    made.refresh_from_db()
    assert made.status == "proposed" and not made.items.filter(excluded=True).exists()
    # Too long: the typed text comes back.
    typed = "Lý do " * 500
    response = client.post(
        f"/back-office/retention/{made.pk}/items/{item.pk}/exclude/", {"reason": typed}
    )
    assert response.status_code == 400
    assert "Lý do Lý do" in response.content.decode()


def test_excluding_then_approving_through_the_pages(
    mfa_client, head, ward_agency, procedure, django_capture_on_commit_callbacks
):
    made = make_list(ward_agency, procedure, 2)
    first = made.items.order_by("pk").first()
    client = mfa_client(head)
    response = client.post(
        f"/back-office/retention/{made.pk}/items/{first.pk}/exclude/",
        {"reason": "Đang giải quyết khiếu nại."},
    )
    assert response.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/back-office/retention/{made.pk}/decide/",
            {"decision": "approve", "reason": "Đã đối chiếu với danh mục."},
        )
    assert response.status_code == 302
    made.refresh_from_db()
    assert (made.status, made.items_excluded, made.items_done) == ("executed", 1, 1)
    history = client.get("/back-office/retention/").content.decode()
    assert 'data-testid="history"' in history and f'data-list="{made.pk}"' in history


def test_the_proposer_is_told_another_head_decides(mfa_client, head, ward_agency, procedure):
    closed_dossier(ward_agency, procedure, dt.date(2019, 1, 1), with_files=False)
    made = services.list_propose(agency=ward_agency, actor=head, today=TODAY)
    client = mfa_client(head)
    body = client.get(f"/back-office/retention/{made.pk}/").content.decode()
    assert 'data-testid="own-proposal"' in body and 'data-testid="approve"' not in body
    response = client.post(
        f"/api/v1/back-office/retention/lists/{made.pk}/approve/", {"reason": "Đồng ý"}
    )
    assert response.status_code == 403 and response.json()["code"] == "four_eyes"


def test_the_api_lists_details_excludes_and_rejects(mfa_client, head, ward_agency, procedure):
    made = make_list(ward_agency, procedure, 2)
    client = mfa_client(head)
    listed = client.get("/api/v1/back-office/retention/lists/", {"status": "proposed"}).json()
    assert [row["id"] for row in listed["results"]] == [made.pk]
    detail = client.get(f"/api/v1/back-office/retention/lists/{made.pk}/").json()
    item = detail["items"][0]
    assert set(item) >= {"dossier_code", "procedure", "closed_on", "destroy_data"}
    bad = client.post(
        f"/api/v1/back-office/retention/lists/{made.pk}/items/{item['id']}/exclude/",
        {"reason": ""},
    )
    assert bad.status_code == 400 and bad.json()["code"] == "reason_required"
    ok = client.post(
        f"/api/v1/back-office/retention/lists/{made.pk}/items/{item['id']}/exclude/",
        {"reason": "Tòa án yêu cầu lưu giữ."},
    )
    assert ok.status_code == 200 and ok.json()["items_excluded"] == 1
    rejected = client.post(
        f"/api/v1/back-office/retention/lists/{made.pk}/reject/", {"reason": "Chưa đối chiếu."}
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    again = client.post(
        f"/api/v1/back-office/retention/lists/{made.pk}/approve/", {"reason": "Đồng ý"}
    )
    assert again.status_code == 409 and again.json()["code"] == "list_decided"


@pytest.mark.parametrize(
    "url",
    [
        "/back-office/retention/",
        "/back-office/retention/{pk}/",
        "/api/v1/back-office/retention/lists/",
        "/api/v1/back-office/retention/lists/{pk}/",
    ],
)
def test_the_pages_cost_the_same_queries_however_many_items(
    mfa_client, head, ward_agency, procedure, url
):
    client = mfa_client(head)
    counts = []
    # From the second round on, the history has rows too (an empty page costs one query less).
    for size in (1, 2, 7):
        made = make_list(ward_agency, procedure, size)
        client.get(url.format(pk=made.pk))  # warm the session and the caches
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url.format(pk=made.pk)).status_code == 200
        counts.append(len(queries))
    assert counts[1] == counts[2]
