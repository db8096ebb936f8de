"""Writes to the citizens app: loading administrative units, staff memberships."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from citizens.models import AdministrativeUnit, Agency, Role, StaffMembership, UnitSuccession, User
from egov.text import fold

Era = AdministrativeUnit.Era
Level = AdministrativeUnit.Level

_TYPE_PREFIXES = (
    "Thành phố",
    "Tỉnh",
    "Thị xã",
    "Thị trấn",
    "Quận",
    "Huyện",
    "Phường",
    "Xã",
    "Đặc khu",
)
_CODE_IN_PARENS = re.compile(r"\((\d+)\)\s*$")


def _unit_type(name: str) -> str:
    for prefix in _TYPE_PREFIXES:
        if name.lower().startswith(prefix.lower() + " "):
            return prefix
    return ""


@dataclass
class UnitLoadSummary:
    created: int = 0
    updated: int = 0
    successions: int = 0

    def __str__(self) -> str:
        return (
            f"{self.created} units created, {self.updated} updated, {self.successions} successions"
        )


class _UnitUpserter:
    """Creates or updates units level by level, keyed by (era, level, code)."""

    def __init__(self, summary: UnitLoadSummary):
        self.summary = summary
        self.known: dict[tuple[str, str, str], AdministrativeUnit] = {
            (u.era, u.level, u.code): u for u in AdministrativeUnit.objects.all()
        }

    def upsert(self, rows: Iterable[dict]) -> None:
        to_create: list[AdministrativeUnit] = []
        to_update: list[AdministrativeUnit] = []
        fields = ("name", "name_en", "unit_type", "parent", "search_name")
        for row in rows:
            key = (row["era"], row["level"], row["code"])
            values = {
                "name": row["name"],
                "name_en": row.get("name_en", ""),
                "unit_type": row.get("unit_type") or _unit_type(row["name"]),
                "parent": row.get("parent"),
                "search_name": fold(row["name"]),
            }
            unit = self.known.get(key)
            if unit is None:
                unit = AdministrativeUnit(era=key[0], level=key[1], code=key[2], **values)
                to_create.append(unit)
                self.known[key] = unit
            elif any(getattr(unit, f) != v for f, v in values.items()):
                for f, v in values.items():
                    setattr(unit, f, v)
                to_update.append(unit)
        AdministrativeUnit.objects.bulk_create(to_create, batch_size=2000)
        AdministrativeUnit.objects.bulk_update(to_update, fields, batch_size=2000)
        self.summary.created += len(to_create)
        self.summary.updated += len(to_update)

    def get(self, era: str, level: str, code: str) -> AdministrativeUnit | None:
        return self.known.get((era, level, code))


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


@transaction.atomic
def administrative_units_load(
    *, directory: Path | None = None, provinces: Iterable[str] | None = None
) -> UnitLoadSummary:
    """Load (or refresh) Vietnam's administrative units from the bundled CSV files.

    Idempotent: running it again changes nothing unless the files changed.
    ``provinces`` limits the load to some province codes (e.g. ``["01"]``).
    """
    directory = Path(directory or settings.ADMINISTRATIVE_UNITS_DIR)
    wanted = set(provinces) if provinces else None

    def keep(code: str) -> bool:
        return wanted is None or code in wanted

    summary = UnitLoadSummary()
    units = _UnitUpserter(summary)

    # Since 1 July 2025: provinces, then communes/wards/special zones.
    provinces_2025 = [
        r for r in _read(directory / "provinces-2025.csv") if keep(r["province_code"])
    ]
    units.upsert(
        {
            "era": Era.CURRENT,
            "level": Level.PROVINCE,
            "code": r["province_code"],
            "name": r["province_name"],
        }
        for r in provinces_2025
    )
    communes_2025 = [r for r in _read(directory / "communes-2025.csv") if keep(r["province_code"])]
    units.upsert(
        {
            "era": Era.CURRENT,
            "level": Level.COMMUNE,
            "code": r["commune_code"],
            "name": r["commune_name"],
            "unit_type": r["commune_type"],
            "parent": units.get(Era.CURRENT, Level.PROVINCE, r["province_code"]),
        }
        for r in communes_2025
    )

    # Before 1 July 2025: provinces → districts → communes.
    old_rows = [r for r in _read(directory / "communes-pre-2025.csv") if keep(r["Mã TP"])]
    units.upsert(
        {"era": Era.PRE_2025, "level": Level.PROVINCE, "code": code, "name": name}
        for code, name in {r["Mã TP"]: r["Tỉnh Thành Phố"] for r in old_rows}.items()
    )
    districts = {r["Mã QH"]: (r["Quận Huyện"], r["Mã TP"]) for r in old_rows}
    units.upsert(
        {
            "era": Era.PRE_2025,
            "level": Level.DISTRICT,
            "code": code,
            "name": name,
            "parent": units.get(Era.PRE_2025, Level.PROVINCE, province),
        }
        for code, (name, province) in districts.items()
    )
    units.upsert(
        {
            "era": Era.PRE_2025,
            "level": Level.COMMUNE,
            "code": r["Mã PX"],
            "name": r["Phường Xã"],
            "name_en": r["Tên Tiếng Anh"],
            "unit_type": r["Cấp"],
            "parent": units.get(Era.PRE_2025, Level.DISTRICT, r["Mã QH"]),
        }
        for r in old_rows
        if r["Mã PX"]
    )

    # Old-to-new mapping.
    existing = set(UnitSuccession.objects.values_list("successor_id", "predecessor_code"))
    links: list[UnitSuccession] = []
    for r in _read(directory / "communes-2025-predecessors.csv"):
        successor = units.get(Era.CURRENT, Level.COMMUNE, r["commune_code"])
        if successor is None or (successor.pk, r["old_commune_code"]) in existing:
            continue
        links.append(
            UnitSuccession(
                successor=successor,
                predecessor=units.get(Era.PRE_2025, Level.COMMUNE, r["old_commune_code"]),
                predecessor_code=r["old_commune_code"],
                predecessor_name=r["old_commune_name"],
                predecessor_district=r["old_district"],
                predecessor_province=r["old_province"],
                note=r["note"].replace("\n", " "),
            )
        )
        existing.add((successor.pk, r["old_commune_code"]))
    UnitSuccession.objects.bulk_create(links, batch_size=2000)
    summary.successions = len(links)
    return summary


@transaction.atomic
def staff_membership_grant(*, user: User, agency: Agency, role: Role | str) -> StaffMembership:
    membership, created = StaffMembership.objects.get_or_create(
        user=user, agency=agency, role=role, defaults={"is_active": True}
    )
    if not created and not membership.is_active:
        membership.is_active = True
        membership.save(update_fields=["is_active"])
    user.__dict__.pop("active_memberships", None)
    return membership
