"""Settings: command line > environment > TOML file > defaults, and clear errors."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from adapter.config import Settings, load_settings, parse_duration
from adapter.errors import ConfigError
from adapter.model import to_e164
from adapter.runtime import build_source


@pytest.fixture
def toml(tmp_path: Path) -> Path:
    path = tmp_path / "adapter.toml"
    path.write_text(
        'provider = "uis"\nbackfill_days = 10\n'
        '[uis]\ndata_api_url = "https://file/v2.0"\naccess_token = "from-file"\n',
        encoding="utf-8",
    )
    return path


def test_toml_sections__become_flat_settings(toml: Path) -> None:
    s = load_settings(config=toml, environ={})
    assert (s.provider, s.backfill_days) == ("uis", 10)
    assert (s.uis_data_api_url, s.uis_access_token) == ("https://file/v2.0", "from-file")


def test_environment__beats_the_file(toml: Path) -> None:
    env = {"PBX_ADAPTER_UIS_ACCESS_TOKEN": "from-env", "PBX_ADAPTER_BACKFILL_DAYS": "5"}
    s = load_settings(config=toml, environ=env)
    assert (s.uis_access_token, s.backfill_days) == ("from-env", 5)


def test_command_line__beats_the_environment(toml: Path) -> None:
    env = {"PBX_ADAPTER_UIS_ACCESS_TOKEN": "from-env"}
    s = load_settings({"uis_access_token": "from-cli", "store": None}, config=toml, environ=env)
    assert s.uis_access_token == "from-cli"
    assert s.store == Settings().store  # None on the command line means "not given"


def test_config_file__from_the_environment(toml: Path) -> None:
    s = load_settings(environ={"PBX_ADAPTER_CONFIG": str(toml)})
    assert s.provider == "uis"


@pytest.mark.parametrize(
    ("source", "setting"),
    [
        ({"PBX_ADAPTER_BACKFILL_DAYS": "many"}, "backfill_days"),
        ({"PBX_ADAPTER_PROVIDER": "asterisk"}, "provider"),
        ({"PBX_ADAPTER_TIMEOUT": "soon"}, "timeout"),
    ],
)
def test_wrong_value__names_the_setting(source: dict[str, str], setting: str) -> None:
    with pytest.raises(ConfigError, match=setting) as info:
        load_settings(environ=source)
    assert info.value.setting == setting


def test_unknown_key_in_file__is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[uis]\ntoken = 'x'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="uis_token"):
        load_settings(config=path, environ={})


def test_missing_file__is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(config=tmp_path / "nope.toml", environ={})


def test_missing_provider_setting__says_how_to_set_it() -> None:
    settings = Settings(provider="mango", mango_url="https://m/vpbx/")
    with pytest.raises(ConfigError, match="PBX_ADAPTER_MANGO_API_KEY") as info:
        build_source(settings, http=None)  # type: ignore[arg-type]
    assert info.value.setting == "mango_api_key"


@pytest.mark.parametrize(
    ("text", "seconds"), [("3h", 10800), ("90m", 5400), ("1d", 86400), ("1h30m", 5400), ("45", 45)]
)
def test_parse_duration(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "3x", "-1h", "0"])
def test_parse_duration__rejects(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("79161234567", "+79161234567"),
        ("89161234567", "+79161234567"),
        ("+7 (916) 123-45-67", "+79161234567"),
        ("9161234567", "+79161234567"),
        ("74955140578...2345", "+74955140578"),
        ("sip:anna@vpbx.mangosip.ru", "sip:anna@vpbx.mangosip.ru"),
        ("101", "101"),
        ("", None),
        (None, None),
    ],
)
def test_to_e164(raw: str | None, e164: str | None) -> None:
    assert to_e164(raw) == e164


def test_reread_days__defaults_to_3_and_comes_from_every_source() -> None:
    """The trailing re-read window is a setting like the others (file, env, command line)."""
    assert load_settings(environ={}).reread_days == 3
    assert load_settings(environ={"PBX_ADAPTER_REREAD_DAYS": "7"}).reread_days == 7
    assert load_settings({"reread_days": 0}, environ={}).reread_days == 0


@pytest.mark.parametrize("name", ["reread_days", "backfill_days"])
def test_negative_day_counts__are_refused_by_name(name: str) -> None:
    with pytest.raises(ConfigError, match=name) as caught:
        load_settings({name: -1}, environ={})
    assert caught.value.setting == name
