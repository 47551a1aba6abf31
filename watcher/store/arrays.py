"""Many rows in one small statement on PostgreSQL: each column sent as one array, `unnest` turns them
back into rows.

    rows_source(table, columns) → Select   the rows as a SELECT over unnest(:col1, :col2, …), in order
    insert_rows(insert, table, columns) → Insert   INSERT … SELECT of those rows (the dialect's INSERT,
                                         so ON CONFLICT and RETURNING chain on as usual)
    column_arrays(conn, table, columns, rows) → {column: array}   its parameters, from row dicts
    array_of(column, name)               one parameter, an array of the column's values (for = ANY)
    one_of(column, name, dialect) / listed(conn, column, values)   "column is one of a list" in one
                                         parameter on either dialect (SQLite: a JSON array), and its value

Why: a multi-row INSERT … VALUES of a thousand rows carries sixteen thousand placeholders. psycopg
rewrites such a statement with a regular expression on every execution (it is too long for its cache),
and the server parses and plans it anew each time: on a tracking batch that cost more than the rows'
writing. With arrays the statement has one placeholder a column, whatever the number of rows: it is
built, converted and prepared once.

The rows stored are the same: each array is CAST to its column's type, and its items pass through that
type's own bind processing first (a JSON column's values are serialised as they are one row at a time).
The arrays go in psycopg's binary format: its text format escapes every quote and backslash of every
item with a regular expression, which on a thousand changes' JSON cost more than the VALUES did.
`WITH ORDINALITY … ORDER BY` keeps the rows in the given order: ids are drawn in it, as a multi-row
VALUES draws them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import JSON, Connection, Float, Select, any_, bindparam, cast, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import NullType

ORDER = "ordinality"  # the position unnest numbers each row with
BINARY_ARRAYS = "watcher_binary_arrays"  # in a pooled connection's info: BinaryArray registered


class BinaryArray(list[Any]):
    """A list psycopg sends as an array in its binary format (`_binary_arrays`): no item is escaped."""


def _binary_arrays(conn: Connection) -> None:
    """Have this connection's psycopg send a BinaryArray in its binary format. Registered on the
    connection (once: noted in its pool record), not on psycopg's defaults at import: SQLAlchemy gives
    each new connection adapters of its own, and a SQLite store never loads psycopg (its objects would
    slow every garbage collection)."""
    record = conn.connection
    if record.info.get(BINARY_ARRAYS):
        return
    from psycopg.types.array import ListBinaryDumper

    record.dbapi_connection.adapters.register_dumper(BinaryArray, ListBinaryDumper)  # type: ignore[union-attr]
    record.info[BINARY_ARRAYS] = True


def array_param(name: str, column: Any) -> Any:
    """A parameter cast to an array of the column's type; its value is passed as it is (no SQLAlchemy
    processing: `column_arrays` did it)."""
    return cast(bindparam(name, type_=NullType()), ARRAY(column.type))


def rows_source(table: Any, columns: Sequence[str], prefix: str = "") -> Select[Any]:
    """SELECT the columns' values from one array parameter each (named prefix + column), in order."""
    arrays = [array_param(prefix + name, table.c[name]) for name in columns]
    rows = func.unnest(*arrays).table_valued(*columns, with_ordinality=ORDER).render_derived()
    return select(*(rows.c[name] for name in columns)).order_by(rows.c[ORDER])


def insert_rows(insert: Callable[[Any], Any], table: Any, columns: Sequence[str]) -> Any:
    """`insert(table)` of the rows that `column_arrays` sends, in their order."""
    return insert(table).from_select(list(columns), rows_source(table, columns))


def column_arrays(
    conn: Connection, table: Any, columns: Sequence[str], rows: Sequence[dict[str, Any]], prefix: str = ""
) -> dict[str, list[Any]]:
    """Row dicts (each with every column) as one array a column, each value bind-processed by its
    column's type as SQLAlchemy does one row at a time."""
    return {prefix + name: array(conn, table.c[name], [row[name] for row in rows]) for name in columns}


def array(conn: Connection, column: Any, values: list[Any]) -> list[Any]:
    """The values as the column's array parameter. A float column's ints become floats (an array has
    one type; a row at a time each went alone, and the server cast it the same). A list of only NULLs
    (or none) goes as text: the binary format wants an item to take its type from."""
    dialect = conn.dialect
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    if process is not None:
        values = [process(v) for v in values]
    if isinstance(column.type, Float):
        values = [v if v is None else float(v) for v in values]
    if not any(v is not None for v in values):
        return values
    _binary_arrays(conn)
    return BinaryArray(values)


def array_of(column: Any, name: str) -> Any:
    """A parameter holding an array of the column's values (`column == any_(array_of(…))`); pass
    `array(conn, column, values)`."""
    return array_param(name, column)


def one_of(column: Any, name: str, dialect: str) -> Any:
    """`column` is one of the list bound as `name` (pass `listed(…)`), in ONE parameter however long the
    list: an expanding IN renders a placeholder per item, and the text of the statement changes with the
    list's length, so the driver can neither cache its parsing nor prepare it. PostgreSQL takes an
    array (`= ANY`), SQLite a JSON array (`IN (SELECT value FROM json_each(…))`); both read the index."""
    if dialect == "postgresql":
        return column == any_(array_of(column, name))
    items = func.json_each(bindparam(name, type_=JSON)).table_valued("value")
    return column.in_(select(items.c.value))


def listed(conn: Connection, column: Any, values: list[Any]) -> list[Any]:
    """The value of a `one_of` parameter: on PostgreSQL an array in the binary format (its text format
    tests every item with a regular expression), on SQLite the list (sent as JSON)."""
    return array(conn, column, values) if conn.dialect.name == "postgresql" else values
