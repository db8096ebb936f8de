import pyotp
import pytest
from django.core.management import call_command

from citizens import demo
from citizens.models import Agency, Role, StaffMembership, User

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_one_account_per_role_and_is_idempotent(capsys):
    call_command("seed_demo")
    first = capsys.readouterr().out
    call_command("seed_demo")
    second = capsys.readouterr().out

    assert {m.role for m in StaffMembership.objects.all()} == set(Role.values)
    assert User.objects.count() == len(demo.ACCOUNTS)
    assert Agency.objects.get(code="UBLB").unit.name == "Phường Long Biên"
    for spec in demo.ACCOUNTS:
        assert spec.email in second and spec.password in second
        user = User.objects.get(email=spec.email)
        assert user.check_password(spec.password)
    # The same credentials on every run: a script can rely on them.
    assert first.split("Demo accounts", 1)[1] == second.split("Demo accounts", 1)[1]


def test_seed_demo_loads_the_catalog_and_calendar_and_staffs_every_offering_agency():
    from procedures.models import Procedure
    from workdays.models import CalendarDay

    call_command("seed_demo", persons=0)
    published = Procedure.objects.filter(is_published=True)
    assert published.count() >= 14
    assert CalendarDay.objects.filter(date__year=2026).exists()
    offering = Agency.objects.filter(procedures__in=published).distinct()
    for agency in offering:
        roles = set(StaffMembership.objects.filter(agency=agency).values_list("role", flat=True))
        assert {Role.CLERK, Role.OFFICER, Role.HEAD} <= roles, agency.code


def test_seeded_staff_can_sign_in_with_the_printed_totp_secret(client):
    call_command("seed_demo")
    clerk = next(a for a in demo.ACCOUNTS if a.role == Role.CLERK)
    client.post("/accounts/login/", {"login": clerk.email, "password": clerk.password})
    response = client.post(
        "/accounts/2fa/authenticate/", {"code": pyotp.TOTP(clerk.totp_secret).now()}
    )
    assert response.status_code == 302
    assert client.get("/back-office/agencies/UBLB/").status_code == 200
