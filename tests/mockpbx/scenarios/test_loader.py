"""Scenario files: built-ins validate, mistakes name the file, the field and what was expected."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from mockpbx.scenarios.loader import ScenarioError, builtin_names, load_scenario, parse_scenario
from mockpbx.scenarios.model import Scenario

BUILTINS = ("default", "clinic_day", "ad_campaign", "midnight", "network_year", "faults")


@pytest.mark.parametrize("name", BUILTINS)
def test_builtin__validates(name: str) -> None:
    assert load_scenario(name).name == name


def test_builtin_names__list_at_least_the_required_ones() -> None:
    assert set(BUILTINS) <= set(builtin_names())


def test_default_builtin__is_the_model_default() -> None:
    loaded = load_scenario("default").model_dump(exclude={"description"})
    assert loaded == Scenario().model_dump(exclude={"description"})


def test_file__is_loaded_by_path(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("name: mine\nhistory_days: 3\n", encoding="utf-8")
    assert load_scenario(path).history_days == 3


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("staff:\n  - {answer_rate: 1.5}\n", "staff[0].answer_rate: Input should be less than"),
        ("volume: {by_hour: [1, 2]}\n", "volume.by_hour: expected 24"),
        ("histroy_days: 3\n", "histroy_days: unknown field"),
        ("clinics:\n  - {working_hours: {mon: '9-21'}}\n", "expected 'HH:MM-HH:MM'"),
        ("timezone: Mars/Olympus\n", "timezone: expected an IANA timezone"),
        ("routes:\n  - {number: nope}\n", "no number with key 'nope'"),
        ("scripted:\n  - {at: '10:00', answered_by: ghost}\n", "no staff with key 'ghost'"),
        ("scripted:\n  - {at: 'noon'}\n", "scripted[0].at"),
        ("faults:\n  - {face: uis, kind: melt}\n", "faults[0].kind"),
        ("staff: [{clinic: 2}]\n", "staff[0].clinic: no clinic with id 2"),
        ("- just a list\n", "expected a mapping"),
        ("name: [unclosed\n", "not valid YAML: line 2"),
    ],
)
def test_mistake__names_the_file_the_field_and_the_expectation(text: str, fragment: str) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, source="clinic.yaml")
    message = str(info.value)
    assert message.startswith("clinic.yaml: ")
    assert fragment in message


def test_readme_example__validates() -> None:
    """The scenario shown in the README is a valid scenario."""
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    start = readme.index("```yaml\nname: my_clinic")
    text = readme[start + len("```yaml\n") : readme.index("```", start + 8)]
    scenario = parse_scenario(text, source="README.md")
    assert scenario.scripted[0].answered_by == "anna"


def test_unknown_name__lists_the_builtins() -> None:
    with pytest.raises(ScenarioError, match="clinic_day"):
        load_scenario("no_such_scenario")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (  # nine administrators of the clinic: the route naming their role rings nine lines
            "staff: [{key: a, count: 9}]\nroutes: [{number: '*'}]\n",
            "routes[0]: rings 9 SIP lines",
        ),
        (  # keyed staff with two lines each: five of them ring ten lines
            "staff: [{key: a, role: doctor, count: 5, sip_lines: [{}, {}]}, {key: b}]\n"
            "routes: [{number: '*', staff: [a1, a2, a3, a4, a5]}]\n",
            "routes[0]: rings 10 SIP lines",
        ),
        (  # no route: calls go to the clinic's administrators
            "staff: [{key: a, count: 3, sip_lines: [{}, {}, {}]}]\n",
            "clinics[0] administrators: rings 9 SIP lines",
        ),
    ],
)
def test_route__ringing_more_lines_than_a_call_has_legs_for_is_refused(
    text: str, fragment: str
) -> None:
    """A call has 10 legs: the caller's, one per line rung, one for a transfer; a route
    ringing more is refused when the scenario loads, not when a day is generated."""
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, source="big.yaml")
    assert fragment in str(info.value)
    assert "at most 8" in str(info.value)


def test_route__ringing_eight_lines_loads_and_generates_its_days() -> None:
    """The largest route allowed: every call of a busy week fits in its legs."""
    from mockpbx.scenarios.engine import Engine

    sc = parse_scenario(
        "staff: [{key: a, count: 8, answer_rate: 0.2}]\n"
        "routes: [{number: '*', strategy: simultaneous}]\n"
        "shares: {transfers: 1.0}\n"
    )
    engine = Engine(sc, seed=3)
    calls = [c for n in range(7) for c in engine.day(date(2026, 5, 11) + timedelta(days=n))]
    assert calls
    assert max(len(c.legs) for c in calls) == 10
