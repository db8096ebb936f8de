"""The demo catalog as data: the YAML files under procedures/data/catalog/, their
loader in procedures.demo and ``manage.py load_catalog``.

That a second seed changes nothing is tested in tests/test_catalog.py.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from citizens import demo as citizens_demo
from citizens.services import administrative_units_load
from procedures import demo
from procedures.models import FormField, Procedure

FIELDS_YAML = """\
fields:
  - code: civil-status
    name: Hộ tịch
    name_en: Civil status
"""

PROCEDURE_YAML = """\
procedures:
  - code: "HN.TEST.01"
    name: Thủ tục thử
    name_en: A test procedure
    field: civil-status
    level: commune
    agency_kind: peoples_committee
    offered_by: [UBLB, NOWHERE]
    online_level: full
    handler: form
    identity_level: 1
    days_online: 1
    days_counter: 2
    fee_online: 0
    fee_counter: 0
    summary: Tóm tắt
    summary_en: Summary
    conditions: ""
    conditions_en: ""
    legal_basis: ""
    result_document: Kết quả
    result_document_en: Result
    documents:
      - name: Tờ khai
        name_en: Declaration
    questions:
      - key: full_name
        kind: {kind}
        label: Họ và tên
        label_en: Full name
        max_length: 150
      - key: {second_key}
        kind: choice
        label: Lý do
        label_en: Reason
        page: 2
        choices:
          - Mất
          - Hỏng
"""


def write_catalog(folder: Path, *, kind: str = "text", second_key: str = "reason") -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "fields.yaml").write_text(FIELDS_YAML, encoding="utf-8")
    text = PROCEDURE_YAML.replace("{kind}", kind).replace("{second_key}", second_key)
    (folder / "procedures.yaml").write_text(text, encoding="utf-8")
    return folder


def raw_procedures() -> list[dict]:
    text = (demo.CATALOG_DIR / "procedures.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)["procedures"]


# --- The bundled files ----------------------------------------------------------------------


def test_every_procedure_in_the_bundled_file_has_its_own_code():
    codes = [entry["code"] for entry in raw_procedures()]
    assert len(codes) == len(set(codes)) == len(demo.CATALOG) >= 14
    assert all(isinstance(code, str) for code in codes)  # "1.001193" is not read as a number


def test_every_question_key_is_unique_within_its_procedure():
    for entry in raw_procedures():
        keys = [question["key"] for question in entry.get("questions", [])]
        assert len(keys) == len(set(keys)), entry["code"]


def test_the_bundled_catalog_lives_inside_the_procedures_app():
    """The Dockerfile copies the app folder whole; the data must be in it."""
    app = Path(demo.__file__).resolve().parent
    assert demo.CATALOG_DIR.is_relative_to(app)
    assert {p.name for p in demo.CATALOG_DIR.glob("*.yaml")} == {"fields.yaml", "procedures.yaml"}


# --- The loader -----------------------------------------------------------------------------


def test_given_a_document_and_questions_without_optional_keys_the_loader_fills_the_defaults(
    tmp_path,
):
    catalog = demo.load_catalog(write_catalog(tmp_path / "catalog"))
    assert catalog.fields == [("civil-status", "Hộ tịch", "Civil status")]
    [spec] = catalog.procedures
    assert spec["level"] == Procedure.Level.COMMUNE
    assert spec["documents"] == [
        {
            "name": "Tờ khai",
            "name_en": "Declaration",
            "originals": 1,
            "copies": 0,
            "mandatory": True,
            "wallet_kind": "",
        }
    ]
    first, second = spec["questions"]
    assert first["kind"] == FormField.Kind.TEXT
    assert (first["page"], first["required"], first["choices"], first["min_value"]) == (
        1,
        True,
        "",
        None,
    )
    assert (second["page"], second["choices"]) == (2, "Mất\nHỏng")


def test_the_loader_refuses_an_unknown_question_kind_naming_the_file_and_procedure(tmp_path):
    folder = write_catalog(tmp_path / "catalog", kind="colour")
    with pytest.raises(demo.CatalogDataError) as error:
        demo.load_catalog(folder)
    message = str(error.value)
    assert str(folder / "procedures.yaml") in message
    assert "procedure HN.TEST.01" in message and "question 'full_name'" in message
    assert "unknown kind 'colour'" in message and "yes_no" in message


def test_the_loader_refuses_a_question_key_used_twice_in_a_procedure(tmp_path):
    folder = write_catalog(tmp_path / "catalog", second_key="full_name")
    with pytest.raises(demo.CatalogDataError, match="another question has this key"):
        demo.load_catalog(folder)


def test_the_loader_refuses_a_misspelt_key_and_a_field_not_in_fields_yaml(tmp_path):
    folder = write_catalog(tmp_path / "catalog")
    path = folder / "procedures.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("max_length:", "max_lenght:"), encoding="utf-8")
    with pytest.raises(demo.CatalogDataError, match="unknown key max_lenght"):
        demo.load_catalog(folder)
    path.write_text(text.replace("field: civil-status", "field: taxes"), encoding="utf-8")
    with pytest.raises(demo.CatalogDataError, match="unknown field 'taxes'"):
        demo.load_catalog(folder)


# --- manage.py load_catalog -----------------------------------------------------------------


@pytest.fixture
def agencies(db):
    administrative_units_load(provinces=["01"])
    return citizens_demo.seed_agencies()


def test_load_catalog_loads_the_bundled_catalog_and_prints_the_counts(agencies):
    out = io.StringIO()
    call_command("load_catalog", stdout=out)
    n = len(demo.CATALOG)
    assert f"Fields: {len(demo.FIELDS)}" in out.getvalue()
    assert f"Procedures: {n} ({n} created or updated, 0 unchanged)" in out.getvalue()
    assert Procedure.objects.filter(is_published=True).count() == n

    again = io.StringIO()
    call_command("load_catalog", stdout=again)
    assert f"Procedures: {n} (0 created or updated, {n} unchanged)" in again.getvalue()


def test_load_catalog_loads_another_folder_and_warns_of_agencies_it_skips(agencies, tmp_path):
    out, err = io.StringIO(), io.StringIO()
    call_command("load_catalog", str(write_catalog(tmp_path / "catalog")), stdout=out, stderr=err)
    procedure = Procedure.objects.get(code="HN.TEST.01")
    assert [a.code for a in procedure.offered_by.all()] == ["UBLB"]
    assert list(procedure.form_fields.values_list("key", flat=True)) == ["full_name", "reason"]
    assert "Agencies not found, skipped: NOWHERE" in err.getvalue()


def test_load_catalog_stops_on_a_bad_file_and_writes_nothing(agencies, tmp_path):
    folder = write_catalog(tmp_path / "catalog", kind="colour")
    with pytest.raises(CommandError, match="unknown kind 'colour'"):
        call_command("load_catalog", str(folder))
    assert not Procedure.objects.exists()


def test_load_catalog_names_the_procedure_the_catalog_rules_refuse(agencies, tmp_path):
    folder = write_catalog(tmp_path / "catalog")
    path = folder / "procedures.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("- Hỏng\n", ""), encoding="utf-8")
    with pytest.raises(CommandError, match=r"procedures\.yaml: procedure HN\.TEST\.01: .*choices"):
        call_command("load_catalog", str(folder))
    assert not Procedure.objects.exists()
