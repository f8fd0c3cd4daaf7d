"""Filter trees and sort compiled over plain rows, without HTTP."""

from __future__ import annotations

import operator
from typing import Any

import pytest

from mockpbx.providers.uis.errors import UisError
from mockpbx.providers.uis.filters import compile_filter, sort_rows
from mockpbx.providers.uis.schemas import FieldSpec, SortItem

SPEC = {
    "id": FieldSpec("id", "number", True, True, True),
    "name": FieldSpec("name", "string", True, True, True),
    "when": FieldSpec("when", "iso8601", True, True, True),
    "lost": FieldSpec("lost", "boolean", True, True, False),
    "tags": FieldSpec("tags", "array", False, True, False),
    "secret": FieldSpec("secret", "string", False, False, False),
}
ROWS: list[dict[str, Any]] = [
    {"id": 1, "name": "Анна", "when": "2026-05-13 09:00:00", "lost": False, "tags": []},
    {"id": 2, "name": "анна", "when": "2026-05-13 10:00:00", "lost": True, "tags": [{"tag_id": 5}]},
    {"id": 3, "name": None, "when": "2026-05-13 11:00:00", "lost": False, "tags": ["vip", "new"]},
]


def _ids(raw: Any) -> list[int]:
    test = compile_filter(raw, SPEC, operator.itemgetter)
    assert test is not None
    return [row["id"] for row in ROWS if test(row)]


@pytest.mark.parametrize(
    ("leaf", "expected"),
    [
        ({"field": "id", "operator": "=", "value": 2}, [2]),
        ({"field": "id", "operator": "=", "value": "2"}, [2]),
        ({"field": "id", "operator": "!=", "value": 2}, [1, 3]),
        ({"field": "id", "operator": ">=", "value": 2}, [2, 3]),
        ({"field": "when", "operator": "<", "value": "2026-05-13 10:00:00"}, [1]),
        ({"field": "name", "operator": "like", "value": "Ан%"}, [1]),
        ({"field": "name", "operator": "ilike", "value": "ан%"}, [1, 2]),
        ({"field": "name", "operator": "not_ilike", "value": "%нн%"}, []),
        ({"field": "name", "operator": "regexp", "value": "^а"}, [2]),
        ({"field": "id", "operator": "in", "value": [1, 3]}, [1, 3]),
        ({"field": "id", "operator": "not_in", "value": [1, 3]}, [2]),
        ({"field": "tags", "operator": "overlap", "value": ["vip"]}, [3]),
        ({"field": "tags", "operator": "not_overlap", "value": "vip"}, [1, 2]),
        ({"field": "tags", "operator": "jsquery", "value": "#.tag_id = 5"}, [2]),
        ({"field": "tags", "operator": "jsquery", "value": '# = "new" or #.tag_id > 9'}, [3]),
        ({"field": "name", "operator": "is_null", "value": None}, [3]),
        ({"field": "tags", "operator": "is_not_null", "value": None}, [2, 3]),
        ({"field": "name", "operator": "=", "value": None}, [3]),
        ({"field": "lost", "operator": "=", "value": True}, [2]),
    ],
)
def test_operator__selects_rows(leaf: dict[str, Any], expected: list[int]) -> None:
    assert _ids(leaf) == expected


def test_tree__nests_and_or() -> None:
    tree = {
        "filters": [
            {"field": "lost", "operator": "=", "value": False},
            {
                "filters": [
                    {"field": "id", "operator": "=", "value": 1},
                    {"field": "id", "operator": "=", "value": 2},
                ],
                "condition": "or",
            },
        ],
        "condition": "and",
    }
    assert _ids(tree) == [1]


@pytest.mark.parametrize(
    ("raw", "mnemonic", "field"),
    [
        ({"field": "nope", "operator": "=", "value": 1}, "unexpected_parameters", "filter.field"),
        ({"field": "secret", "operator": "=", "value": 1}, "filter_prohibited", "filter.field"),
        (
            {"field": "id", "operator": "≈", "value": 1},
            "invalid_parameter_value",
            "filter.operator",
        ),
        ({"field": "id", "operator": "=", "value": "x"}, "invalid_parameter_value", "filter.value"),
        (
            {"field": "name", "operator": "regexp", "value": "("},
            "invalid_parameter_value",
            "filter.value",
        ),
        ({"field": "id", "operator": "in", "value": 3}, "invalid_parameter_value", "filter.value"),
        (
            {"field": "name", "operator": ">", "value": "a"},
            "invalid_parameter_value",
            "filter.value",
        ),
        ({"operator": "=", "value": 1}, "required_parameter_missed", "filter.field"),
        ({"filters": [], "condition": "and"}, "invalid_parameter_value", "filter.filters"),
        (
            {"filters": [{"field": "id", "operator": "=", "value": 1}], "condition": "xor"},
            "invalid_parameter_value",
            "filter.condition",
        ),
        (
            {"field": "tags", "operator": "jsquery", "value": "#.("},
            "invalid_parameter_value",
            "filter.value",
        ),
        ([1], "data_type_error", "filter"),
    ],
)
def test_bad_filter__names_the_problem(raw: Any, mnemonic: str, field: str) -> None:
    with pytest.raises(UisError) as info:
        compile_filter(raw, SPEC, operator.itemgetter)
    assert info.value.mnemonic == mnemonic
    assert info.value.field == field


def test_sort__several_keys_nulls_last() -> None:
    rows = sort_rows(
        ROWS,
        [SortItem(field="name"), SortItem(field="id", order="desc")],
        SPEC,
        operator.itemgetter,
    )
    assert [r["id"] for r in rows] == [1, 2, 3]
    rows = sort_rows(ROWS, [SortItem(field="name", order="desc")], SPEC, operator.itemgetter)
    assert [r["id"] for r in rows] == [3, 2, 1]


def test_sort__unsortable_field_is_prohibited() -> None:
    with pytest.raises(UisError) as info:
        sort_rows(ROWS, [SortItem(field="lost")], SPEC, operator.itemgetter)
    assert info.value.mnemonic == "sort_prohibited"
