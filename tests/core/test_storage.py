"""Uploaded files follow the database transaction: nothing orphaned, nothing lost."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from core.extensions import db
from core.schools.models import District
from core.storage import storage


@pytest.fixture
def files(app, db):
    with app.test_request_context():
        yield storage()


def test_a_file_written_in_a_committed_transaction_stays(files):
    key = files.save(b"photo", prefix="test", suffix=".jpg")

    db.session.commit()

    assert files.read(key) == b"photo"


def test_a_file_written_in_a_transaction_that_rolls_back_is_removed(files):
    key = files.save(b"photo", prefix="test", suffix=".jpg")
    assert files.exists(key)  # written at once, so a commit never points to a missing file

    db.session.rollback()

    assert not files.exists(key)


def test_a_file_written_before_a_failed_commit_is_removed(files):
    key = files.save(b"photo", prefix="test", suffix=".jpg")
    db.session.add(District(code=None, name=None))  # refused by the database at commit

    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()

    assert not files.exists(key)


def test_a_deleted_file_goes_only_once_the_deletion_commits(files):
    kept = files.save(b"old banner", prefix="test", suffix=".jpg")
    gone = files.save(b"old photo", prefix="test", suffix=".jpg")
    db.session.commit()

    files.delete(kept)
    db.session.rollback()  # the row still points to it: the file must stay
    files.delete(gone)
    assert files.exists(gone)
    db.session.commit()

    assert files.read(kept) == b"old banner"
    assert not files.exists(gone)


def test_a_savepoint_rolled_back_inside_a_committed_transaction_changes_nothing(files):
    key = files.save(b"photo", prefix="test", suffix=".jpg")
    with pytest.raises(ValueError), db.session.begin_nested():
        raise ValueError("one row of an import was refused")

    db.session.commit()

    assert files.exists(key)


def test_a_released_savepoint_is_not_the_commit(files):
    """SQLAlchemy also calls a savepoint's release a commit: the outer transaction decides."""
    old = files.save(b"old banner", prefix="test", suffix=".jpg")
    db.session.commit()
    new = files.save(b"new banner", prefix="test", suffix=".jpg")
    files.delete(old)
    with db.session.begin_nested():
        pass

    db.session.rollback()

    assert files.read(old) == b"old banner"
    assert not files.exists(new)


def test_a_file_that_cannot_be_removed_does_not_fail_the_commit(files, monkeypatch, caplog):
    key = files.save(b"photo", prefix="test", suffix=".jpg")
    db.session.commit()
    files.delete(key)

    def refuse(key):
        raise OSError("read-only file system")

    monkeypatch.setattr(files.files, "delete", refuse)
    db.session.commit()

    assert "could not remove stored file" in caplog.text
