"""The editor's JSON API: every operation allowed and forbidden, 409 closed, 404 other's entry."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from contests.essay import services
from contests.essay.models import Entry, EntryStatus
from core.schools.models import SchoolLevel
from tests.conftest import T0
from tests.contests.essay.conftest import gps_exif, image_bytes, words

pytestmark = pytest.mark.usefixtures("frozen")


def url(round_id: int) -> str:
    return f"/api/v1/essay/rounds/{round_id}/entry"


def entry_url(entry_id: int, suffix: str) -> str:
    return f"/api/v1/essay/entries/{entry_id}{suffix}"


@pytest.fixture
def other(make):
    return make.student(full_name="Trần Văn Khác")


@pytest.fixture
def written(entry):
    services.save_draft(entry=entry, title="Tiêu đề", body=words(30), seq=1, now=T0)
    return entry


def test_openapi_lists_the_operation_ids(client):
    spec = client.get("/api/v1/openapi.json").get_json()

    ids = {
        op["operationId"]
        for path in spec["paths"].values()
        for op in path.values()
        if isinstance(op, dict) and "operationId" in op
    }
    assert {
        "getMyEntry",
        "saveDraft",
        "uploadPhoto",
        "deletePhoto",
        "submitEntry",
        "withdrawEntry",
    } <= ids


def test_get_my_entry_before_first_save_is_null(client, login, student, open_round):
    login(student)

    response = client.get(url(open_round.id))

    assert response.status_code == 200
    data = response.get_json()
    assert data["entry"] is None
    assert data["round"]["min_words"] == 10
    assert data["round"]["is_open"] is True
    assert data["round"]["seconds_remaining"] == 7200


def test_get_my_entry_anonymous_is_401(client, open_round):
    assert client.get(url(open_round.id)).status_code == 401


def test_get_my_entry_organizer_is_403(client, login, make, open_round):
    login(make.organizer())

    assert client.get(url(open_round.id)).status_code == 403


def test_get_my_entry_ineligible_student_is_403(client, login, student, make_round):
    login(student)
    round_ = make_round(school_levels=[SchoolLevel.TH.value])

    assert client.get(url(round_.id)).status_code == 403


def test_save_draft_creates_entry_and_returns_it(db, client, login, student, open_round):
    login(student)

    response = client.put(url(open_round.id), json={"title": "T", "body": "Một hai", "seq": 3})

    assert response.status_code == 200
    data = response.get_json()
    assert data["accepted"] is True
    assert data["entry"]["body"] == "Một hai"
    assert data["entry"]["seq"] == 3
    assert data["entry"]["word_count"] == 2
    stored = db.session.scalar(sa.select(Entry).where(Entry.student_id == student.id))
    assert stored.body == "Một hai"


def test_save_draft_organizer_is_403(client, login, make, open_round):
    login(make.organizer())

    response = client.put(url(open_round.id), json={"title": "T", "body": "x", "seq": 1})

    assert response.status_code == 403


def test_save_draft_anonymous_is_401(client, open_round):
    response = client.put(url(open_round.id), json={"title": "T", "body": "x", "seq": 1})

    assert response.status_code == 401


def test_save_draft_older_seq_not_accepted(client, login, student, open_round):
    login(student)
    client.put(url(open_round.id), json={"title": "T", "body": "mới", "seq": 10})

    response = client.put(url(open_round.id), json={"title": "T", "body": "cũ", "seq": 9})

    assert response.get_json()["accepted"] is False
    assert response.get_json()["entry"]["body"] == "mới"


def test_save_draft_closed_round_is_409_with_message(client, login, student, make_round):
    login(student)
    closed = make_round(opens_at=T0 - timedelta(days=3), closes_at=T0)

    response = client.put(url(closed.id), json={"title": "T", "body": "x", "seq": 1})

    assert response.status_code == 409
    assert (
        response.get_json()["error"]["message"]
        == "Vòng thi đã đóng theo hạn nộp; không thể sửa bài nữa."
    )


def test_save_draft_malformed_body_is_400(client, login, student, open_round):
    login(student)

    response = client.put(url(open_round.id), json={"title": "T", "seq": "x"})

    assert response.status_code == 400


def test_save_draft_query_count_is_bounded(app, db, client, login, written, student, open_round):
    login(student)
    statements = []

    def count(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.put(url(open_round.id), json={"title": "T", "body": "a b c", "seq": 2})
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)

    assert response.status_code == 200
    # Including the signed-in user with roles and session, one query (it ran in production
    # before too; only this test's cached user skipped it).
    assert len(statements) <= 9, statements


def test_upload_photo_by_author_is_201_and_exif_gone(client, login, student, written):
    login(student)

    response = client.post(
        entry_url(written.id, "/photos"),
        data={"file": (io.BytesIO(image_bytes(exif=gps_exif())), "a.jpg"), "caption": "Ảnh"},
        content_type="multipart/form-data",
    )

    assert response.status_code == 201
    photo = response.get_json()
    image = client.get(photo["url"])
    assert image.status_code == 200
    assert b"Nguyen Thi Mai" not in image.data
    assert image.headers["Cache-Control"] == "private, no-store"


def test_upload_photo_other_students_entry_is_404(client, login, other, written):
    login(other)

    response = client.post(
        entry_url(written.id, "/photos"),
        data={"file": (io.BytesIO(image_bytes()), "a.jpg")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 404
    assert written.photos == []


def test_upload_photo_oversize_is_413(client, login, student, written):
    login(student)
    big = image_bytes() + b"\0" * (services.MAX_PHOTO_BYTES + 10)

    response = client.post(
        entry_url(written.id, "/photos"),
        data={"file": (io.BytesIO(big), "a.jpg")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 413
    assert written.photos == []


def test_upload_photo_not_an_image_is_400(client, login, student, written):
    login(student)

    response = client.post(
        entry_url(written.id, "/photos"),
        data={"file": (io.BytesIO(b"MZ\x90\x00 not an image"), "a.jpg")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 400
    assert written.photos == []


def test_upload_photo_pixel_flood_is_400_with_message_beside_the_field(
    client, login, student, written
):
    from tests.images import flood_png

    login(student)

    response = client.post(
        entry_url(written.id, "/photos"),
        data={"file": (io.BytesIO(flood_png(8900)), "a.png")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 400
    assert response.get_json()["error"]["message"] == (
        "Ảnh có hơn 40 megapixel (quá nhiều điểm ảnh). Vui lòng chọn ảnh nhỏ hơn."
    )
    assert response.get_json()["error"]["field"] == "file"
    assert written.photos == []


def test_delete_photo_by_author_is_204(client, login, student, written):
    photo = services.upload_photo(entry=written, data=image_bytes(), now=T0)
    login(student)

    response = client.delete(entry_url(written.id, f"/photos/{photo.id}"))

    assert response.status_code == 204
    assert written.photos == []


def test_delete_photo_other_student_is_404(client, login, other, written):
    photo = services.upload_photo(entry=written, data=image_bytes(), now=T0)
    login(other)

    response = client.delete(entry_url(written.id, f"/photos/{photo.id}"))

    assert response.status_code == 404
    assert len(written.photos) == 1


def test_submit_entry_gives_receipt_and_retry_same(client, login, student, written):
    login(student)

    first = client.post(entry_url(written.id, "/submit"))
    second = client.post(entry_url(written.id, "/submit"))

    assert first.status_code == 200
    assert first.get_json() == {"code": written.code, "submitted_at": "2026-11-30T01:00:00+00:00"}
    assert second.get_json() == first.get_json()


def test_submit_entry_other_student_is_404(client, login, other, written):
    login(other)

    assert client.post(entry_url(written.id, "/submit")).status_code == 404
    assert written.status == EntryStatus.DRAFT


def test_submit_entry_after_deadline_is_409(client, login, student, written, frozen, open_round):
    login(student)
    frozen.move_to(open_round.closes_at + timedelta(seconds=services.DEFAULT_GRACE_SECONDS + 1))

    response = client.post(entry_url(written.id, "/submit"))

    assert response.status_code == 409
    assert written.status == EntryStatus.DRAFT


def test_submit_entry_in_flight_at_the_close_is_accepted(
    client, login, student, written, frozen, open_round
):
    login(student)
    frozen.move_to(open_round.closes_at + timedelta(seconds=5))

    response = client.post(entry_url(written.id, "/submit"))

    assert response.status_code == 200
    assert written.status == EntryStatus.SUBMITTED


def test_withdraw_entry_by_author(client, login, student, written):
    services.submit_entry(entry=written, now=T0)
    login(student)

    response = client.post(entry_url(written.id, "/withdraw"))

    assert response.status_code == 200
    assert response.get_json()["status"] == "withdrawn"


def test_withdraw_entry_other_student_is_404(client, login, other, written):
    services.submit_entry(entry=written, now=T0)
    login(other)

    assert client.post(entry_url(written.id, "/withdraw")).status_code == 404
    assert written.status == EntryStatus.SUBMITTED


def test_set_consent_by_author(client, login, student, written):
    login(student)

    response = client.put(entry_url(written.id, "/consent"), json={"student": True, "parent": True})

    assert response.status_code == 200
    assert (written.consent_student, written.consent_parent) == (True, True)
    assert written.may_publish_name is True


def test_set_consent_other_student_is_404(client, login, other, written):
    login(other)

    response = client.put(entry_url(written.id, "/consent"), json={"student": True, "parent": True})

    assert response.status_code == 404
    assert written.consent_student is False


def test_list_versions_by_author(client, login, student, written):
    login(student)

    response = client.get(entry_url(written.id, "/versions"))

    assert response.status_code == 200
    assert [(v["seq"], v["word_count"]) for v in response.get_json()] == [(1, 30)]


def test_list_versions_other_student_is_404(client, login, other, written):
    login(other)

    assert client.get(entry_url(written.id, "/versions")).status_code == 404
