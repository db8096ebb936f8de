"""The demo ward and its accounts, created by ``manage.py seed_demo``.

Demo passwords and TOTP secrets are derived from the deployment's SECRET_KEY,
so every run of seed_demo prints the same credentials for one installation
and no two installations share them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.db import transaction

from citizens.models import AdministrativeUnit, Agency, Role, User
from citizens.services import staff_membership_grant

DEMO_PROVINCE = "01"  # Thành phố Hà Nội
DEMO_WARD_NAME = "Phường Long Biên"
NEIGHBOUR_WARD_NAME = "Phường Bồ Đề"


@dataclass(frozen=True)
class DemoAgency:
    code: str
    name: str
    name_en: str
    kind: str
    ward: str | None  # None: the province (a city department)


AGENCIES = [
    DemoAgency(
        "UBLB",
        "UBND phường Long Biên",
        "Long Biên Ward People's Committee",
        Agency.Kind.PEOPLES_COMMITTEE,
        DEMO_WARD_NAME,
    ),
    DemoAgency(
        "CALB",
        "Công an phường Long Biên",
        "Long Biên Ward Police",
        Agency.Kind.POLICE,
        DEMO_WARD_NAME,
    ),
    DemoAgency(
        "BHXHLB",
        "Bảo hiểm xã hội cơ sở Long Biên",
        "Long Biên Social Insurance Office",
        Agency.Kind.SOCIAL_INSURANCE,
        DEMO_WARD_NAME,
    ),
    DemoAgency(
        "UBBD",
        "UBND phường Bồ Đề",
        "Bồ Đề Ward People's Committee",
        Agency.Kind.PEOPLES_COMMITTEE,
        NEIGHBOUR_WARD_NAME,
    ),
    DemoAgency(
        "VPUB",
        "Văn phòng UBND thành phố Hà Nội",
        "Office of the Hà Nội People's Committee",
        Agency.Kind.DEPARTMENT,
        None,
    ),
    DemoAgency(
        "STP", "Sở Tư pháp Hà Nội", "Hà Nội Department of Justice", Agency.Kind.DEPARTMENT, None
    ),
    DemoAgency(
        "SKHCN",
        "Sở Khoa học và Công nghệ Hà Nội",
        "Hà Nội Department of Science and Technology",
        Agency.Kind.DEPARTMENT,
        None,
    ),
]


@dataclass(frozen=True)
class DemoAccount:
    email: str
    full_name: str
    agency: str | None
    role: str | None
    superuser: bool = False

    @property
    def password(self) -> str:
        return demo_secret("password", self.email)[:12] + "-Hn1"

    @property
    def totp_secret(self) -> str | None:
        if self.role is None and not self.superuser:
            return None
        digest = hmac.new(
            settings.SECRET_KEY.encode(), f"totp:{self.email}".encode(), hashlib.sha256
        )
        return base64.b32encode(digest.digest()[:20]).decode()


ACCOUNTS = [
    DemoAccount("motcua@longbien.demo", "Nguyễn Thị Hoa", "UBLB", Role.CLERK),
    DemoAccount("tuphap@longbien.demo", "Trần Văn Minh", "UBLB", Role.OFFICER),
    DemoAccount("chutich@longbien.demo", "Lê Quang Hưng", "UBLB", Role.HEAD),
    DemoAccount("cutru@longbien.demo", "Phạm Đức Anh", "CALB", Role.OFFICER),
    DemoAccount("bhxh@longbien.demo", "Hoàng Thu Trang", "BHXHLB", Role.OFFICER),
    DemoAccount("danhmuc@hanoi.demo", "Vũ Thị Lan", "VPUB", Role.CATALOG_ADMIN),
    DemoAccount("thongke@hanoi.demo", "Đặng Văn Nam", "VPUB", Role.STATISTICIAN),
    DemoAccount("daotao@hanoi.demo", "Bùi Thị Mai", "SKHCN", Role.TRAINING_COORDINATOR),
    DemoAccount("congdan@example.vn", "Nguyễn Văn An", None, None),
    DemoAccount("quantri@hanoi.demo", "Quản trị hệ thống", None, None, superuser=True),
]


def demo_secret(purpose: str, email: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"{purpose}:{email}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")


def _ward(name: str) -> AdministrativeUnit:
    return AdministrativeUnit.objects.get(
        era=AdministrativeUnit.Era.CURRENT,
        level=AdministrativeUnit.Level.COMMUNE,
        parent__code=DEMO_PROVINCE,
        name=name,
    )


@transaction.atomic
def seed_agencies() -> dict[str, Agency]:
    province = AdministrativeUnit.objects.get(
        era=AdministrativeUnit.Era.CURRENT,
        level=AdministrativeUnit.Level.PROVINCE,
        code=DEMO_PROVINCE,
    )
    agencies = {}
    for spec in AGENCIES:
        unit = _ward(spec.ward) if spec.ward else province
        agency, _ = Agency.objects.update_or_create(
            code=spec.code,
            defaults={"name": spec.name, "name_en": spec.name_en, "kind": spec.kind, "unit": unit},
        )
        agencies[spec.code] = agency
    return agencies


@transaction.atomic
def seed_account(spec: DemoAccount, agencies: dict[str, Agency]) -> User:
    user = User.objects.filter(email=spec.email).first()
    if user is None:
        user = User(email=spec.email)
    user.full_name = spec.full_name
    user.is_staff = user.is_superuser = spec.superuser
    user.set_password(spec.password)
    user.save()
    EmailAddress.objects.update_or_create(
        user=user, email=spec.email, defaults={"verified": True, "primary": True}
    )
    if spec.role and spec.agency:
        staff_membership_grant(user=user, agency=agencies[spec.agency], role=spec.role)
    if spec.totp_secret:
        Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).delete()
        TOTP.activate(user, spec.totp_secret)
    return user
