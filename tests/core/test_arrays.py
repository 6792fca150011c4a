"""Query results as numpy columns (core.arrays), on both databases."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import numpy as np
import psycopg
import pytest
import sqlalchemy as sa

from core.accounts.models import User
from core.arrays import Columns, _parse, _parse_packed, fetch_columns
from core.db import Prepared, UTCDateTime
from tests.conftest import T0

FAR = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
DTYPE = [
    ("id", "i4"),
    ("big", "i8"),
    ("small", "i2"),
    ("negative", "i4"),
    ("active", "?"),
    ("at", "M8[us]"),
]
QUERY = Prepared(
    sa.select(
        User.id,
        sa.cast(User.id, sa.BigInteger) + 2**62,
        User.id % 7,
        -User.id,
        User.active,
        sa.func.coalesce(User.last_login_at, sa.literal(FAR, UTCDateTime())),
    )
    .where(User.username.like(sa.bindparam("pattern")))
    .order_by(User.id)
)


def test_columns_come_back_as_numbers_and_times_of_their_fields(db, make):
    users = [
        make.user("arr-a", last_login_at=T0),
        make.user("arr-b", active=False, last_login_at=T0 + timedelta(microseconds=1)),
        make.user("arr-c", last_login_at=T0 + timedelta(days=400, seconds=1, microseconds=250)),
        make.user("arr-d", last_login_at=None),
    ]

    rows = fetch_columns(QUERY, DTYPE, {"pattern": "arr-%"})

    assert [rows[name].dtype for name, _kind in DTYPE] == [np.dtype(kind) for _n, kind in DTYPE]
    assert all(rows[name].flags.c_contiguous for name, _kind in DTYPE)
    assert rows["id"].tolist() == [u.id for u in users]
    assert rows["big"].tolist() == [u.id + 2**62 for u in users]
    assert rows["small"].tolist() == [u.id % 7 for u in users]
    assert rows["negative"].tolist() == [-u.id for u in users]
    assert rows["active"].tolist() == [True, False, True, True]
    at = rows["at"]
    assert at[0] == np.datetime64(T0.replace(tzinfo=None), "us")
    assert (at[1] - at[0]) == np.timedelta64(1, "us")
    assert at[2] - at[0] == np.timedelta64((400 * 86_400 + 1) * 1_000_000 + 250, "us")
    assert at[3] > at[2]  # the far-off stand-in for "never" sorts last


def test_no_rows_give_empty_columns(db, make):
    rows = fetch_columns(QUERY, DTYPE, {"pattern": "nobody%"})

    assert len(rows) == 0 and rows["at"].dtype == np.dtype("M8[us]")


@pytest.mark.parametrize(
    ("column", "kind"),
    [
        (User.class_id, "i4"),
        (sa.cast(sa.null(), sa.Integer), "i8"),
        (User.last_login_at, "M8[us]"),
    ],
)
def test_a_null_is_refused_not_read_as_a_number_nor_dropped(db, make, column, kind):
    make.student(username="arr-a", last_login_at=T0)
    make.user("arr-b")  # no class, never signed in
    query = Prepared(sa.select(User.id, column).where(User.username.like("arr-%")))

    with pytest.raises(ValueError, match="NULL"):
        fetch_columns(query, [("id", "i4"), ("value", kind)])


def test_a_value_too_large_for_its_field_is_refused(db, make):
    make.user("arr-a")
    query = Prepared(sa.select(sa.literal(2**40, sa.BigInteger)).where(User.username == "arr-a"))

    with pytest.raises(ValueError, match="too large"):
        fetch_columns(query, [("value", "i4")])


def test_a_statement_without_the_fields_columns_is_refused(db, make):
    make.user("arr-a")
    query = Prepared(sa.select(User.id).where(User.username == "arr-a"))

    with pytest.raises((sqlite3.Error, psycopg.Error), match=r"column|values"):
        fetch_columns(query, [("id", "i4"), ("more", "i4")])


def test_only_integers_booleans_and_times_are_read():
    with pytest.raises(TypeError, match="integer"):
        fetch_columns(QUERY, [("score", "f8")])
    with pytest.raises(TypeError, match="datetime64"):
        fetch_columns(QUERY, [("at", "M8[s]")])


def test_aggregated_values_are_checked():
    i4, when = np.dtype("i4"), np.dtype("M8[us]")

    assert _parse(3, "-1,0,7", i4).tolist() == [-1, 0, 7]
    assert _parse(0, None, i4).tolist() == []
    assert _parse(2, "1,2", np.dtype("?")).tolist() == [True, True]
    times = "2026-11-30 01:00:00.0000002026-11-30 01:00:00.000001"
    assert _parse(2, times, when)[1] == np.datetime64("2026-11-30T01:00:00.000001")
    with pytest.raises(ValueError, match="NULL"):
        _parse(3, "1,2", i4)  # a value left out
    with pytest.raises(ValueError, match="integer"):
        _parse(2, "1,2.5", i4)
    with pytest.raises(ValueError, match="fixed-width"):
        _parse(1, "2026-11-30 01:00:00", when)
    with pytest.raises(ValueError, match="too large"):
        _parse(1, str(2**31), i4)


def test_packed_rows_are_checked():
    dtype = np.dtype([("id", "i4"), ("flag", "?")])
    rows = np.array([[-1, 0], [7, 1]], ">i8").tobytes()

    columns = _parse_packed(2, rows, dtype)

    assert (columns["id"].tolist(), columns["flag"].tolist()) == ([-1, 7], [False, True])
    assert len(_parse_packed(0, None, dtype)) == 0
    with pytest.raises(ValueError, match="NULL"):
        _parse_packed(3, rows, dtype)  # string_agg left a row out


def test_columns_take_rows_and_concatenate():
    columns = Columns({"a": np.array([3, 1, 2]), "b": np.array([0.5, 1.5, 2.5])})

    taken = columns.take(np.array([2, 0]))
    both = Columns.concatenate([taken, columns], [("a", "i8"), ("b", "f8")])

    assert len(columns) == 3 and len(taken) == 2
    assert (taken["a"].tolist(), taken["b"].tolist()) == ([2, 3], [2.5, 0.5])
    assert both["a"].tolist() == [2, 3, 3, 1, 2]
    assert len(Columns.concatenate([], [("a", "i8")])) == 0
    assert Columns.empty([("a", "i4")])["a"].dtype == np.int32
