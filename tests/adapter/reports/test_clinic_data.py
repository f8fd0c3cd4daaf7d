"""`import-clinic`: a truth document (JSON or JSON Lines) into the store's clinic tables."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from adapter.cli import main
from adapter.clinic_data import load_document, parse_document
from adapter.errors import ConfigError
from adapter.store import SqlStore
from adapter.store.clinic import ClinicStore

DOC = {
    "timezone": "Europe/Moscow",
    "administrators": [{"id": 27, "name": "Anna", "sip_lines": ["4996034"]}],
    "doctors": [{"id": 35, "name": "Dr. Who"}],
    "channels": [{"key": "bb", "utm_source": "billboard", "numbers": ["74950000001"],
                  "spend_per_day": 500}],
    "ad_spend": [{"date": "2026-05-13", "channel": "bb", "amount": 500}],
    "patients": [{"id": 7, "name": "New One", "phone": "79160000002", "since": "2026-05-13"}],
    "comments": [{"call_id": 3000, "call_start": "2026-05-13T10:00:00+03:00",
                  "administrator_id": 27, "call_type": "Новый клиент", "topic": "Цены"}],
    "appointments": [{"id": 3000, "call_id": 3000, "patient_id": 7, "administrator_id": 27,
                      "booked_at": "2026-05-13T10:04:00+03:00", "doctor_id": 35,
                      "planned_at": "2026-05-15T12:00:00+03:00"}],
    "visits": [{"id": 1, "patient_id": 7, "doctor_id": 35, "start": "2026-05-15T12:00:00+03:00",
                "sum": 7000, "completed": True, "appointment_id": 3000}],
}  # fmt: skip


def test_parse__normalizes_phones_times_and_links() -> None:
    data = parse_document(DOC)
    assert data.phones == [{"phone": "+79160000002", "patient_id": "7"}]
    assert data.numbers == [{"number": "+74950000001", "channel": "bb"}]
    # a booked patient is one from the start of the call that booked them
    assert data.patients[0]["created_at"] == 1778655600
    assert data.links == [{"visit_id": "1", "appointment_id": "3000"}]
    assert data.comments[0]["provider"] == "uis"
    assert data.comments[0]["author"] == "27"


def test_load__json_lines_are_merged_by_id(tmp_path: Path) -> None:
    later = {"patients": [{"id": 7, "name": "Renamed", "phone": "79160000002", "since": None}]}
    file = tmp_path / "clinic.jsonl"
    file.write_bytes(orjson.dumps(DOC) + b"\n" + orjson.dumps(later) + b"\n")
    doc = load_document(file)
    assert [p["name"] for p in doc["patients"]] == ["Renamed"]
    assert len(doc["visits"]) == 1


def test_load__bad_file_names_the_line(tmp_path: Path) -> None:
    file = tmp_path / "clinic.jsonl"
    file.write_text('{"patients": []}\n{oops\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="line 2"):
        load_document(file)


def test_parse__wrong_shape_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="expected shape"):
        parse_document({"patients": [{"name": "no id"}]})


def test_cli_import__replaces_the_clinic_data(tmp_path: Path) -> None:
    file = tmp_path / "clinic.json"
    file.write_bytes(orjson.dumps(DOC))
    store = f"sqlite:///{tmp_path}/c.sqlite3"
    for _ in range(2):  # importing twice leaves one copy
        result = CliRunner().invoke(main, ["import-clinic", str(file), "--store", store])
        assert result.exit_code == 0, result.output
    sql = SqlStore(store)
    clinic = ClinicStore(sql.engine)
    assert [p["full_name"] for p in clinic.patients_by_phone("+79160000002")] == ["New One"]
    assert [c.key for c in clinic.channels()] == ["bb"]
    assert clinic.staff()["27"].sip_lines == ("4996034",)
    sql.close()


def test_cli_import__missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["import-clinic", str(tmp_path / "nope.json")])
    assert result.exit_code == 2
