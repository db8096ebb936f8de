"""Personal ID numbers: the validator names each wrong part; the generator never repeats."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import translation

from citizens.idnumbers import century_sex_digit, generate_id_number, validation_errors
from citizens.models import IssuedIdNumber


def codes(number, **kwargs):
    return [e.code for e in validation_errors(number, **kwargs)]


def messages(number, lang="vi", **kwargs):
    with translation.override(lang):
        return [str(e.message % e.params) for e in validation_errors(number, **kwargs)]


@pytest.mark.parametrize(
    ("number", "sex", "born"),
    [
        ("001090012345", "M", dt.date(1990, 5, 1)),  # Hà Nội, man born 1990
        ("001190012345", "F", dt.date(1990, 5, 1)),  # Hà Nội, woman born 1990
        ("079205012345", "M", dt.date(2005, 1, 1)),  # Hồ Chí Minh City, 2000s male
        ("001324000001", "F", dt.date(2024, 3, 9)),  # 2000s female
        ("002185000001", "F", dt.date(1985, 1, 1)),  # Hà Giang: an old (pre-2025) province code
        ("101090000001", "M", dt.date(1990, 1, 1)),  # a birth registered abroad (country 101)
        ("295190000001", "F", dt.date(1990, 1, 1)),  # the last country code
    ],
)
def test_valid_numbers_pass(number, sex, born):
    assert validation_errors(number, sex=sex, birth_date=born) == []


def test_without_sex_or_birth_date_only_the_format_and_province_are_checked():
    assert validation_errors("001090012345") == []


@pytest.mark.parametrize(
    "number", ["", "00109001234", "0010900123456", "00109001234a", "001 90012345"]
)
def test_not_twelve_digits_is_refused(number):
    assert codes(number) == ["id_format"]


@pytest.mark.parametrize("prefix", ["000", "097", "099", "100", "296", "999"])
def test_an_unknown_province_or_country_code_is_named(prefix):
    number = prefix + "090012345"
    assert codes(number) == ["id_province"]
    assert f"“{prefix}”" in messages(number)[0]


def test_the_century_and_sex_digit_must_match_sex_and_birth_year():
    # A woman born in 1990 has 1, not 0.
    assert codes("001090012345", sex="F", birth_date=dt.date(1990, 1, 1)) == ["id_century_sex"]
    # A man born in 2005 has 2, not 0.
    assert codes("001005012345", sex="M", birth_date=dt.date(2005, 1, 1)) == ["id_century_sex"]
    en = messages("001090012345", lang="en", sex="F", birth_date=dt.date(1990, 1, 1))[0]
    assert "4th digit" in en and "1990" in en and "has 1" in en


def test_the_year_digits_must_match_the_birth_year():
    assert codes("001091012345", sex="M", birth_date=dt.date(1990, 1, 1)) == ["id_birth_year"]


def test_every_wrong_part_is_reported_at_once():
    assert codes("999191012345", sex="M", birth_date=dt.date(1990, 1, 1)) == [
        "id_province",
        "id_century_sex",
        "id_birth_year",
    ]


def test_messages_exist_in_vietnamese_and_english():
    vi = messages("999090012345", lang="vi")[0]
    en = messages("999090012345", lang="en")[0]
    assert vi != en
    assert "tỉnh" in vi.lower()
    assert "province" in en.lower()


@pytest.mark.parametrize(
    ("sex", "year", "digit"),
    [
        ("M", 1900, 0),
        ("F", 1999, 1),
        ("M", 2000, 2),
        ("F", 2099, 3),
        ("M", 2100, 4),
        ("F", 2399, 9),
    ],
)
def test_century_sex_digit_table(sex, year, digit):
    assert century_sex_digit(sex, year) == digit


@pytest.mark.django_db
def test_a_generated_number_is_valid_for_the_child_and_registered():
    born = dt.date(2026, 11, 20)
    number = generate_id_number(province_code="01", sex="F", birth_date=born, reason="test")
    assert number.startswith("001326")
    assert validation_errors(number, sex="F", birth_date=born) == []
    assert IssuedIdNumber.objects.filter(number=number).exists()


@pytest.mark.django_db
def test_a_retired_number_is_never_handed_out_again(monkeypatch):
    IssuedIdNumber.objects.create(number="001226000007", reason="cancelled record")
    IssuedIdNumber.objects.filter(number="001226000007").update(
        retired_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    )
    draws = iter([7, 7, 8])
    monkeypatch.setattr("citizens.idnumbers.secrets.randbelow", lambda n: next(draws))
    number = generate_id_number(province_code="01", sex="M", birth_date=dt.date(2026, 1, 2))
    assert number == "001226000008"


@pytest.mark.django_db(transaction=True)
def test_concurrent_generation_never_issues_a_number_twice(monkeypatch):
    """Many threads draw from a tiny space, so collisions are certain; none is issued twice."""
    import secrets

    draw = secrets.randbelow
    monkeypatch.setattr("citizens.idnumbers.secrets.randbelow", lambda n: draw(120))
    issued: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker():
        try:
            for _ in range(10):
                number = generate_id_number(
                    province_code="01", sex="M", birth_date=dt.date(2026, 5, 5)
                )
                with lock:
                    issued.append(number)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(issued) == 80
    assert len(set(issued)) == 80
    assert IssuedIdNumber.objects.filter(number__in=issued).count() == 80
