"""The demo ward and its accounts, created by ``manage.py seed_demo``.

Demo passwords and TOTP secrets are derived from the deployment's SECRET_KEY,
so every run of seed_demo prints the same credentials for one installation
and no two installations share them.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.db import transaction

from citizens.generator import population_generate
from citizens.importer import COLUMNS, ImportResult, population_import
from citizens.models import AdministrativeUnit, Agency, IdentityLink, Person, Role, User
from citizens.population import identity_link_self
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
    DemoAccount("motcua@bode.demo", "Chu Thị Vân", "UBBD", Role.CLERK),
    DemoAccount("tuphap@bode.demo", "La Văn Tùng", "UBBD", Role.OFFICER),
    DemoAccount("chutich@bode.demo", "Đinh Quốc Việt", "UBBD", Role.HEAD),
    DemoAccount("motcua.ca@longbien.demo", "Đỗ Minh Tuấn", "CALB", Role.CLERK),
    DemoAccount("cutru@longbien.demo", "Phạm Đức Anh", "CALB", Role.OFFICER),
    DemoAccount("truongca@longbien.demo", "Ngô Văn Thắng", "CALB", Role.HEAD),
    DemoAccount("motcua.bhxh@longbien.demo", "Dương Thị Hà", "BHXHLB", Role.CLERK),
    DemoAccount("bhxh@longbien.demo", "Hoàng Thu Trang", "BHXHLB", Role.OFFICER),
    DemoAccount("giamdoc.bhxh@longbien.demo", "Lý Văn Phúc", "BHXHLB", Role.HEAD),
    DemoAccount("motcua@stp.demo", "Phan Thị Ngọc", "STP", Role.CLERK),
    DemoAccount("chuyenvien@stp.demo", "Hồ Đức Long", "STP", Role.OFFICER),
    DemoAccount("giamdoc@stp.demo", "Trịnh Văn Bình", "STP", Role.HEAD),
    DemoAccount("motcua@vpub.demo", "Mai Thị Thu", "VPUB", Role.CLERK),
    DemoAccount("chuyenvien@vpub.demo", "Tạ Quang Huy", "VPUB", Role.OFFICER),
    DemoAccount("lanhdao@vpub.demo", "Kiều Văn Sơn", "VPUB", Role.HEAD),
    DemoAccount("motcua@skhcn.demo", "Lương Thị Yến", "SKHCN", Role.CLERK),
    DemoAccount("chuyenvien@skhcn.demo", "Cao Minh Đức", "SKHCN", Role.OFFICER),
    DemoAccount("giamdoc@skhcn.demo", "Vi Văn Khải", "SKHCN", Role.HEAD),
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


# --- The demo city's population ------------------------------------------------------

DEMO_PERSONS = 20_000
DEMO_POPULATION_SEED = 2025
DEMO_HOUSEHOLD = "HK00145-DEMO01"
DEMO_ADDRESS = "Số 12, ngõ 45 Ngọc Lâm, Phường Long Biên, Hà Nội"
DEMO_WARD_CODE = "00145"  # Phường Long Biên
CITIZEN_EMAIL = "congdan@example.vn"

# The demo citizen's family: he is the head of the household, with his wife, a
# grown-up daughter and a son who is a minor (so he acts for the boy).
# (id_number, full_name, birth_date, sex, relation, membership_start)
DEMO_FAMILY = [
    ("001075012345", "Nguyễn Văn An", "1975-05-19", "M", "head", "2003-06-02"),
    ("001178023456", "Trần Thị Bình", "1978-08-02", "F", "spouse", "2003-06-02"),
    ("001304034567", "Nguyễn Thị Thu Hà", "2004-10-15", "F", "child", "2004-10-15"),
    ("001214045678", "Nguyễn Minh Khoa", "2014-03-09", "M", "child", "2014-03-09"),
]
DEMO_CITIZEN_ID = DEMO_FAMILY[0][0]


@dataclass
class PopulationSeed:
    csv_path: Path
    result: ImportResult
    family: ImportResult
    citizen: Person
    linked_now: bool


def _family_rows() -> list[dict[str, str]]:
    head, wife = DEMO_FAMILY[0], DEMO_FAMILY[1]
    rows = []
    for id_number, name, born, sex, relation, start in DEMO_FAMILY:
        row = dict.fromkeys(COLUMNS, "")
        row.update(
            id_number=id_number,
            full_name=name,
            birth_date=born,
            sex=sex,
            ethnicity="01",
            religion="Không",
            birth_place="Hà Nội",
            native_place="Hà Nội",
            permanent_address=DEMO_ADDRESS,
            permanent_unit_code=DEMO_WARD_CODE,
            current_address=DEMO_ADDRESS,
            current_unit_code=DEMO_WARD_CODE,
            household_number=DEMO_HOUSEHOLD,
            relation=relation,
            membership_start=start,
        )
        if relation == "head":
            row.update(
                household_address=DEMO_ADDRESS, spouse_id_number=wife[0], spouse_name=wife[1]
            )
            row.update(father_name="Nguyễn Văn Bảo", mother_name="Lê Thị Lan")
        elif relation == "spouse":
            row.update(spouse_id_number=head[0], spouse_name=head[1])
        else:
            row.update(father_id_number=head[0], father_name=head[1])
            row.update(mother_id_number=wife[0], mother_name=wife[1])
        rows.append(row)
    return rows


def seed_population(
    *, persons: int = DEMO_PERSONS, seed: int = DEMO_POPULATION_SEED, directory: Path | None = None
) -> PopulationSeed:
    """Generate (once, deterministically) and import a small city, then the demo
    citizen's family, and link the citizen's account to his record (level 1).
    Safe to run again: the same files import as "unchanged"."""
    directory = Path(directory or settings.VAR_DIR / "demo")
    directory.mkdir(parents=True, exist_ok=True)
    csv_path = directory / f"population-{persons}-seed{seed}.csv"
    if not csv_path.exists():
        partial = csv_path.with_suffix(".partial")
        population_generate(
            count=persons, seed=seed, output=partial, reserved=[row[0] for row in DEMO_FAMILY]
        )
        partial.replace(csv_path)
    reason = "Dữ liệu mẫu của bản demo (demo seed)"
    result = population_import(
        path=csv_path, rejects_path=directory / "population.rejects.csv", reason=reason
    )
    family_path = directory / "demo-family.csv"
    with family_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(_family_rows())
    family = population_import(
        path=family_path, rejects_path=directory / "demo-family.rejects.csv", reason=reason
    )
    citizen = Person.objects.select_related("permanent_unit").get(id_number=DEMO_CITIZEN_ID)
    linked_now = demo_citizen_link(citizen)
    return PopulationSeed(csv_path, result, family, citizen, linked_now)


def demo_citizen_link(citizen: Person) -> bool:
    """Link congdan@example.vn to the demo citizen's record at level 1, as the
    citizen would (ID number, name and date of birth). False if already linked."""
    user = User.objects.get(email=CITIZEN_EMAIL)
    if IdentityLink.objects.filter(user=user).exists():
        return False
    identity_link_self(
        user=user,
        id_number=citizen.id_number,
        full_name=citizen.full_name,
        birth_date=citizen.birth_date,
    )
    return True
