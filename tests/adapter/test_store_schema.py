"""The schema module is the database: migrations to head give exactly `schema.metadata`.

Both sides are reduced to the same plain snapshot (tables; per table its columns in
order with type, nullability, server default and autoincrement; primary key; indexes;
unique, foreign-key and check constraints), the migrated side by reflection, on SQLite
and on PostgreSQL. alembic's `compare_metadata` (tests/adapter/test_store.py) misses
primary keys, server defaults and column order; this comparison does not.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    CheckConstraint,
    Column,
    Connection,
    Dialect,
    ForeignKeyConstraint,
    Table,
    UniqueConstraint,
    inspect,
)
from sqlalchemy.schema import CreateTable

import adapter
from adapter.store import SqlStore
from adapter.store.schema import metadata, scratch
from adapter.store.sql import MIGRATIONS, VERSION_TABLE

ADAPTER = Path(adapter.__file__).parent
SCHEMA = ADAPTER / "store" / "schema.py"

Snapshot = dict[str, dict[str, Any]]


@pytest.fixture
def migrated(store_url: str) -> Iterator[Connection]:
    """A connection to a fresh database the store migrated to head."""
    store = SqlStore(store_url)
    with store.engine.connect() as conn:
        yield conn
    store.close()


def _default(text: str | None) -> str | None:
    """A server default's spelling without the quotes of a literal: PostgreSQL keeps
    DEFAULT '0' of an integer as 0, SQLite keeps what the DDL said."""
    if text is None:
        return None
    return text[1:-1] if len(text) > 1 and text[0] == text[-1] == "'" else text


def _table_snapshot(
    columns: list[tuple[Any, ...]],
    primary_key: tuple[str, ...],
    indexes: list[tuple[Any, ...]],
    uniques: list[tuple[str, ...]],
    foreign_keys: list[tuple[Any, ...]],
    checks: list[str | None],
) -> dict[str, Any]:
    return {
        "columns": columns,
        "primary_key": primary_key,
        "indexes": sorted(indexes),
        "unique": sorted(uniques),
        "foreign_keys": sorted(foreign_keys),
        "checks": sorted(checks, key=str),
    }


def _declared_column(col: Column[Any], dialect: Dialect) -> tuple[Any, ...]:
    ddl = dialect.ddl_compiler(dialect, CreateTable(col.table))
    serial = col.table.autoincrement_column is col
    return (
        col.name,
        col.type.compile(dialect=dialect),
        col.nullable,
        _default(ddl.get_column_default_string(col)),
        serial,
    )


def _declared_table(table: Table, dialect: Dialect) -> dict[str, Any]:
    constraints = table.constraints
    foreign_keys = [f for f in constraints if isinstance(f, ForeignKeyConstraint)]
    return _table_snapshot(
        [_declared_column(c, dialect) for c in table.columns],
        tuple(c.name for c in table.primary_key.columns),
        [(i.name, tuple(c.name for c in i.columns), bool(i.unique)) for i in table.indexes],
        [tuple(c.name for c in u.columns) for u in constraints if type(u) is UniqueConstraint],
        [
            (tuple(f.column_keys), f.referred_table.name, tuple(e.column.name for e in f.elements))
            for f in foreign_keys
        ],
        [str(c.name) if c.name else None for c in constraints if isinstance(c, CheckConstraint)],
    )


def _declared(dialect: Dialect) -> Snapshot:
    """`schema.metadata` as the snapshot a database of `dialect` should reflect."""
    return {table.name: _declared_table(table, dialect) for table in metadata.sorted_tables}


def _reflected_column(c: Any, pk: tuple[str, ...], dialect: Dialect) -> tuple[Any, ...]:
    default = c["default"]
    if dialect.name == "postgresql":
        serial = bool(c.get("autoincrement")) and str(default).startswith("nextval(")
    else:  # SQLite: a lone INTEGER PRIMARY KEY is the rowid, which autoincrements
        serial = pk == (c["name"],) and c["type"].compile(dialect=dialect) == "INTEGER"
    return (
        c["name"],
        c["type"].compile(dialect=dialect),
        c["nullable"],
        None if serial and dialect.name == "postgresql" else _default(default),
        serial,
    )


def _reflected(conn: Connection) -> Snapshot:
    """The migrated database as a snapshot (the version table left out)."""
    insp = inspect(conn)
    out: Snapshot = {}
    for name in insp.get_table_names():
        if name == VERSION_TABLE:
            continue
        pk = tuple(insp.get_pk_constraint(name)["constrained_columns"])
        out[name] = _table_snapshot(
            [_reflected_column(c, pk, conn.dialect) for c in insp.get_columns(name)],
            pk,
            [
                (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                for i in insp.get_indexes(name)
            ],
            [tuple(u["column_names"]) for u in insp.get_unique_constraints(name)],
            [
                (
                    tuple(f["constrained_columns"]),
                    f["referred_table"],
                    tuple(f["referred_columns"]),
                )
                for f in insp.get_foreign_keys(name)
            ],
            [c["name"] for c in insp.get_check_constraints(name)],
        )
    return out


class TestMigratedSchema:
    def test_head__reflects_as_schema_metadata(self, migrated: Connection) -> None:
        """Tables, columns (order, type, nullability, defaults), keys, indexes, constraints."""
        assert _reflected(migrated) == _declared(migrated.dialect)

    def test_head__has_every_table_and_no_other(self, migrated: Connection) -> None:
        """A table added to the migrations or to the schema module alone fails here."""
        present = set(inspect(migrated).get_table_names()) - {VERSION_TABLE}
        assert present == set(metadata.tables)
        assert not present & set(scratch.tables)  # scratch tables exist only in a session

    def test_snapshot__sees_a_changed_column(self, migrated: Connection) -> None:
        """The comparison is not vacuous: one nullability flip is a difference."""
        declared = _declared(migrated.dialect)
        name, type_sql, nullable, default, serial = declared["calls"]["columns"][0]
        declared["calls"]["columns"][0] = (name, type_sql, not nullable, default, serial)
        assert _reflected(migrated) != declared


def _sqlalchemy_constructors(path: Path, wanted: frozenset[str]) -> list[str]:
    """`file:line Name` for each call of SQLAlchemy's `Table`/`MetaData` in `path`,
    however imported (`from sqlalchemy import Table as T`, `sa.Table`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: dict[str, str] = {}
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            names |= {a.asname or a.name: a.name for a in node.names if a.name in wanted}
        elif isinstance(node, ast.Import):
            modules |= {
                a.asname or a.name.split(".")[0]
                for a in node.names
                if a.name.split(".")[0] == "sqlalchemy"
            }
    hits = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in names:
            hits.append(f"{path.relative_to(ADAPTER.parent)}:{node.lineno} {names[func.id]}")
        elif (
            isinstance(func, ast.Attribute)
            and func.attr in wanted
            and ast.unparse(func.value).split(".")[0] in modules
        ):
            hits.append(f"{path.relative_to(ADAPTER.parent)}:{node.lineno} {func.attr}")
    return hits


def test_tables__are_defined_only_in_the_schema_module() -> None:
    """No other adapter module defines a table or a MetaData (rich's `Table` is not one)."""
    wanted = frozenset({"Table", "MetaData"})
    elsewhere = [
        hit
        for path in sorted(ADAPTER.rglob("*.py"))
        if path != SCHEMA and MIGRATIONS not in path.parents
        for hit in _sqlalchemy_constructors(path, wanted)
    ]
    assert elsewhere == []
    assert _sqlalchemy_constructors(SCHEMA, wanted)  # the check does see definitions


def _imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, at the top or inside a function."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            out.add(node.module or "")
    return out


def test_migrations__import_nothing_of_the_adapter() -> None:
    """Each migration spells its own DDL, so changing `schema.py` never changes an old one."""
    versions = sorted(MIGRATIONS.glob("versions/0*.py"))
    assert len(versions) >= 8
    uses_adapter = {
        path.name: sorted(m for m in _imported_modules(path) if m.split(".")[0] == "adapter")
        for path in versions
    }
    assert {name: mods for name, mods in uses_adapter.items() if mods} == {}
    assert "sqlalchemy" in _imported_modules(versions[0])  # the check does see imports
