"""`filter` trees and `sort` of the Data API `get.*` methods, compiled to Python callables.

A leaf is `{"field", "operator", "value"}`, a tree `{"filters": [...], "condition": "and"|"or"}`,
nested to any depth. Operators (the docs' error list, see errors.py): = != < > <= >= like ilike
not_like not_ilike regexp jsquery in not_in overlap not_overlap is_null is_not_null.

Deviations: `regexp` is Python's `re` (close to POSIX ERE for the usual patterns);
`jsquery` supports the common subset `path op value` joined by AND/OR
(`#` any array element, `*` any key, dotted keys; ops = != < > <= >=, `in (...)`).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Sequence
from typing import Any

from mockpbx.providers.uis.errors import err
from mockpbx.providers.uis.schemas import FieldSpec, SortItem, check_wall_clock

__all__ = ["Getter", "Predicate", "compile_filter", "sort_rows"]

Getter = Callable[[Any], Any]
Predicate = Callable[[Any], bool]
GetterFactory = Callable[[str], Getter]

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}
_LIKE = {"like": (False, False), "ilike": (True, False), "not_like": (False, True)}
_LIKE["not_ilike"] = (True, True)
OPERATORS = (
    "=",
    "!=",
    *_COMPARE,
    *_LIKE,
    "regexp",
    "jsquery",
    "in",
    "not_in",
    "overlap",
    "not_overlap",
    "is_null",
    "is_not_null",
)


def compile_filter(
    raw: Any, spec: dict[str, FieldSpec], getter: GetterFactory, default_condition: str = "and"
) -> Predicate | None:
    """A predicate for `raw` (None when there is no filter), or the UIS error for it."""
    if raw is None:
        return None
    return _node(raw, spec, getter, default_condition, "filter", 0)


def _node(
    raw: Any, spec: dict[str, FieldSpec], getter: GetterFactory, cond: str, path: str, depth: int
) -> Predicate:
    if not isinstance(raw, dict):
        raise err("data_type_error", field=path, value=raw)
    if depth > 20:
        raise err("invalid_parameter_value", field=path, message="Filter is nested too deep")
    if "filters" in raw:
        return _tree(raw, spec, getter, cond, path, depth)
    return _leaf(raw, spec, getter, path)


def _tree(
    raw: dict[str, Any],
    spec: dict[str, FieldSpec],
    getter: GetterFactory,
    cond: str,
    path: str,
    depth: int,
) -> Predicate:
    extra = set(raw) - {"filters", "condition"}
    if extra:
        raise err("unexpected_parameters", field=f"{path}.{sorted(extra)[0]}")
    items, condition = raw["filters"], raw.get("condition", cond)
    if not isinstance(items, list):
        raise err("data_type_error", field=f"{path}.filters", value=items)
    if not items:
        raise err("invalid_parameter_value", field=f"{path}.filters", value=items)
    if condition not in ("and", "or"):
        raise err("invalid_parameter_value", field=f"{path}.condition", value=condition)
    parts = [_node(item, spec, getter, cond, f"{path}.filters", depth + 1) for item in items]
    if condition == "and":
        return lambda row: all(p(row) for p in parts)
    return lambda row: any(p(row) for p in parts)


def _leaf(
    raw: dict[str, Any], spec: dict[str, FieldSpec], getter: GetterFactory, path: str
) -> Predicate:
    extra = set(raw) - {"field", "operator", "value"}
    if extra:
        raise err("unexpected_parameters", field=f"{path}.{sorted(extra)[0]}")
    for key in ("field", "operator"):
        if key not in raw:
            raise err("required_parameter_missed", field=f"{path}.{key}")
        if not isinstance(raw[key], str):
            raise err("data_type_error", field=f"{path}.{key}", value=raw[key])
    name, op, value = raw["field"], raw["operator"], raw.get("value")
    fspec = spec.get(name)
    if fspec is None:
        raise err("unexpected_parameters", field=f"{path}.field", value=name)
    if not fspec.filterable:
        raise err("filter_prohibited", field=f"{path}.field", value=name)
    if op not in OPERATORS:
        raise err("invalid_parameter_value", field=f"{path}.operator", value=op)
    get = getter(name)
    test = _operator(op, value, fspec, f"{path}.value")
    return lambda row: test(get(row))


# -- operators ------------------------------------------------------------------------
def _operator(op: str, value: Any, fspec: FieldSpec, path: str) -> Callable[[Any], bool]:
    if op in ("is_null", "is_not_null"):
        want_null = op == "is_null"
        return lambda v: _is_null(v) == want_null
    if op in ("=", "!="):
        return _equality(op, value, fspec, path)
    if op in _COMPARE:
        return _comparison(op, value, fspec, path)
    if op in _LIKE:
        return _like(op, value, path)
    if op == "regexp":
        return _regexp(value, path)
    if op in ("in", "not_in"):
        return _membership(op, value, fspec, path)
    if op in ("overlap", "not_overlap"):
        return _overlap(op, value, path)
    return _jsquery(value, path)


def _is_null(v: Any) -> bool:
    return v is None or v == [] or v == {}


def _coerce(value: Any, fspec: FieldSpec, path: str) -> Any:
    """The filter value in the field's type; a value that cannot be one is invalid."""
    if value is None:
        return None
    kind = fspec.type
    try:
        if kind == "number":
            if isinstance(value, bool):
                raise ValueError
            return value if isinstance(value, (int, float)) else float(str(value))
        if kind == "boolean":
            if isinstance(value, bool):
                return value
            return {"true": True, "false": False}[str(value).lower()]
        if kind == "iso8601":
            check_wall_clock(str(value))
            return str(value)
        if kind in ("array", "object"):
            return value
        if isinstance(value, (dict, list)):
            raise ValueError
        return value if isinstance(value, str) else _json_scalar(value)
    except (ValueError, KeyError, TypeError):
        raise err("invalid_parameter_value", field=path, value=value) from None


def _json_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _equality(op: str, value: Any, fspec: FieldSpec, path: str) -> Callable[[Any], bool]:
    want = _coerce(value, fspec, path)
    if want is None:
        return (lambda v: _is_null(v)) if op == "=" else (lambda v: not _is_null(v))
    if op == "=":
        return lambda v: v == want
    return lambda v: v is not None and v != want


def _comparison(op: str, value: Any, fspec: FieldSpec, path: str) -> Callable[[Any], bool]:
    if fspec.type not in ("number", "iso8601") or value is None:
        raise err("invalid_parameter_value", field=path, value=value)
    want, compare = _coerce(value, fspec, path), _COMPARE[op]
    return lambda v: v is not None and compare(v, want)


def _like(op: str, value: Any, path: str) -> Callable[[Any], bool]:
    if not isinstance(value, str):
        raise err("invalid_parameter_value", field=path, value=value)
    insensitive, negate = _LIKE[op]
    pattern = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in value)
    rx = re.compile(pattern, re.DOTALL | (re.IGNORECASE if insensitive else 0))

    def test(v: Any) -> bool:
        if v is None:
            return False
        return (rx.fullmatch(str(v)) is not None) != negate

    return test


def _regexp(value: Any, path: str) -> Callable[[Any], bool]:
    if not isinstance(value, str):
        raise err("invalid_parameter_value", field=path, value=value)
    try:
        rx = re.compile(value)
    except (re.error, OverflowError, RecursionError):
        raise err("invalid_parameter_value", field=path, value=value) from None
    return lambda v: v is not None and rx.search(str(v)) is not None


def _membership(op: str, value: Any, fspec: FieldSpec, path: str) -> Callable[[Any], bool]:
    if not isinstance(value, list):
        raise err("invalid_parameter_value", field=path, value=value)
    wanted = [_coerce(item, fspec, path) for item in value]
    try:
        pool: Any = frozenset(wanted)
    except TypeError:
        pool = wanted
    if op == "in":
        return lambda v: v is not None and _contains(pool, v)
    return lambda v: v is not None and not _contains(pool, v)


def _contains(pool: Any, v: Any) -> bool:
    try:
        return v in pool
    except TypeError:  # an unhashable row value (a list) against a set
        return any(v == p for p in pool)


def _overlap(op: str, value: Any, path: str) -> Callable[[Any], bool]:
    wanted = value if isinstance(value, list) else [value]
    if any(isinstance(w, (dict, list)) for w in wanted):
        raise err("invalid_parameter_value", field=path, value=value)

    def hit(v: Any) -> bool:
        items = v if isinstance(v, list) else [v]
        flat = [x for item in items for x in (item.values() if isinstance(item, dict) else [item])]
        return any(w in flat for w in wanted)

    if op == "overlap":
        return hit
    return lambda v: not hit(v)


# -- jsquery (subset) ------------------------------------------------------------------
_JSQ_TERM = re.compile(
    r"""\s*(?P<path>[#*%\w]+(?:\.[#*%\w]+)*)\s*
        (?:(?P<op>!=|<=|>=|=|<|>)\s*(?P<value>"(?:[^"\\]|\\.)*"|[-\w.]+)
          |(?P<in>in)\s*\((?P<list>[^)]*)\))\s*""",
    re.VERBOSE | re.IGNORECASE,
)


def _jsquery(value: Any, path: str) -> Callable[[Any], bool]:
    if not isinstance(value, str) or not value.strip():
        raise err("invalid_parameter_value", field=path, value=value)
    ors = []
    for disjunct in re.split(r"\s+or\s+|\s*\|\s*", value, flags=re.IGNORECASE):
        terms = []
        for part in re.split(r"\s+and\s+|\s*&\s*", disjunct, flags=re.IGNORECASE):
            m = _JSQ_TERM.fullmatch(part)
            if m is None:
                raise err("invalid_parameter_value", field=path, value=value)
            terms.append(_jsq_term(m))
        ors.append(terms)
    return lambda v: any(all(t(v) for t in terms) for terms in ors)


def _jsq_literal(text: str) -> Any:
    text = text.strip()
    if text.startswith('"'):
        return text[1:-1].replace('\\"', '"')
    lowered = text.lower()
    if lowered in ("true", "false", "null"):
        return {"true": True, "false": False, "null": None}[lowered]
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def _jsq_term(m: re.Match[str]) -> Callable[[Any], bool]:
    keys = m["path"].split(".")
    if m["in"]:
        wanted = [_jsq_literal(x) for x in m["list"].split(",") if x.strip()]
        return lambda v: any(x in wanted for x in _walk(v, keys))
    op, want = m["op"], _jsq_literal(m["value"])
    if op == "=":
        return lambda v: any(x == want for x in _walk(v, keys))
    if op == "!=":
        return lambda v: any(x != want for x in _walk(v, keys))
    compare = _COMPARE[op]

    def test(v: Any) -> bool:
        for x in _walk(v, keys):
            try:
                if x is not None and compare(x, want):
                    return True
            except TypeError:
                continue
        return False

    return test


def _walk(v: Any, keys: Sequence[str]) -> list[Any]:
    """Values at `keys` inside `v`: `#` any array element, `*`/`%` any key."""
    nodes = [v]
    for key in keys:
        nxt: list[Any] = []
        for node in nodes:
            if key == "#" and isinstance(node, list):
                nxt.extend(node)
            elif key in ("*", "%") and isinstance(node, dict):
                nxt.extend(node.values())
            elif isinstance(node, dict) and key in node:
                nxt.append(node[key])
        nodes = nxt
    return nodes


# -- sort ----------------------------------------------------------------------------------
def sort_rows(
    rows: list[Any], items: Sequence[SortItem], spec: dict[str, FieldSpec], getter: GetterFactory
) -> list[Any]:
    """Rows sorted by `items` (first item most significant); nulls last asc, first desc."""
    keyed: list[tuple[Getter, bool]] = []
    for item in items:
        fspec = spec.get(item.field)
        if fspec is None:
            raise err("unexpected_parameters", field="sort.field", value=item.field)
        if not fspec.sortable:
            raise err("sort_prohibited", field="sort.field", value=item.field)
        keyed.append((getter(item.field), item.order == "desc"))
    out = list(rows)
    for get, desc in reversed(keyed):
        out.sort(key=lambda row, g=get: _null_last(g(row)), reverse=desc)  # type: ignore[misc]
    return out


def _null_last(v: Any) -> tuple[bool, Any]:
    if isinstance(v, (list, dict)):
        return (v is None, str(v))
    return (v is None, v if v is not None else 0)
