"""Uploaded files (photos, evidence, banners, certificates): one small interface.

Files live under ``instance/uploads`` by default. They are never served from ``static/``: every
download goes through a view that checks permission and then calls ``send``. Several app servers
share files by pointing UPLOAD_FOLDER at shared storage (an S3-compatible backend can implement
the same three methods).

Files follow the database transaction they belong to (``storage()``): a file written in a
transaction that does not commit is removed again, and a file deleted is removed only once the
transaction commits. A request that fails half-way leaves neither a file no row points to nor a
row pointing to a missing file.
"""

from __future__ import annotations

import logging
import re
import secrets
import unicodedata
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app, send_file
from sqlalchemy.orm import Session
from werkzeug.exceptions import NotFound

from core.extensions import db

#: Keys of ``Session.info``: (storage, key) pairs written, and deleted, in the transaction.
_WRITTEN = "mangxanh.files_written"
_DELETED = "mangxanh.files_deleted"

log = logging.getLogger(__name__)


class LocalStorage:
    """Files in a folder, addressed by opaque keys such as "essay/ab/abcdef….jpg"."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not str(path).startswith(str(self.root.resolve())):
            raise NotFound()
        return path

    def save(self, data: bytes, *, prefix: str, suffix: str) -> str:
        """Store ``data`` under a new random key and return the key."""
        token = secrets.token_hex(16)
        key = f"{prefix}/{token[:2]}/{token}{suffix}"
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)
        return key

    def read(self, key: str) -> bytes:
        path = self._path(key)
        if not path.is_file():
            raise NotFound()
        return path.read_bytes()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        path = self._path(key)
        path.unlink(missing_ok=True)

    def send(self, key: str, *, mimetype: str, download_name: str | None = None):
        """Return a response streaming the file (private caching only)."""
        path = self._path(key)
        if not path.is_file():
            raise NotFound()
        response = send_file(
            path,
            mimetype=mimetype,
            download_name=download_name,
            as_attachment=download_name is not None,
            max_age=0,
        )
        response.headers["Cache-Control"] = "private, no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


#: Folders, control characters and characters no file system accepts are dropped from names.
_UNSAFE_NAME_CHARS = re.compile(r'[<>:"|?*;]')


def download_name(name: str | None, *, suffix: str, default: str) -> str:
    """The name an upload is served under: its uploaded name without folders, control or
    reserved characters, ending in the suffix of its checked type ("../../evil.html" →
    "evil.html.pdf"). Vietnamese stays readable: send_file writes it as RFC 5987 filename*."""
    text = unicodedata.normalize("NFC", name or "")
    text = re.split(r"[\\/]", text)[-1]
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    text = " ".join(_UNSAFE_NAME_CHARS.sub("", text).split()).lstrip(".").strip()
    if not text:
        return default
    if not text.lower().endswith(suffix):
        text = text[: 120 - len(suffix)] + suffix
    return text[-120:]


class SessionFiles:
    """The storage as seen from the current database session (see the module's docstring)."""

    def __init__(self, files: LocalStorage, session) -> None:
        self.files = files
        self.session = session

    def save(self, data: bytes, *, prefix: str, suffix: str) -> str:
        """Store ``data`` under a new random key and return the key; the file is removed again
        if the transaction ends without a commit."""
        key = self.files.save(data, prefix=prefix, suffix=suffix)
        self._remember(_WRITTEN, key)
        return key

    def delete(self, key: str) -> None:
        """Remove the file once the transaction commits (kept if it does not)."""
        self._remember(_DELETED, key)

    def _remember(self, kind: str, key: str) -> None:
        # The transaction the file belongs to, begun now if the session has none yet, so its
        # commit or its end settles the file.
        if not self.session.in_transaction():
            self.session.begin()
        self.session.info.setdefault(kind, []).append((self.files, key))

    def read(self, key: str) -> bytes:
        return self.files.read(key)

    def exists(self, key: str) -> bool:
        return self.files.exists(key)

    def send(self, key: str, *, mimetype: str, download_name: str | None = None):
        return self.files.send(key, mimetype=mimetype, download_name=download_name)


def storage() -> SessionFiles:
    """Return the application's file storage, tied to the current database session."""
    return SessionFiles(current_app.extensions["mangxanh.storage"], db.session())


@sa.event.listens_for(Session, "after_commit")
def _files_committed(session: Session) -> None:
    """The outermost transaction committed: what it wrote stays, what it deleted goes.

    SQLAlchemy also fires this when a savepoint is released; the outer transaction may still
    roll back, so that changes nothing here.
    """
    if session.in_nested_transaction():
        return
    session.info.pop(_WRITTEN, None)
    _remove(session.info.pop(_DELETED, ()))


@sa.event.listens_for(Session, "after_transaction_end")
def _files_abandoned(session: Session, transaction) -> None:
    """The outermost transaction ended without a commit: what it wrote goes, what it deleted
    stays. (A savepoint's end changes nothing here: a file written inside a savepoint that rolls
    back is kept if the outer transaction commits.)"""
    if transaction.parent is not None:
        return
    session.info.pop(_DELETED, None)
    _remove(session.info.pop(_WRITTEN, ()))


def _remove(files_and_keys) -> None:
    # The database has already committed or rolled back: a file that cannot be removed is
    # logged and left, never turned into an error for a request whose work is done.
    for files, key in files_and_keys:
        try:
            files.delete(key)
        except Exception:
            log.warning("could not remove stored file %s", key, exc_info=True)


def init_app(app: Flask) -> None:
    app.extensions["mangxanh.storage"] = LocalStorage(app.config["UPLOAD_FOLDER"])
