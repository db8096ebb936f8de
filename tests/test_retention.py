"""Retention: destruction lists of the dossiers past retention, four eyes,
carried out only when approved, the dossier kept as a stub (PostgreSQL)."""

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from citizens.models import Role
from egov.errors import ConflictError, PermissionDeniedError, ValidationFailed
from onecounter.models import (
    Attachment,
    DestructionList,
    DestructionListItem,
    Dossier,
    DossierDocument,
    WalletDocument,
)
from onecounter.retention import selectors, services, tasks
from stats import facts
from stats.models import DossierFact
from tests.conftest import enrol_totp
from tests.factories import (
    DossierFactory,
    MembershipFactory,
    ProcedureFactory,
    UserFactory,
)

TODAY = dt.date(2026, 3, 4)


def at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10, 0)))


@pytest.fixture
def head(ward_agency):
    user = MembershipFactory(
        agency=ward_agency, role=Role.HEAD, user__full_name="Lê Văn Trưởng"
    ).user
    enrol_totp(user)
    return user


@pytest.fixture
def second_head(ward_agency):
    return MembershipFactory(agency=ward_agency, role=Role.HEAD).user


@pytest.fixture
def procedure(db):
    return ProcedureFactory(retention_dossier_years=5, retention_result_years=None)


def closed_dossier(agency, procedure, closed: dt.date, *, status="returned", with_files=True):
    dossier = DossierFactory(
        agency=agency,
        procedure=procedure,
        status=status,
        code=f"{agency.code}-{closed:%y%m%d}-{Dossier.objects.count() + 1:04d}",
        applicant_name="Nguyễn Văn An",
        applicant_id_number="001090000001",
        applicant_email="an@example.vn",
        applicant_address="Số 5 phố Kim Mã",
        data={"child_name": "Nguyễn Văn Bé"},
        submitted_at=at(closed - dt.timedelta(days=10)),
        received_at=at(closed - dt.timedelta(days=9)),
        decided_at=at(closed - dt.timedelta(days=2)),
        result_ready_at=at(closed - dt.timedelta(days=1)),
        finished_at=at(closed),
    )
    if with_files:
        attachment = Attachment(dossier=dossier, label="Tờ khai", uploaded_by=dossier.applicant)
        attachment.file.save("to-khai.pdf", ContentFile(b"%PDF-1.4 declaration"), save=True)
        slip = DossierDocument(dossier=dossier, kind="receipt", key="e1", title="Phiếu hẹn")
        slip.file.save("phieu.pdf", ContentFile(b"%PDF-1.4 slip"), save=True)
        result = DossierDocument(dossier=dossier, kind="result", key="decision", title="Kết quả")
        result.file.save("ket-qua.pdf", ContentFile(b"%PDF-1.4 result"), save=True)
        WalletDocument.objects.create(
            owner=dossier.applicant,
            kind="decision",
            title="Kết quả",
            source="issued",
            document=result,
            dossier=dossier,
        )
    return dossier


def approve(head_user, destruction_list, callbacks):
    with callbacks(execute=True):
        return services.list_approve(
            actor=head_user, destruction_list=destruction_list, reason="Đã đối chiếu thời hạn."
        )


# --- Retention ------------------------------------------------------------------------------


def test_retention_counts_whole_years_from_the_closing_and_permanent_is_never_proposed(
    ward_agency, procedure
):
    """Given dossiers closed 5 years ago to the day, the day after, and one
    of a procedure kept permanently, when the job looks, then only the first is due."""
    due = closed_dossier(ward_agency, procedure, dt.date(2021, 3, 4), with_files=False)
    closed_dossier(ward_agency, procedure, dt.date(2021, 3, 5), with_files=False)
    forever = ProcedureFactory(retention_dossier_years=None, retention_result_years=0)
    closed_dossier(ward_agency, forever, dt.date(2001, 1, 1))
    rows = selectors.due_dossiers(ward_agency, today=TODAY)
    assert [(r.dossier.pk, r.destroy_data, r.destroy_results) for r in rows] == [
        (due.pk, True, False)
    ]


def test_an_open_or_undelivered_dossier_is_not_closed_and_never_proposed(ward_agency, procedure):
    closed_dossier(ward_agency, procedure, dt.date(2010, 1, 1), status="result_ready")
    closed_dossier(ward_agency, procedure, dt.date(2010, 1, 1), status="in_processing")
    assert selectors.due_dossiers(ward_agency, today=TODAY) == []


def test_results_past_their_own_retention_are_proposed_with_what_goes(ward_agency):
    procedure = ProcedureFactory(retention_dossier_years=10, retention_result_years=3)
    closed_dossier(ward_agency, procedure, dt.date(2020, 1, 1))
    [row] = selectors.due_dossiers(ward_agency, today=TODAY)
    assert (row.destroy_data, row.destroy_results) == (False, True)


def test_propose_makes_one_list_per_agency_and_running_again_changes_nothing(
    ward_agency, other_ward_agency, procedure
):
    closed_dossier(ward_agency, procedure, dt.date(2019, 6, 1), with_files=False)
    closed_dossier(ward_agency, procedure, dt.date(2019, 7, 1), with_files=False)
    closed_dossier(other_ward_agency, procedure, dt.date(2019, 6, 1), with_files=False)
    first = services.propose_lists(today=TODAY)
    assert sorted((dl.agency.code, dl.items_total) for dl in first) == [("UBBD", 1), ("UBLB", 2)]
    assert all(dl.proposed_by is None for dl in first)
    # Again (the same day, or a new dossier meanwhile): nothing new while a list awaits.
    closed_dossier(ward_agency, procedure, dt.date(2019, 8, 1), with_files=False)
    assert services.propose_lists(today=TODAY) == []
    assert DestructionList.objects.count() == 2
    assert DestructionListItem.objects.count() == 3


def test_a_dossier_is_on_at_most_one_open_list(ward_agency, procedure):
    dossier = closed_dossier(ward_agency, procedure, dt.date(2019, 6, 1), with_files=False)
    services.propose_lists(today=TODAY)
    other = DestructionList.objects.create(
        agency=ward_agency,
        status="approved",
        decided_by=UserFactory(),
        decided_at=timezone.now(),
        decision_reason="x",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        DestructionListItem.objects.create(
            destruction_list=other,
            dossier=dossier,
            closed_on=TODAY,
            destroy_data=True,
            destroy_results=False,
        )


# --- Review: who and four eyes ---------------------------------------------------------------


@pytest.fixture
def proposed(ward_agency, procedure):
    closed_dossier(ward_agency, procedure, dt.date(2019, 6, 1))
    closed_dossier(ward_agency, procedure, dt.date(2019, 7, 1))
    [made] = services.propose_lists(today=TODAY)
    return made


def test_the_head_who_proposed_a_list_cannot_approve_it(ward_agency, procedure, head, second_head):
    closed_dossier(ward_agency, procedure, dt.date(2019, 6, 1), with_files=False)
    made = services.list_propose(agency=ward_agency, actor=head, today=TODAY)
    with pytest.raises(PermissionDeniedError) as refused:
        services.list_approve(actor=head, destruction_list=made, reason="Đồng ý")
    assert refused.value.code == "four_eyes"
    made.refresh_from_db()
    assert made.status == "proposed" and made.decided_by is None
    # The database refuses it too.
    with pytest.raises(IntegrityError), transaction.atomic():
        DestructionList.objects.filter(pk=made.pk).update(
            status="approved", decided_by=head, decided_at=timezone.now(), decision_reason="x"
        )
    services.list_approve(actor=second_head, destruction_list=made, reason="Đồng ý")


def test_a_clerk_a_citizen_a_superuser_and_another_agencys_head_are_refused(
    proposed, clerk, citizen, other_ward_agency
):
    other_head = MembershipFactory(agency=other_ward_agency, role=Role.HEAD).user
    superuser = UserFactory(is_superuser=True, is_staff=True)
    for who in (clerk, citizen, superuser, other_head):
        with pytest.raises(PermissionDeniedError):
            services.list_approve(actor=who, destruction_list=proposed, reason="Đồng ý")
    proposed.refresh_from_db()
    assert proposed.status == "proposed"


def test_an_empty_reason_is_refused_with_a_clear_error_and_writes_nothing(proposed, head):
    item = proposed.items.first()
    for step in (
        lambda: services.list_approve(actor=head, destruction_list=proposed, reason="  "),
        lambda: services.list_reject(actor=head, destruction_list=proposed, reason=""),
        lambda: services.item_exclude(actor=head, item=item, reason=""),
    ):
        with pytest.raises(ValidationFailed) as refused:
            step()
        assert refused.value.code == "reason_required"
        assert "reason" in refused.value.data
    proposed.refresh_from_db()
    item.refresh_from_db()
    assert (proposed.status, proposed.decided_by, item.excluded) == ("proposed", None, False)


# --- Carrying out ----------------------------------------------------------------------------


def test_nothing_is_destroyed_unless_the_list_is_approved(proposed, head):
    item = proposed.items.first()
    with pytest.raises(ConflictError) as refused:
        services.item_execute(item=item)
    assert refused.value.code == "list_not_approved"
    with pytest.raises(ConflictError):
        services.list_execute(destruction_list=proposed)
    services.list_reject(actor=head, destruction_list=proposed, reason="Còn khiếu nại.")
    with pytest.raises(ConflictError):
        services.item_execute(item=item)
    assert tasks.execute_list(proposed.pk) == 0
    dossier = Dossier.objects.get(pk=item.dossier_id)
    assert dossier.purged_at is None and dossier.applicant_name == "Nguyễn Văn An"
    assert Attachment.objects.filter(dossier=dossier).exists()


def test_execution_removes_files_and_personal_data_but_keeps_the_stub_and_the_statistics(
    proposed, head, django_capture_on_commit_callbacks
):
    excluded, item = list(proposed.items.order_by("closed_on"))
    services.item_exclude(actor=head, item=excluded, reason="Đang thanh tra.")
    dossier = Dossier.objects.get(pk=item.dossier_id)
    kept = Dossier.objects.get(pk=excluded.dossier_id)
    facts.refresh([dossier.pk, kept.pk])
    fact_before = DossierFact.objects.filter(pk=dossier.pk).values().get()
    names = [a.file.name for a in dossier.attachments.all()] + [
        d.file.name for d in dossier.documents.exclude(kind="result")
    ]
    result_name = dossier.documents.get(kind="result").file.name
    assert all(default_storage.exists(n) for n in names)

    approve(head, proposed, django_capture_on_commit_callbacks)

    proposed.refresh_from_db()
    assert proposed.status == "executed" and proposed.executed_at is not None
    assert (proposed.items_total, proposed.items_excluded, proposed.items_done) == (2, 1, 1)
    dossier.refresh_from_db()
    assert dossier.purged_at is not None and dossier.results_purged_at is None
    assert dossier.applicant_name == f"(đã hủy theo danh sách số {proposed.pk})"
    assert (dossier.applicant_id, dossier.applicant_id_number, dossier.applicant_email) == (
        None,
        "",
        "",
    )
    assert dossier.data == {} and dossier.applicant_address == ""
    # The stub: code, procedure, agency, dates, outcome.
    assert dossier.code and dossier.status == "returned" and dossier.finished_at is not None
    assert not Attachment.objects.filter(dossier=dossier).exists()
    assert not any(default_storage.exists(n) for n in names)
    # The results are kept permanently (the procedure's results: permanent).
    assert default_storage.exists(result_name)
    assert WalletDocument.objects.filter(dossier=dossier).count() == 1
    # The statistics' fact is untouched.
    assert DossierFact.objects.filter(pk=dossier.pk).values().get() == fact_before
    # The excluded dossier is untouched.
    kept.refresh_from_db()
    assert kept.purged_at is None and kept.attachments.count() == 1
    # Lists and items are kept.
    assert DestructionListItem.objects.filter(destruction_list=proposed).count() == 2


def test_destroying_results_removes_the_pdfs_and_the_wallet_copies(
    ward_agency, head, django_capture_on_commit_callbacks
):
    procedure = ProcedureFactory(retention_dossier_years=None, retention_result_years=2)
    dossier = closed_dossier(ward_agency, procedure, dt.date(2020, 1, 1))
    result = dossier.documents.get(kind="result")
    name = result.file.name
    [made] = services.propose_lists(today=TODAY)
    approve(head, made, django_capture_on_commit_callbacks)
    result.refresh_from_db()
    dossier.refresh_from_db()
    assert result.file.name == "" and not default_storage.exists(name)
    assert not WalletDocument.objects.filter(document=result).exists()
    assert dossier.results_purged_at is not None and dossier.purged_at is None
    assert dossier.applicant_name == "Nguyễn Văn An"  # the dossier's data is kept


def test_carrying_out_twice_or_after_a_crash_is_harmless(
    proposed, head, django_capture_on_commit_callbacks
):
    item = proposed.items.first()
    # A crash after the item's commit, before its files went: the next run deletes them.
    services.list_approve(actor=head, destruction_list=proposed, reason="Đồng ý")
    with django_capture_on_commit_callbacks(execute=False):
        assert services.item_execute(item=item) is True
    item.refresh_from_db()
    assert item.done_at and item.files and item.files_removed_at is None
    assert all(default_storage.exists(n) for n in item.files)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.execute_list(proposed.pk) == 2
        assert tasks.execute_list(proposed.pk) == 2
    item.refresh_from_db()
    assert item.files_removed_at and not any(default_storage.exists(n) for n in item.files)
    proposed.refresh_from_db()
    assert proposed.status == "executed"
    # A purged dossier is not proposed again.
    assert services.propose_lists(today=TODAY) == []


def test_an_excluded_dossier_is_proposed_again_a_year_later(
    proposed, head, django_capture_on_commit_callbacks
):
    for item in proposed.items.all():
        services.item_exclude(actor=head, item=item, reason="Lưu giữ theo yêu cầu của tòa án.")
    approve(head, proposed, django_capture_on_commit_callbacks)
    proposed.refresh_from_db()
    assert proposed.status == "executed" and proposed.items_done == 0
    assert services.propose_lists(today=TODAY) == []
    DestructionListItem.objects.update(excluded_at=timezone.now() - dt.timedelta(days=400))
    [again] = services.propose_lists(today=TODAY)
    assert again.items_total == 2


def test_a_decided_list_cannot_change(proposed, head):
    services.list_reject(actor=head, destruction_list=proposed, reason="Chưa đối chiếu.")
    for step in (
        lambda: services.list_approve(actor=head, destruction_list=proposed, reason="x"),
        lambda: services.item_exclude(actor=head, item=proposed.items.first(), reason="x"),
    ):
        with pytest.raises(ConflictError) as refused:
            step()
        assert refused.value.code == "list_decided"


def test_the_beat_runs_the_daily_proposal():
    from egov.celery import app

    entry = app.conf.beat_schedule["onecounter-retention-propose-lists"]
    assert entry["task"] == "onecounter.retention.propose_destruction_lists"
    app.loader.import_default_modules()
    assert entry["task"] in app.tasks
    assert "onecounter.retention.execute_list" in app.tasks
