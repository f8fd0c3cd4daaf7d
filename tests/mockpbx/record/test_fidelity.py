"""Fidelity: structural departures between the provider's and the mock's answers."""

from __future__ import annotations

from typing import Any

from mockpbx.record.fidelity import _Pair, candidate_options, compare, render_html, render_text


def _pair(up: Any, mock: Any, up_status: int = 200, mock_status: int = 200, **kw: Any) -> _Pair:
    return _Pair(
        method=kw.get("method", "get.calls_report"),
        up_status=up_status,
        up_type=kw.get("up_type", "application/json"),
        up_body=up,
        up_kind=kw.get("up_kind", "json"),
        mock_status=mock_status,
        mock_type=kw.get("mock_type", "application/json"),
        mock_body=mock,
        mock_kind=kw.get("mock_kind", "json"),
    )


def _texts(pairs: list[_Pair], face: str = "uis-data") -> list[str]:
    departures, _ = compare(face, pairs)
    return [d.text for d in departures]


def test_identical_shapes__have_no_departures_even_with_other_values() -> None:
    """Other data of the same shape is not a departure."""
    up = {"result": {"data": [{"id": 1, "start_time": "2026-05-14 10:00:00", "is_lost": False}]}}
    mock = {"result": {"data": [{"id": 9, "start_time": "2026-05-13 08:01:02", "is_lost": True}]}}
    departures, matches = compare("uis-data", [_pair(up, mock)])
    assert departures == []
    assert "field sets" in matches["get.calls_report"]


def test_missing_and_extra_fields__are_named_by_path() -> None:
    """A field only one side sends is reported with its path and an example."""
    texts = _texts([_pair({"result": {"a": 1, "b": "x"}}, {"result": {"a": 1, "c": 2}})])
    assert texts == [
        "get.calls_report: the mock lacks field `result.b` "
        "(the provider sent it in 1 place(s), e.g. 'x')",
        "get.calls_report: the mock sends field `result.c` (e.g. 2), which the provider never sent",
    ]


def test_types_and_null__are_departures() -> None:
    """string vs int, and null where the other side never sends null."""
    texts = _texts([_pair({"r": "1000", "t": 5}, {"r": 1000, "t": None})])
    assert "get.calls_report: `r`: the provider sends string where the mock sends int" in texts[0]
    assert "`t`: the mock sends null where the provider never does" in texts[1]


def test_errors_statuses_and_time_formats__are_departures() -> None:
    """An error mnemonic not emulated, another HTTP status, another time format and offset."""
    up_err = {"error": {"code": -32001, "data": {"mnemonic": "access_token_expired"}}}
    mock_err = {"error": {"code": -32001, "data": {"mnemonic": "access_token_invalid"}}}
    texts = _texts([_pair(up_err, mock_err, 401, 200)])
    assert any("error `-32001 access_token_expired` is not emulated" in t for t in texts)
    assert any("the provider answers HTTP 401, the mock HTTP 200" in t for t in texts)
    times = _texts(
        [
            _pair(
                {"t": "2026-05-14T10:00:00.123", "o": "2026-05-14T10:00:00+00:00"},
                {"t": "2026-05-14 10:00:00", "o": "2026-05-14T13:00:00+03:00"},
            )
        ]
    )
    assert "`o`: the provider's times carry UTC offset +00:00, the mock's +03:00" in times[0]
    assert "`t`: the provider writes times as iso_ms" in times[1]


def test_enum_values__the_mock_never_sends_are_listed() -> None:
    """Values of an enumeration the provider uses and the mock does not."""
    up = {"rows": [{"s": v} for v in ["Registered", "Registered", "Offline", "Offline"]]}
    mock = {"rows": [{"s": v} for v in ["Зарегистрирован"] * 4]}
    (text,) = _texts([_pair(up, mock)])
    assert (
        "`rows[].s`: the provider sends ['Offline', 'Registered'], which the mock never does"
        in text
    )


def test_csv_layout__line_ending_and_trailing_newline() -> None:
    """Text (CSV) answers are compared by layout, not by content."""
    pair = _pair(
        "a;b\r\n1;2\r\n",
        "a;b\n3;4",
        up_kind="text",
        mock_kind="text",
        up_type="text/csv",
        mock_type="text/csv",
        method="stats/result",
    )
    texts = _texts([pair], face="mango")
    assert any("CSV line ending" in t for t in texts)
    assert any("trailing newline" in t for t in texts)


def test_candidate_options__are_the_two_reading_options_of_the_face() -> None:
    """Literal and bool options are candidates; numeric budgets are not."""
    uis = dict(candidate_options("uis-data"))
    assert uis.get("list_calls_time_format") in ("iso_ms", "space")
    assert "minute_limit" not in uis
    assert ("time_offset", "utc") in candidate_options("clinic")
    assert ("result_as_string", True) in candidate_options("mango")


def test_renderers__list_each_departure_and_the_option_that_closes_it() -> None:
    """Text and HTML carry the departure text and its closing option."""
    report = {
        "face": "clinic",
        "upstream": "https://x",
        "exchanges": 1,
        "departures": 1,
        "methods": {
            "GetFinishedCalls": {
                "exchanges": 1,
                "matches": ["types"],
                "departures": [
                    {"text": "GetFinishedCalls: <x>", "closed_by": ["clinic.include_id=false"]}
                ],
            }
        },
    }
    assert "closed by clinic.include_id=false" in render_text(report)
    assert "GetFinishedCalls: &lt;x&gt;" in render_html(report)
