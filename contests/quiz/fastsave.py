"""The answer save's short path: a save that brings its attempt token, served by the token alone.

Every request goes through Flask: :func:`attempt_token_first` wraps the saveAnswer route. A save
whose ``X-Attempt-Token`` is valid for its attempt is authenticated by the token alone (see
:mod:`contests.quiz.tokens`): no user is loaded, no CSRF token is needed (a custom header cannot
be sent cross-site) and one guarded statement writes the answer
(:func:`contests.quiz.services.store_answer_by_token`). Anything else goes through Flask-WTF's
CSRF check and the route's full checks, which stay the specification and give the canonical
answer or error. Also here: how the save and start routes hold SQLite's write lock for their
write alone.
"""

from __future__ import annotations

from functools import wraps

from flask import current_app, jsonify, request

from contests.quiz import services, tokens
from core.clock import utcnow
from core.db import sqlite_begin_mode, write_transaction
from core.extensions import csrf, db, limiter


def write_lock_last(view):
    """On SQLite, read without the write lock and take it for the write only.

    Saves and starts are the hottest writes: holding SQLite's single write lock for the whole
    request (sign-in lookup included) makes every other worker wait. The reads run in a deferred
    transaction that :func:`end_reads_on_sqlite` ends before the write opens the write
    transaction, so the lock is held for the write and the commit.
    """

    @wraps(view)
    def wrapper(*args, **kwargs):
        token = sqlite_begin_mode.set("DEFERRED")
        try:
            return view(*args, **kwargs)
        finally:
            sqlite_begin_mode.reset(token)

    return wrapper


def end_reads_on_sqlite() -> None:
    """End SQLite's read transaction, keeping what was read; the next one takes the write lock."""
    if db.session.get_bind().dialect.name != "sqlite":
        return
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True
    sqlite_begin_mode.set("IMMEDIATE")


_SEQ_MAX = 2**31 - 1

#: The saveAnswer route's endpoint (contests.quiz.api).
SAVE_ENDPOINT = "quiz_api.save_answer"
#: Set in the WSGI environ by the mounted save application (contests.quiz.saveapp) when it
#: handed on a save whose token :func:`token_save` already declined: the route does not run the
#: same checks and guarded statement a second time.
DECLINED_BY_SAVE_APP = "mangxanh.token_save_declined"


@limiter.request_filter
def _token_saves_skip_the_limiter() -> bool:
    """Flask-Limiter's check has nothing to do for a save that brings a valid token: the route
    has no limit of its own and the application none by default (a save is one small guarded
    write). A forged token is checked like any other request."""
    return (
        request.endpoint == SAVE_ENDPOINT
        and tokens.read(request.headers.get(tokens.HEADER)) is not None
    )


def _read_sheet(attempt_id: int) -> services.Sheet | None:
    """The attempt's sheet; on SQLite a read it needs runs without the write lock."""
    sheet = services.known_sheet(attempt_id)
    if sheet is None:
        token = sqlite_begin_mode.set("DEFERRED")
        try:
            sheet = services.read_sheet(attempt_id)
        finally:
            sqlite_begin_mode.reset(token)
        # The read's transaction ends here, on every database: the write runs in a transaction
        # of its own, and a request never holds two connections.
        if db.session.get_bind().dialect.name == "sqlite":
            end_reads_on_sqlite()
        else:
            session = db.session()
            session.expire_on_commit = False
            try:
                session.commit()
            finally:
                session.expire_on_commit = True
    return sheet


def token_save(grant: tokens.Grant, attempt_id: int, question_id: int):
    """The save as the attempt token allows it: one guarded statement, no user loaded.

    Returns the response, or None when the save is not plainly fine (a body
    :class:`~contests.quiz.api.AnswerInSchema` would not take as it is, a question or choice not
    on the paper, or a guarded write that changed nothing): the full route then gives the
    canonical answer or error.
    """
    body = request.get_json(silent=True)
    if type(body) is not dict or body.keys() != {"choice_ids", "seq"}:
        return None
    choice_ids, seq = body["choice_ids"], body["seq"]
    if type(seq) is not int or not 0 <= seq <= _SEQ_MAX or type(choice_ids) is not list:
        return None
    if any(type(c) is not int for c in choice_ids):
        return None
    choice_ids = list(dict.fromkeys(choice_ids))
    now = utcnow()
    sheet = _read_sheet(attempt_id)
    if sheet is None or not sheet.admits(question_id, choice_ids):
        return None
    # Its own short transaction on the engine, outside the session (whose machinery a single
    # Core statement does not need), ended either way before the full route reads: SQLite's write
    # lock is not held then.
    with write_transaction(db.engine) as connection:
        stored = services.store_answer_by_token(
            sheet=sheet,
            user_id=grant.user_id,
            session_id=grant.session_id,
            attempt_id=attempt_id,
            question_id=question_id,
            choice_ids=choice_ids,
            seq=seq,
            now=now,
            grace=services.grace(),
            connection=connection,
        )
    if not stored:
        return None
    return jsonify(
        question_id=question_id,
        choice_ids=body["choice_ids"],
        seq=seq,
        saved=True,
        seconds_remaining=services.seconds_left(sheet.deadline_at, now),
    )


def attempt_token_first(view):
    """Serve a save that brings a valid attempt token by the token alone (no CSRF token: a
    custom header cannot be sent cross-site); every other save goes through CSRF and the
    full route, as does a token save that is not plainly fine."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        grant = tokens.read(request.headers.get(tokens.HEADER))
        if grant is not None and grant.attempt_id == kwargs["attempt_id"]:
            if not request.environ.get(DECLINED_BY_SAVE_APP):
                answer = token_save(grant, kwargs["attempt_id"], kwargs["question_id"])
                if answer is not None:
                    return answer
        elif current_app.config["WTF_CSRF_ENABLED"]:
            csrf.protect()
        return view(*args, **kwargs)

    # Flask-WTF's check runs in the wrapper above, which skips it for a valid token only.
    return csrf.exempt(wrapper)
