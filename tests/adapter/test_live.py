"""The live window without HTTP: workstations, line matching, the caller card, the snapshot."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from adapter.clinic_data import parse_document
from adapter.errors import CapabilityError, ConfigError
from adapter.live import (
    Workstation,
    ago,
    caller_card,
    line_matches,
    load_workstations,
    render_window,
    resolve_workstation,
    snapshot,
)
from adapter.model import Direction, LiveCall, LiveState
from adapter.providers.base import AccountInfo, Capability
from adapter.store import SqlStore
from adapter.store.clinic import CallComment, ClinicStore

MSK = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 5, 14, 10, 30, tzinfo=MSK)

DOC = {
    "timezone": "Europe/Moscow",
    "administrators": [
        {"id": 27, "name": "Смирнова Анна Сергеевна", "clinic_id": 1, "sip_lines": ["4996034"]},
        {"id": 30, "name": "Кузнецова Ольга Ивановна", "clinic_id": 1, "sip_lines": ["7304271"]},
    ],
    "doctors": [{"id": 35, "name": "Рудзит Юрий Фёдорович", "clinic_id": 1}],
    "patients": [
        {"id": 1, "name": "Сдобина Олеся Олеговна", "phone": "79716771670", "since": None,
         "prior": {"visits": 13, "completed": 9, "sum": 100000, "last_visit": "2025-01-10",
                   "last_doctor_id": 35}},
    ],
    "visits": [
        {"id": 10, "patient_id": 1, "doctor_id": 35, "start": "2026-03-07T12:00:00+03:00",
         "sum": 19090, "completed": True, "appointment_id": None},
        {"id": 11, "patient_id": 1, "doctor_id": 35, "start": "2026-06-01T12:00:00+03:00",
         "sum": 5000, "completed": True, "appointment_id": None},
    ],
    "appointments": [], "comments": [], "channels": [], "ad_spend": [],
}  # fmt: skip


@pytest.fixture
def clinic(tmp_path: Path) -> ClinicStore:
    store = SqlStore(f"sqlite:///{tmp_path}/c.sqlite3")
    out = ClinicStore(store.engine)
    out.replace(parse_document(DOC))
    return out


def live(call_id: str, line: str | None, phone: str = "+79716771670") -> LiveCall:
    return LiveCall(
        provider="uis",
        provider_call_id=call_id,
        started_at=NOW - timedelta(seconds=42),
        direction=Direction.IN,
        state=LiveState.RINGING,
        contact_number=phone,
        sip_line=line,
    )


class FakeSource:
    name = "fake"
    capabilities = frozenset({Capability.CURRENT_CALLS})
    max_window = timedelta(days=1)

    def __init__(self, calls: list[LiveCall]) -> None:
        self.calls = calls

    async def account(self) -> AccountInfo:
        return AccountInfo("fake:1", "Fake", MSK)

    async def current_calls(self) -> list[LiveCall]:
        return list(self.calls)


class TestAgo:
    @pytest.mark.parametrize(
        ("since", "en", "ru"),
        [
            (date(2026, 3, 7), "2 months 7 days", "2 месяца 7 дней"),
            (date(2026, 5, 13), "1 day", "1 день"),
            (date(2026, 4, 23), "21 days", "21 день"),
            (date(2025, 4, 13), "1 year 1 month 1 day", "1 год 1 месяц 1 день"),
            (date(2021, 5, 9), "5 years 5 days", "5 лет 5 дней"),
            (date(2026, 5, 14), "today", "сегодня"),
        ],
    )
    def test_ago__calendar_months_and_days(self, since: date, en: str, ru: str) -> None:
        assert ago(since, NOW.date()) == en
        assert ago(since, NOW.date(), "ru") == ru

    def test_ago__end_of_month_clamps(self) -> None:
        assert ago(date(2026, 1, 31), date(2026, 3, 1)) == "1 month 1 day"


class TestWorkstations:
    def test_line_matches__exact_or_same_digits(self) -> None:
        assert line_matches("4996034", "4996034")
        assert line_matches("+7 (495) 123-45-67", "74951234567")
        assert not line_matches("4996034", "4996035")
        assert not line_matches("sip:a@x", "sip:b@x")

    def test_load_workstations__reads_the_toml_table(self, tmp_path: Path) -> None:
        file = tmp_path / "ws.toml"
        file.write_text(
            '[workstations.reception-1]\nemployee = 27\nsip_lines = ["4996034", "100"]\n'
            '[workstations.reception-2]\nsip_lines = "7304271"\nextension = "102"\n',
            encoding="utf-8",
        )
        got = load_workstations(file)
        assert got["reception-1"] == Workstation("reception-1", "27", ("4996034", "100"))
        assert got["reception-2"].sip_lines == ("7304271",)
        assert got["reception-2"].extension == "102"

    def test_load_workstations__bad_file_is_a_config_error(self, tmp_path: Path) -> None:
        file = tmp_path / "ws.toml"
        file.write_text("[workstations\n", encoding="utf-8")
        with pytest.raises(ConfigError, match=r"ws\.toml"):
            load_workstations(file)
        with pytest.raises(ConfigError, match="not found"):
            load_workstations(tmp_path / "missing.toml")

    def test_resolve__employee_name_takes_their_lines(self, clinic: ClinicStore) -> None:
        ws = resolve_workstation("Кузнецова Ольга Ивановна", {}, clinic.staff())
        assert ws.sip_lines == ("7304271",)
        assert ws.employee_id == "30"

    def test_resolve__configured_employee_without_lines(self, clinic: ClinicStore) -> None:
        configured = {"front": Workstation("front", "27")}
        assert resolve_workstation("front", configured, clinic.staff()).sip_lines == ("4996034",)

    def test_resolve__unknown_is_a_config_error(self, clinic: ClinicStore) -> None:
        with pytest.raises(ConfigError, match="unknown workstation 'nowhere'"):
            resolve_workstation("nowhere", {}, clinic.staff())


class TestCallerCard:
    def test_card__adds_history_before_the_data_and_visits_so_far(
        self, clinic: ClinicStore
    ) -> None:
        """Prior totals plus visits up to now; a visit planned after now does not count."""
        card = caller_card(clinic, "8 (971) 677-16-70", NOW)
        assert card.full_name == "Сдобина Олеся Олеговна"
        assert card.visits == 14
        assert card.completed == 10
        assert card.completed_pct == 71
        assert card.total_sum == 119090
        assert card.last_visit == date(2026, 3, 7)
        assert card.last_doctor == "Рудзит Юрий Фёдорович"
        assert card.as_json(NOW.date())["last_visit_ago_ru"] == "2 месяца 7 дней"

    def test_card__unknown_number_is_a_new_caller(self, clinic: ClinicStore) -> None:
        card = caller_card(clinic, "+79990000000", NOW)
        assert card.new_caller
        assert card.full_name is None


class TestSnapshot:
    async def test_snapshot__shows_only_the_workstations_lines(self, clinic: ClinicStore) -> None:
        source = FakeSource([live("1", "4996034"), live("2", "7304271"), live("3", None)])
        ws = Workstation("reception-1", "27", ("4996034",))
        rows = await snapshot(source, clinic, ws, NOW)
        assert [r.call.provider_call_id for r in rows] == ["1"]
        assert rows[0].card.full_name == "Сдобина Олеся Олеговна"

    async def test_snapshot__unfiltered_shows_everything(self, clinic: ClinicStore) -> None:
        source = FakeSource([live("2", "7304271"), live("1", "4996034"), live("3", None)])
        rows = await snapshot(source, clinic, None, NOW)
        assert sorted(r.call.provider_call_id for r in rows) == ["1", "2", "3"]

    async def test_snapshot__carries_the_saved_comment(self, clinic: ClinicStore) -> None:
        note = CallComment("uis", "1", "Пациент. Хочет записаться", "Имплантация", author="27")
        clinic.save_comment(note, now=NOW)
        rows = await snapshot(FakeSource([live("1", "4996034")]), clinic, None, NOW)
        assert rows[0].comment == note
        assert rows[0].as_json(NOW)["comment"] == {
            "call_type": "Пациент. Хочет записаться",
            "topic": "Имплантация",
        }
        text = str(render_window(rows, "t", NOW, "ru").columns[-1]._cells)
        assert "Имплантация" in text

    async def test_snapshot__without_the_capability_says_so(self, clinic: ClinicStore) -> None:
        source = FakeSource([])
        source.capabilities = frozenset()  # type: ignore[misc]
        with pytest.raises(CapabilityError, match="cannot list current calls"):
            await snapshot(source, clinic, None, NOW)  # type: ignore[arg-type]


def test_cli_comment__saves_type_and_topic(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from adapter.cli import main

    store = f"sqlite:///{tmp_path}/c.sqlite3"
    args = ["comment", "3000", "--type", "Пациент. Хочет записаться", "--topic", "Имплантация",
            "--author", "27", "--store", store]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    sql = SqlStore(store)
    saved = ClinicStore(sql.engine).comments([("uis", "3000")])
    sql.close()
    assert saved[("uis", "3000")].topic == "Имплантация"
    assert saved[("uis", "3000")].author == "27"
