"""Query results as numpy columns: a hundred thousand rows without a Python object per value.

A leaderboard snapshot reads every submitted attempt of a round, then sorts and counts them. As
driver rows that is eight Python objects per attempt, which cost more than the query and the
ranking together. ``fetch_columns`` has the database aggregate the rows into one or a few
values that numpy reads in C: PostgreSQL packs every value as an 8-byte big-endian integer
into one ``bytea`` (``string_agg`` of ``int8send``); SQLite, which has no binary functions,
joins each column's values into one comma-separated text (``group_concat``). (PostgreSQL's
binary COPY holds the same bytes, but as one message per row, and reading 100,000 messages
through the driver costs more than the whole query.)

The result is ``Columns``: one contiguous array per column (numpy sorts, compares and gathers
contiguous arrays several times faster than the fields of a structured array).

Fields are integers, booleans or times (``datetime64[us]``, UTC). A number with a fraction is
read as a count of its smallest unit (e.g. ten-thousandths of a point): a float's decimal
text is not exact on SQLite. Every value must be there: the aggregates leave NULLs out, which
the sizes then show, so a NULL raises ``ValueError``, as does a value too large for its field;
nothing is read wrong or left out. One aggregate holds up to 1 GB (PostgreSQL)
or 10**9 characters (SQLite): millions of rows.
"""

from __future__ import annotations

import warnings

import numpy as np

from core.db import Prepared
from core.extensions import db

#: SQLite keeps a UTC time as fixed-width text ('2026-11-29 10:49:00.211884'); the database
#: concatenates the texts, which numpy reads as one array of 26-byte strings.
_SQLITE_TIME_WIDTH = 26


class Columns:
    """Equal-length numpy arrays by name: a table's rows held column by column."""

    def __init__(self, arrays: dict[str, np.ndarray]):
        self.arrays = arrays

    @classmethod
    def empty(cls, dtype) -> Columns:
        dtype = np.dtype(dtype)
        return cls({name: np.empty(0, dtype.fields[name][0]) for name in dtype.names})

    @classmethod
    def concatenate(cls, parts: list[Columns], dtype) -> Columns:
        names = np.dtype(dtype).names
        if not parts:
            return cls.empty(dtype)
        return cls({name: np.concatenate([part[name] for part in parts]) for name in names})

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]

    def __setitem__(self, name: str, values: np.ndarray) -> None:
        self.arrays[name] = values

    def __len__(self) -> int:
        return len(next(iter(self.arrays.values()), ()))

    def take(self, index: np.ndarray) -> Columns:
        """The rows at ``index`` (positions or a mask), in its order."""
        return Columns({name: values[index] for name, values in self.arrays.items()})


def _kinds(dtype: np.dtype) -> list[str]:
    """Each field's kind: 'i' (integer), 'b' (boolean) or 'M' (time, microseconds)."""
    kinds = []
    for name in dtype.names:
        field = dtype.fields[name][0]
        if field.kind not in "ibM" or (field.kind == "M" and field != np.dtype("M8[us]")):
            raise TypeError(f"column {name}: an integer, a boolean or datetime64[us], not {field}")
        kinds.append(field.kind)
    return kinds


def _aggregating_query(text: str, kinds: list[str], dialect: str) -> str:
    """``text`` wrapped so that the database returns its row count and its values aggregated:
    on PostgreSQL one ``bytea`` of 8-byte big-endian integers, row after row; on SQLite each
    column's values as one comma-separated text (a time column's texts concatenated)."""
    names = [f"c{index}" for index in range(len(kinds))]
    if dialect == "postgresql":
        values = []
        for name, kind in zip(names, kinds, strict=True):
            if kind == "M":  # microseconds since 1970, exact until the year 2255
                name = f"date_part('epoch', {name}) * 1000000"
            elif kind == "b":
                name = f"CAST({name} AS INTEGER)"
            values.append(f"int8send(CAST({name} AS BIGINT))")
        return (
            f"SELECT count(*), string_agg({' || '.join(values)}, ''::bytea)"  # noqa: S608
            f" FROM ({text}) AS packed ({', '.join(names)})"
        )
    aggregates = [
        f"group_concat({name}, '')" if kind == "M" else f"group_concat({name})"
        for name, kind in zip(names, kinds, strict=True)
    ]
    return (
        f"WITH packed ({', '.join(names)}) AS ({text}) "  # noqa: S608 - compiled SQL, our names
        f"SELECT count(*), {', '.join(aggregates)} FROM packed"
    )


def _typed(values: np.ndarray, field: np.dtype) -> np.ndarray:
    """64-bit integers as ``field``, refusing a value too large for it."""
    if field.kind == "M":
        return values.view(field)
    if field.kind == "i" and len(values):
        limits = np.iinfo(field)
        if values.min() < limits.min or values.max() > limits.max:
            raise ValueError(f"a value is too large for {field}")
    return values.astype(field)


def _parse_packed(count: int, data: bytes | None, dtype: np.dtype) -> Columns:
    """PostgreSQL's packed rows (string_agg leaves out a row holding a NULL: the size tells)."""
    width = len(dtype.names)
    if len(data or b"") != count * width * 8:
        raise ValueError("a row holds a NULL")
    rows = np.frombuffer(data or b"", ">i8").reshape(count, width)
    return Columns(
        {
            name: _typed(rows[:, index].astype(np.int64), dtype.fields[name][0])
            for index, name in enumerate(dtype.names)
        }
    )


def _parse(count: int, text: str | None, field: np.dtype) -> np.ndarray:
    """One SQLite column's aggregated text as ``count`` values of ``field``."""
    text = text or ""
    if field.kind == "M":
        data = text.encode("ascii", "replace")
        if len(data) != count * _SQLITE_TIME_WIDTH:
            raise ValueError("a time is NULL or not in SQLite's fixed-width form")
        return np.frombuffer(data, f"S{_SQLITE_TIME_WIDTH}").astype(field)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy warns, and stops, at a value it cannot read
        try:
            values = np.fromstring(text, dtype=np.int64, sep=",") if text else np.empty(0, "i8")
        except (ValueError, DeprecationWarning) as error:
            raise ValueError(f"a value is not an integer: {error}") from None
    if len(values) != count:
        raise ValueError("a column holds a NULL")
    return _typed(values, field)


def fetch_columns(statement: Prepared, dtype, params: dict | None = None) -> Columns:
    """Run ``statement`` (a SELECT) in the session's transaction; its rows as ``Columns`` of
    ``dtype``, whose fields name the statement's columns in order."""
    dtype = np.dtype(dtype)
    kinds = _kinds(dtype)  # a field that cannot be read is refused before the query
    connection = db.session.connection()
    dialect = connection.dialect.name
    text, values = statement.bind(connection.dialect, params or {})
    driver = connection.connection.driver_connection
    cursor = driver.cursor(binary=True) if dialect == "postgresql" else driver.cursor()
    try:
        cursor.execute(_aggregating_query(text, kinds, dialect), values)
        count, *aggregated = cursor.fetchone()
    finally:
        cursor.close()
    if dialect == "postgresql":
        return _parse_packed(count, aggregated[0], dtype)
    return Columns(
        {
            name: _parse(count, column, dtype.fields[name][0])
            for name, column in zip(dtype.names, aggregated, strict=True)
        }
    )
