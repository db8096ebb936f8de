"""Population imports on the failures page: ``manage.py import_population``
records each run (not a dry run) in ``PopulationImport``; a failed run, a run
with rejected rows and one running too long are listed to administrators only."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from citizens.models import PopulationImport, Role
from operations import failures, metrics
from operations.models import FailureResolution
from tests.conftest import enrol_totp
from tests.factories import AgencyFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/back-office/failures/"
API_URL = "/api/v1/operations/failures/"
HEADER = "id_number,full_name,birth_date,sex\n"
GOOD = "079201000107,Phạm Quốc Bảo,2001-11-11,M\n101195000108,Đỗ Thu Trang,1995-08-08,F\n"
BAD = "00108000010,Sai Độ Dài,1980-01-01,M\n"  # the ID number is too short
S = PopulationImport.Status


def signed_in(user, *, language: str = "vi") -> Client:
    enrol_totp(user)
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


@pytest.fixture
def admin(db):
    return UserFactory(full_name="Quản trị", is_superuser=True, is_staff=True)


@pytest.fixture
def head(db):
    return MembershipFactory(agency=AgencyFactory(code="UBLB"), role=Role.HEAD).user


def csv_file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / "incoming" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def import_keys(user, **kwargs) -> dict[str, failures.FailureRow]:
    return {row.key: row for row in failures.failure_list(user, kind="import", **kwargs)}


# --- What the command records -----------------------------------------------------------


def test_a_run_is_recorded_done_with_its_counts(admin, tmp_path, capsys):
    path = csv_file(tmp_path, "people.csv", HEADER + GOOD)

    call_command("import_population", str(path), "--today", "2026-06-01")

    assert "All rows loaded." in capsys.readouterr().out  # the output is unchanged
    run = PopulationImport.objects.get()
    assert run.status == S.DONE and run.finished_at is not None
    assert (run.rows_read, run.inserted, run.updated, run.unchanged, run.rejected) == (
        2,
        2,
        0,
        0,
        0,
    )
    assert run.file_name == "people.csv"  # never the folders
    assert (run.rejects_file, run.error) == ("", "")
    assert run.pid == os.getpid() and run.host
    # Nothing to do about it: not on the failures page.
    assert import_keys(admin) == {}

    call_command("import_population", str(path), "--today", "2026-06-01")
    again = PopulationImport.objects.order_by("-pk").first()
    assert (again.status, again.inserted, again.unchanged) == (S.DONE, 0, 2)


def test_the_account_given_with_actor_is_recorded(admin, tmp_path):
    path = csv_file(tmp_path, "people.csv", HEADER + GOOD)
    call_command("import_population", str(path), "--actor", admin.email.upper())
    assert PopulationImport.objects.get().actor == admin


def test_rejected_rows_are_listed_to_an_administrator_not_to_an_agency_head(admin, head, tmp_path):
    path = csv_file(tmp_path, "bad.csv", HEADER + GOOD + BAD)

    call_command("import_population", str(path), "--today", "2026-06-01")

    run = PopulationImport.objects.get()
    assert (run.status, run.inserted, run.rejected) == (S.DONE, 2, 1)
    assert run.rejects_file == "bad.csv.rejects.csv"
    with translation.override("en"):
        rows = import_keys(admin)
    row = rows[f"import:{run.pk}"]
    assert row.error == "1 row rejected, see bad.csv.rejects.csv."
    assert (row.state, row.dossier_code, row.details["file"]) == ("failed", "", "bad.csv")
    assert row.can_retry is False

    page = signed_in(admin).get(LIST_URL).content.decode()
    assert f'data-key="import:{run.pk}"' in page
    assert "bad.csv" in page and "1 dòng bị từ chối, xem tệp bad.csv.rejects.csv." in page

    # An import is no agency's: a head sees nothing of it.
    assert import_keys(head) == {}
    head_client = signed_in(head)
    assert f"import:{run.pk}" not in head_client.get(LIST_URL).content.decode()
    assert head_client.get(f"{LIST_URL}import/{run.pk}/").status_code == 404
    assert head_client.get(f"{API_URL}import/{run.pk}/").status_code == 404
    listed = head_client.get(API_URL, {"kind": "import"}).json()
    assert listed["count"] == 0


def test_a_missing_file_records_a_failed_run_shown_in_plain_words(admin, tmp_path):
    missing = tmp_path / "incoming" / "nothere.csv"

    with pytest.raises(CommandError, match="No such file"):
        call_command("import_population", str(missing))

    run = PopulationImport.objects.get()
    assert run.status == S.FAILED and run.finished_at is not None
    assert run.file_name == "nothere.csv"
    assert run.error == "FileNotFoundError: No such file: nothere.csv"
    assert str(tmp_path) not in run.error
    client = signed_in(admin)
    detail = client.get(f"{LIST_URL}import/{run.pk}/").content.decode()
    assert "Không tìm thấy tệp trên máy chủ" in detail
    assert "manage.py import_population nothere.csv" in detail
    assert 'id="retry"' not in detail
    api = signed_in(admin, language="en").get(f"{API_URL}import/{run.pk}/").json()
    assert api["error"] == "The file was not found on the server: check its name and folder."
    assert api["state"] == "failed" and api["dossier_id"] is None
    assert api["raw_error"] == run.error


def test_a_wrong_header_records_a_failed_run_shown_in_plain_words(admin, tmp_path):
    path = csv_file(tmp_path, "header.csv", "id_number,full_name,sex\n001080000101,An,M\n")

    with pytest.raises(CommandError, match="birth_date"):
        call_command("import_population", str(path))

    run = PopulationImport.objects.get()
    assert run.status == S.FAILED
    assert run.error == "ImportFileError: Required column(s) missing: birth_date."
    page = signed_in(admin).get(LIST_URL).content.decode()
    assert f'data-key="import:{run.pk}"' in page
    assert "Dòng tiêu đề của tệp không đúng mẫu" in page


def test_a_file_without_header_row_records_no_personal_data(tmp_path):
    # The first person's values are taken for column names: they are not recorded.
    path = csv_file(tmp_path, "noheader.csv", "001080000101,Trần Văn Hùng,1980-04-12,M\n")

    with pytest.raises(CommandError, match="Unknown column"):
        call_command("import_population", str(path))

    error = PopulationImport.objects.get().error
    assert error.startswith("ImportFileError: Unknown column(s)")
    assert "Unknown column(s) 4 not shown" in error
    assert "001080000101" not in error and "Hùng" not in error and "1980" not in error


def test_an_unexpected_error_is_recorded_by_its_class_only(tmp_path, monkeypatch):
    from citizens.management.commands import import_population

    def boom(**kwargs):
        raise RuntimeError('duplicate key: Key (id_number)=(001080000101) "Trần Văn Hùng"')

    monkeypatch.setattr(import_population, "population_import", boom)
    path = csv_file(tmp_path, "people.csv", HEADER + GOOD)

    with pytest.raises(RuntimeError, match="duplicate key"):  # raised as it was
        call_command("import_population", str(path))

    run = PopulationImport.objects.get()
    assert run.status == S.FAILED
    assert run.error.startswith("RuntimeError: the import stopped")
    assert "001080000101" not in run.error and "Hùng" not in run.error


def test_an_unknown_actor_records_a_failed_run_without_the_email(tmp_path):
    path = csv_file(tmp_path, "people.csv", HEADER + GOOD)

    with pytest.raises(CommandError, match="No account with the email nobody@example.vn"):
        call_command("import_population", str(path), "--actor", "nobody@example.vn")

    run = PopulationImport.objects.get()
    assert run.status == S.FAILED
    assert run.error == "CommandError: No account with the email given with --actor."


def test_a_dry_run_records_nothing(tmp_path):
    path = csv_file(tmp_path, "bad.csv", HEADER + GOOD + BAD)
    call_command("import_population", str(path), "--dry-run")
    with pytest.raises(CommandError):
        call_command("import_population", str(tmp_path / "nothere.csv"), "--dry-run")
    assert not PopulationImport.objects.exists()


# --- A run that never ended --------------------------------------------------------------


def test_a_run_still_running_after_the_limit_is_late(admin, settings):
    settings.EGOV_IMPORT_LATE_HOURS = 6
    now = timezone.now()
    old = PopulationImport.objects.create(
        file_name="city.csv", started_at=now - dt.timedelta(hours=7), host="db1", pid=4242
    )
    fresh = PopulationImport.objects.create(
        file_name="ward.csv", started_at=now - dt.timedelta(hours=1)
    )

    with translation.override("en"):
        rows = import_keys(admin)

    assert set(rows) == {f"import:{old.pk}"}
    row = rows[f"import:{old.pk}"]
    assert row.state == "late"
    assert "Still running after 7 hours" in row.error and "4242 on db1" in row.error
    assert f"import:{fresh.pk}" not in rows
    settings.EGOV_IMPORT_LATE_HOURS = 8
    assert import_keys(admin) == {}


# --- Actions ---------------------------------------------------------------------------------


@pytest.fixture
def rejected_run(tmp_path):
    path = csv_file(tmp_path, "bad.csv", HEADER + GOOD + BAD)
    call_command("import_population", str(path), "--today", "2026-06-01")
    return PopulationImport.objects.get()


def test_retry_is_refused_with_not_retryable(admin, head, rejected_run):
    url = f"{API_URL}import/{rejected_run.pk}/retry/"
    response = signed_in(admin, language="en").post(url)
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "not_retryable"
    hint = "re-run the import on the server: manage.py import_population bad.csv"
    assert hint in body["message"]
    # A head may not see it: 404, as for any row one may not see.
    assert signed_in(head).post(url).status_code == 404
    assert signed_in(admin).post(f"{API_URL}import/999999/retry/").status_code == 404
    # The page says the same (and stays on the row).
    page = signed_in(admin).post(f"{LIST_URL}import/{rejected_run.pk}/retry/", follow=True)
    assert "chạy lại lệnh nhập trên máy chủ" in page.content.decode()


def test_mark_handled_through_the_api_moves_it_to_the_handled_view(admin, head, rejected_run):
    client = signed_in(admin)
    key = f"import:{rejected_run.pk}"
    url = f"{API_URL}import/{rejected_run.pk}/handle/"
    assert signed_in(head).post(url, {"reason": "x"}).status_code == 404
    assert client.post(url, {"reason": " "}).json()["code"] == "reason_required"

    done = client.post(url, {"reason": "Đã sửa tệp và nhập lại các dòng bị từ chối."})

    assert done.status_code == 201, done.content
    resolution = FailureResolution.objects.get()
    assert (resolution.kind, resolution.object_key) == ("import", str(rejected_run.pk))
    assert key not in import_keys(admin)
    assert key in import_keys(admin, handled=True)
    listed = client.get(API_URL, {"status": "handled", "kind": "import"}).json()
    assert [r["key"] for r in listed["results"]] == [key]
    assert client.post(url, {"reason": "again"}).json()["code"] == "already_handled"


def test_mark_handled_on_the_page_moves_it_to_the_handled_view(admin, rejected_run):
    client = signed_in(admin)
    key = f"import:{rejected_run.pk}"
    response = client.post(
        f"{LIST_URL}import/{rejected_run.pk}/handle/", {"reason": "Đã kiểm tra"}, follow=True
    )
    assert response.status_code == 200
    assert f'data-key="{key}"' not in response.content.decode()
    handled = client.get(LIST_URL, {"status": "handled"}).content.decode()
    assert f'data-key="{key}"' in handled and "Đã kiểm tra" in handled


# --- Counts and queries ---------------------------------------------------------------------


def test_imports_are_counted_in_the_metrics_and_the_header(admin, rejected_run):
    PopulationImport.objects.create(file_name="x.csv", status=S.FAILED, error="ImportFileError: x")
    assert metrics.snapshot()["failures"]["import"] == {"failing": 2, "open": 2, "handled": 0}
    assert failures.cached_open_count(admin) == 2


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_page_and_api_cost_the_same_queries_with_more_imports(admin, rejected_run):
    client = signed_in(admin)
    urls = [LIST_URL, API_URL, f"{LIST_URL}?kind=import", f"{API_URL}?status=handled"]
    before = [_queries(client, url) for url in urls]
    now = timezone.now()
    for n in range(5):
        PopulationImport.objects.create(
            file_name=f"f{n}.csv", status=S.FAILED, error="ImportFileError: The file is empty."
        )
        PopulationImport.objects.create(
            file_name=f"r{n}.csv", status=S.DONE, rejected=3, rejects_file=f"r{n}.rejects.csv"
        )
        PopulationImport.objects.create(
            file_name=f"k{n}.csv", started_at=now - dt.timedelta(days=1), actor=admin
        )
        PopulationImport.objects.create(file_name=f"ok{n}.csv", status=S.DONE)
    assert len(import_keys(admin)) == 16
    assert [_queries(client, url) for url in urls] == before


def test_a_misspelt_column_is_named_in_the_error(admin, tmp_path):
    path = csv_file(tmp_path, "typo.csv", "id_number,full_name,birthdate,sex\n")
    with pytest.raises(CommandError, match="Unknown column"):
        call_command("import_population", str(path))
    error = PopulationImport.objects.get().error
    assert error.startswith("ImportFileError: Unknown column(s) birthdate.")
    with translation.override("en"):
        row = import_keys(admin)[f"import:{PopulationImport.objects.get().pk}"]
    assert row.error.startswith("The file's header row is not the expected one")


@pytest.mark.django_db(transaction=True)
def test_the_running_row_is_committed_before_the_import_starts(tmp_path, monkeypatch):
    # As a killed import would leave it: another connection sees it running meanwhile.
    from django.db import connections

    from citizens.management.commands import import_population

    seen = []

    def interrupted(**kwargs):
        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                cursor.execute("SELECT file_name, status FROM citizens_populationimport")
                seen.extend(cursor.fetchall())
        finally:
            other.close()
        raise KeyboardInterrupt

    monkeypatch.setattr(import_population, "population_import", interrupted)
    path = csv_file(tmp_path, "people.csv", HEADER + GOOD)

    with pytest.raises(KeyboardInterrupt):
        call_command("import_population", str(path))

    assert seen == [("people.csv", "running")]
    run = PopulationImport.objects.get()
    assert run.status == S.FAILED
    assert run.error.startswith("KeyboardInterrupt: the import was stopped")
    with translation.override("en"):
        assert failures.failure_list(UserFactory(is_superuser=True), kind="import")[0].error == (
            "The import was stopped before it finished; nothing was loaded."
        )
