import pytest

from citizens.models import AdministrativeUnit, UnitSuccession
from citizens.selectors import administrative_units
from citizens.services import administrative_units_load

pytestmark = pytest.mark.django_db

Era, Level = AdministrativeUnit.Era, AdministrativeUnit.Level


def count(era, level):
    return AdministrativeUnit.objects.filter(era=era, level=level).count()


def test_loading_all_units_gives_the_2025_and_pre_2025_lists_and_is_idempotent():
    first = administrative_units_load()
    assert count(Era.CURRENT, Level.PROVINCE) == 34
    assert count(Era.CURRENT, Level.COMMUNE) == 3321
    assert count(Era.PRE_2025, Level.PROVINCE) == 63
    assert count(Era.PRE_2025, Level.COMMUNE) == 10051
    assert count(Era.PRE_2025, Level.DISTRICT) > 690
    assert UnitSuccession.objects.count() == 10571
    assert first.created == AdministrativeUnit.objects.count()

    again = administrative_units_load()
    assert (again.created, again.updated, again.successions) == (0, 0, 0)


def test_hanoi_has_126_wards_and_communes_and_maps_old_units_forward():
    administrative_units_load(provinces=["01"])
    hanoi = AdministrativeUnit.objects.get(era=Era.CURRENT, level=Level.PROVINCE, code="01")
    assert hanoi.children.count() == 126
    ba_dinh = AdministrativeUnit.objects.get(era=Era.CURRENT, level=Level.COMMUNE, code="00004")
    olds = set(ba_dinh.predecessor_links.values_list("predecessor__name", flat=True))
    assert {"Phường Trúc Bạch", "Phường Quán Thánh"} <= olds
    truc_bach = AdministrativeUnit.objects.get(era=Era.PRE_2025, level=Level.COMMUNE, code="00004")
    assert truc_bach.parent.name == "Quận Ba Đình"
    assert truc_bach.parent.parent.name == "Thành phố Hà Nội"


def test_unit_search_ignores_diacritics_and_case():
    administrative_units_load(provinces=["01"])
    names = [u.name for u in administrative_units(level=Level.COMMUNE, query="long bien")]
    assert names == ["Phường Long Biên"]
    assert [u.name for u in administrative_units(query="Bồ đề")] == ["Phường Bồ Đề"]
