"""getLeaderboard's reply, built from bytes kept per snapshot: only the reader's line is new.

When results come out every student reads the board at once, and its first 100 lines are the
same for all of them until the next snapshot. So the reply's text up to the reader's own line is
serialized once per (snapshot, scope, level, limit) and kept, together with the same text
gzip-compressed: a gzip stream flushed at that point, whose compressor each reply copies to add
the reader's line and close the stream. A reply then costs the reader's line, not a hundred
lines' serialization and compression. A reader whose line is among the top lines (marked
``is_me`` there) gets a whole reply kept per (board, line): at most one per top line.

The JSON is the schema's dump with sorted keys, the same document the full path answers.
"""

from __future__ import annotations

import gzip
import threading
import zlib
from dataclasses import dataclass

from flask import Response, current_app, request

from contests.quiz.leaderboards.reading import (
    _STANDINGS_KEPT,
    my_line,
    read_leaderboard,
    reader_ref,
    top_refs,
)
from core.cache import TimedCache

#: gzip (wbits 16 + 15); level 6, zlib's default: a board's lines compress ~15 to 1.
_GZIP_WBITS = 31
_GZIP_LEVEL = 6


@dataclass(frozen=True)
class _Head:
    """A board's reply up to the reader's line: as text, and as an open gzip stream."""

    text: bytes
    gzip: bytes
    compressor: object
    refs: frozenset


def _dumps(value) -> str:
    """The app's JSON (sorted keys), compact as Flask's own replies are."""
    return current_app.json.dumps(value, separators=(",", ":"))


_heads = TimedCache(max_items=64)
_heads_lock = threading.Lock()


def _head(snapshot, scope, level, limit, schema) -> _Head:
    key = (snapshot.id, snapshot.computed_at, scope, level, limit)
    found = _heads.get(key, _STANDINGS_KEPT)
    if found is not None:
        return found
    with _heads_lock:
        found = _heads.get(key, _STANDINGS_KEPT)
        if found is None:
            board = read_leaderboard(
                snapshot=snapshot, scope=scope, me=None, level=level, limit=limit
            )
            dumped = schema.dump(board)
            head = {k: v for k, v in dumped.items() if k not in ("me", "scope")}
            # Sorted keys: computed_at, entrants, entries, level, then me and scope.
            text = _dumps(head)[:-1].encode() + b',"me":'
            compressor = zlib.compressobj(_GZIP_LEVEL, zlib.DEFLATED, _GZIP_WBITS)
            packed = compressor.compress(text) + compressor.flush(zlib.Z_SYNC_FLUSH)
            refs = frozenset(top_refs(snapshot, scope, level, limit))
            found = _Head(text=text, gzip=packed, compressor=compressor, refs=refs)
            _heads.put(key, found, _STANDINGS_KEPT)
    return found


@dataclass(frozen=True)
class _Whole:
    """A whole reply, as text and gzip-compressed: for a reader whose line is a top line."""

    text: bytes
    gzip: bytes


_wholes = TimedCache(max_items=1024)


def _whole(snapshot, scope, level, limit, me, ref, schema) -> _Whole:
    key = (snapshot.id, snapshot.computed_at, scope, level, limit, ref)
    found = _wholes.get(key, _STANDINGS_KEPT)
    if found is None:
        board = read_leaderboard(snapshot=snapshot, scope=scope, me=me, level=level, limit=limit)
        text = _dumps(schema.dump(board)).encode()
        found = _Whole(text=text, gzip=gzip.compress(text, _GZIP_LEVEL, mtime=0))
        _wholes.put(key, found, _STANDINGS_KEPT)
    return found


def board_response(
    *,
    snapshot,
    scope: str,
    level: str | None,
    limit: int,
    me,
    schema,
    line_schema,
) -> Response:
    """The reply from what is kept of the board: its head and the reader's line, or the whole
    reply kept for a reader whose line is among the top lines.

    ``snapshot``: a :class:`~contests.quiz.models.LeaderboardSnapshot` or its
    :class:`~contests.quiz.leaderboards.reading.SnapshotRef`.
    """
    head = _head(snapshot, scope, level, limit, schema)
    ref = reader_ref(scope, me)
    response = Response(mimetype="application/json")
    response.vary.add("Accept-Encoding")
    gzipped = request.accept_encodings["gzip"] > 0
    if ref is not None and ref in head.refs:
        whole = _whole(snapshot, scope, level, limit, me, ref, schema)
        response.set_data(whole.gzip if gzipped else whole.text)
    else:
        mine = my_line(snapshot=snapshot, scope=scope, me=me, level=level) if ref else None
        tail = _dumps(line_schema.dump(mine) if mine else None)
        tail = (tail + ',"scope":' + _dumps(scope) + "}").encode()
        if gzipped:
            closing = head.compressor.copy()
            response.set_data(head.gzip + closing.compress(tail) + closing.flush())
        else:
            response.set_data(head.text + tail)
    if gzipped:
        response.headers["Content-Encoding"] = "gzip"
    return response


def forget_cached_replies() -> None:
    _heads.clear()
    _wholes.clear()
