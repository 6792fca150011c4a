"""Uploaded files (photos, evidence, banners, certificates): one small interface.

Files live under ``instance/uploads`` by default. They are never served from ``static/``: every
download goes through a view that checks permission and then calls ``send``. Several app servers
share files by pointing UPLOAD_FOLDER at shared storage (an S3-compatible backend can implement
the same three methods).
"""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import Flask, current_app, send_file
from werkzeug.exceptions import NotFound


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
        return response


def storage() -> LocalStorage:
    """Return the application's file storage."""
    return current_app.extensions["mangxanh.storage"]


def init_app(app: Flask) -> None:
    app.extensions["mangxanh.storage"] = LocalStorage(app.config["UPLOAD_FOLDER"])
