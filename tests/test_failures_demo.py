"""The demo's failures: a step out of disk the sweep gave up on, an SMS the
gateway refused, two population imports; each on the failures page for an
administrator, Retry and Resend work, and a second run changes nothing."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from citizens.models import PopulationImport
from onecounter.models import DossierEvent, Notification
from operations import demo
from tests.conftest import enrol_totp
from tests.factories import AgencyFactory, DossierFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ward_dossier(db):
    dossier = DossierFactory(agency=AgencyFactory(code=demo.AGENCY), code="UBLB-261201-0001")
    event = DossierEvent.objects.create(
        dossier=dossier, seq=1, action="receive", to_status="received"
    )
    DossierEvent.objects.filter(pk=event.pk).update(processed_at=event.at)
    Notification.objects.create(
        dossier=dossier,
        event=event,
        email="an@example.vn",
        subject="Hồ sơ đã được tiếp nhận",
        body="…",
        email_sent_at=event.at,
    )
    return dossier


def test_the_demo_failures_show_on_the_page_and_a_second_run_adds_nothing(ward_dossier, client):
    call_command("seed_failures")

    admin = UserFactory(is_superuser=True, is_staff=True)
    enrol_totp(admin)
    client.force_login(admin)
    page = client.get(reverse("failures:list"))
    assert page.status_code == 200
    kinds = {row.kind for row in page.context["rows"]}
    assert kinds == {"event", "notice", "import"}
    text = page.content.decode()
    assert demo.BAD_FILE in text and ward_dossier.code in text
    # In Vietnamese, in plain words: the SMS refused, the disk full; the file's column in detail
    assert "email: đã gửi · SMS: không gửi được" in text
    assert "Không lưu được tệp" in text
    bad = next(r for r in page.context["rows"] if r.details.get("file") == demo.BAD_FILE)
    technical = client.get(reverse("failures:detail", args=["import", bad.object_id]))
    assert "Required column(s) missing: birth_date." in technical.content.decode()

    notice = next(row for row in page.context["rows"] if row.kind == "notice")
    detail = client.get(reverse("failures:detail", args=["notice", notice.object_id]))
    assert detail.status_code == 200
    assert "Tiêu đề" in detail.content.decode()  # the details named in Vietnamese

    counts = (PopulationImport.objects.count(), len(page.context["rows"]))
    call_command("seed_failures")
    again = client.get(reverse("failures:list"))
    assert (PopulationImport.objects.count(), len(again.context["rows"])) == counts
