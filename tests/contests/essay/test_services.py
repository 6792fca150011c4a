"""Drafts, ordering, kept versions, submit, withdraw, deadlines (frozen clock via ``now=``)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from contests.essay import services
from contests.essay.models import EntryStatus, EntryVersion
from core.audit import history
from core.errors import Conflict, Forbidden, ValidationFailed
from core.schools.models import SchoolLevel
from tests.conftest import T0
from tests.contests.essay.conftest import words


def test_start_entry_gives_random_code_and_author_school(entry, student):
    assert entry.status == EntryStatus.DRAFT
    assert entry.code.startswith("BV-")
    assert len(entry.code) == 9
    assert entry.school_id == student.school_id
    assert entry.class_id == student.class_id


def test_start_entry_twice_returns_same_entry(open_round, student, entry):
    again = services.start_entry(round_=open_round, student=student, now=T0)

    assert again.id == entry.id


def test_start_entry_refused_for_ineligible_level(make_round, student):
    round_ = make_round(school_levels=[SchoolLevel.TH.value])

    with pytest.raises(Forbidden):
        services.start_entry(round_=round_, student=student, now=T0)


def test_start_entry_refused_for_ineligible_grade(make_round, student):
    round_ = make_round(grades=[9])

    with pytest.raises(Forbidden):
        services.start_entry(round_=round_, student=student, now=T0)


def test_start_entry_refused_before_opening(make_round, student):
    round_ = make_round(opens_at=T0 + timedelta(minutes=1))

    with pytest.raises(services.RoundClosed):
        services.start_entry(round_=round_, student=student, now=T0)


def test_save_draft_stores_text_and_word_count(entry):
    result = services.save_draft(
        entry=entry, title="Tin nhắn", body="Một hai ba.\n\nBốn năm.", seq=1, now=T0
    )

    assert result.accepted is True
    assert entry.body == "Một hai ba.\n\nBốn năm."
    assert entry.word_count == 5
    assert entry.seq == 1
    assert entry.saved_at == T0


def test_save_draft_older_seq_never_overwrites_newer(entry):
    services.save_draft(entry=entry, title="T", body="bản mới hơn", seq=5, now=T0)

    result = services.save_draft(entry=entry, title="T", body="bản cũ", seq=4, now=T0)

    assert result.accepted is False
    assert entry.body == "bản mới hơn"
    assert entry.seq == 5


def test_save_draft_same_seq_retry_is_harmless(entry):
    services.save_draft(entry=entry, title="T", body="một", seq=3, now=T0)

    result = services.save_draft(entry=entry, title="T", body="khác", seq=3, now=T0)

    assert result.accepted is False
    assert entry.body == "một"


def test_save_draft_keeps_plain_text_with_paragraphs(entry):
    services.save_draft(
        entry=entry,
        title="  <b>Tiêu đề</b>\n  hai ",
        body="Đoạn một\r\n\r\n\r\n\r\nĐoạn <script>hai</script>\x00   \n",
        seq=1,
        now=T0,
    )

    assert entry.title == "<b>Tiêu đề</b> hai"
    assert entry.body == "Đoạn một\n\nĐoạn <script>hai</script>"
    assert services.paragraphs(entry.body) == ["Đoạn một", "Đoạn <script>hai</script>"]


def test_save_draft_refuses_text_over_the_cap(entry):
    with pytest.raises(ValidationFailed) as error:
        services.save_draft(
            entry=entry, title="T", body="a" * (services.MAX_BODY_CHARS + 1), seq=1, now=T0
        )

    assert error.value.field == "body"
    assert entry.body == ""


def test_save_draft_refused_after_deadline_and_draft_frozen(entry, open_round):
    services.save_draft(entry=entry, title="T", body="trước hạn", seq=1, now=T0)

    with pytest.raises(services.RoundClosed) as error:
        services.save_draft(
            entry=entry, title="T", body="sau hạn", seq=2, now=after_grace(open_round)
        )

    assert error.value.status_code == 409
    assert entry.body == "trước hạn"


def test_save_draft_accepted_one_second_before_deadline(entry, open_round):
    result = services.save_draft(
        entry=entry, title="T", body="kịp", seq=1, now=open_round.closes_at - timedelta(seconds=1)
    )

    assert result.accepted is True


def test_versions_burst_of_saves_shares_one_version(entry):
    for seq in range(1, 6):
        services.save_draft(entry=entry, title="T", body=words(seq * 10), seq=seq, now=T0)

    versions = services.list_versions(entry)

    assert [v.seq for v in versions] == [5]
    assert versions[0].word_count == 50


def test_versions_wipe_keeps_the_text_before_it(entry):
    services.save_draft(entry=entry, title="T", body=words(40), seq=1, now=T0)

    services.save_draft(entry=entry, title="T", body="", seq=2, now=T0 + timedelta(seconds=5))

    versions = services.list_versions(entry)
    assert [(v.seq, v.word_count) for v in versions] == [(2, 0), (1, 40)]


def test_versions_keep_only_the_last_n(db, entry):
    for seq in range(1, services.KEEP_VERSIONS + 6):
        services.save_draft(
            entry=entry, title="T", body=words(seq), seq=seq, now=T0 + timedelta(minutes=seq)
        )

    seqs = db.session.scalars(
        sa.select(EntryVersion.seq)
        .where(EntryVersion.entry_id == entry.id)
        .order_by(EntryVersion.seq)
    ).all()
    assert seqs == list(range(6, services.KEEP_VERSIONS + 6))


def test_submit_gives_receipt_with_code_and_time(entry):
    services.save_draft(entry=entry, title="T", body=words(20), seq=1, now=T0)

    receipt = services.submit_entry(entry=entry, now=T0 + timedelta(minutes=1))

    assert receipt == services.Receipt(entry.code, T0 + timedelta(minutes=1))
    assert entry.status == EntryStatus.SUBMITTED


def test_submit_retry_returns_same_receipt(entry):
    services.save_draft(entry=entry, title="T", body=words(20), seq=1, now=T0)
    first = services.submit_entry(entry=entry, now=T0)

    second = services.submit_entry(entry=entry, now=T0 + timedelta(minutes=5))

    assert second == first


def test_submit_refused_below_min_words(entry):
    services.save_draft(entry=entry, title="T", body=words(9), seq=1, now=T0)

    with pytest.raises(ValidationFailed) as error:
        services.submit_entry(entry=entry, now=T0)

    assert error.value.field == "body"
    assert entry.status == EntryStatus.DRAFT


def test_submit_refused_above_max_words(entry):
    services.save_draft(entry=entry, title="T", body=words(101), seq=1, now=T0)

    with pytest.raises(ValidationFailed):
        services.submit_entry(entry=entry, now=T0)

    assert entry.status == EntryStatus.DRAFT


def test_submit_refused_without_title(entry):
    services.save_draft(entry=entry, title="", body=words(20), seq=1, now=T0)

    with pytest.raises(ValidationFailed) as error:
        services.submit_entry(entry=entry, now=T0)

    assert error.value.field == "title"


def test_submit_refused_after_deadline(entry, open_round):
    services.save_draft(entry=entry, title="T", body=words(20), seq=1, now=T0)

    with pytest.raises(services.RoundClosed):
        services.submit_entry(entry=entry, now=after_grace(open_round))

    assert entry.status == EntryStatus.DRAFT
    assert entry.submitted_at is None


def test_submitted_entry_cannot_be_edited(entry):
    services.save_draft(entry=entry, title="T", body=words(20), seq=1, now=T0)
    services.submit_entry(entry=entry, now=T0)

    with pytest.raises(services.EntryLocked):
        services.save_draft(entry=entry, title="T", body="đổi", seq=2, now=T0)

    assert entry.word_count == 20


def test_withdraw_then_edit_and_resubmit(entry):
    services.save_draft(entry=entry, title="T", body=words(20), seq=1, now=T0)
    services.submit_entry(entry=entry, now=T0)

    services.withdraw_entry(entry=entry, now=T0 + timedelta(minutes=1))
    services.save_draft(entry=entry, title="T", body=words(30), seq=2, now=T0)
    receipt = services.submit_entry(entry=entry, now=T0 + timedelta(minutes=2))

    assert entry.status == EntryStatus.SUBMITTED
    assert entry.word_count == 30
    assert receipt.submitted_at == T0 + timedelta(minutes=2)


def test_withdraw_refused_when_round_forbids_it(make_round, make_entry):
    entry = make_entry(make_round(allow_withdraw=False))

    with pytest.raises(Conflict):
        services.withdraw_entry(entry=entry, now=T0)

    assert entry.status == EntryStatus.SUBMITTED


def test_withdraw_refused_after_deadline(make_entry, open_round):
    entry = make_entry(open_round)

    with pytest.raises(services.RoundClosed):
        services.withdraw_entry(entry=entry, now=open_round.closes_at)

    assert entry.status == EntryStatus.SUBMITTED


def test_disqualify_is_audited_with_reason(make, make_entry, open_round):
    organizer = make.organizer()
    entry = make_entry(open_round)

    services.disqualify_entry(actor=organizer, entry=entry, reason="Chép bài mẫu", now=T0)

    assert entry.status == EntryStatus.DISQUALIFIED
    trail = history("essay_entry", entry.id)
    assert [(a.action, a.reason, a.after) for a in trail] == [
        ("essay.disqualify", "Chép bài mẫu", {"status": "disqualified"})
    ]


def test_entries_by_school_counts_submitted_only(make, make_round, make_entry):
    round_ = make_round()
    school_a, school_b = make.school(), make.school()
    class_a, class_b = make.school_class(school_a), make.school_class(school_b)
    make_entry(round_, make.student(class_a))
    make_entry(round_, make.student(class_a))
    make_entry(round_, make.student(class_b))
    make_entry(round_, make.student(class_b), submit=False)
    withdrawn = make_entry(round_, make.student(class_b))
    services.withdraw_entry(entry=withdrawn, now=T0)
    disqualified = make_entry(round_, make.student(class_a))
    services.disqualify_entry(actor=make.organizer(), entry=disqualified, reason="x", now=T0)

    counts = services.entries_by_school(since=T0 - timedelta(days=2), until=T0)

    assert counts == {school_a.id: 2, school_b.id: 1}
    assert services.entries_by_school(since=T0, until=T0 + timedelta(days=1)) == {}


def test_counts_by_school_separates_drafts_and_submissions(make, make_round, make_entry):
    round_ = make_round()
    school = make.school(name="Trường THCS Dương Xá")
    cls = make.school_class(school)
    make_entry(round_, make.student(cls))
    make_entry(round_, make.student(cls), submit=False)

    counts = services.counts_by_school(round_)

    assert counts == [services.SchoolCount(school.id, "Trường THCS Dương Xá", 1, 1)]


def test_school_progress_lists_students_without_text(make, make_round, make_entry):
    round_ = make_round()
    school = make.school()
    cls = make.school_class(school, name="7A1")
    writer = make.student(cls, full_name="An Văn Bình")
    make.student(cls, full_name="Bùi Thị Chi")
    make_entry(round_, writer)

    rows = services.school_progress(round_=round_, school=school)

    assert [(r.full_name, r.class_name, r.status) for r in rows] == [
        ("An Văn Bình", "7A1", "submitted"),
        ("Bùi Thị Chi", "7A1", None),
    ]
    assert not hasattr(rows[0], "body")


def test_carry_entry_copies_text_and_photos_under_a_new_code(make_round, make_entry):
    from tests.contests.essay.conftest import image_bytes

    first = make_round(opens_at=T0 - timedelta(days=9), closes_at=T0 - timedelta(days=5))
    final = make_round(stage=2, name="Chung khảo")
    entry = make_entry(first, submit=False)
    services.upload_photo(entry=entry, data=image_bytes(), caption="Ảnh", now=first.opens_at)
    services.submit_entry(entry=entry, now=first.opens_at)

    carried = services.carry_entry(entry=entry, to_round=final, now=T0)
    again = services.carry_entry(entry=entry, to_round=final, now=T0)

    assert again.id == carried.id
    assert (carried.status, carried.carried_from_id, carried.body) == (
        EntryStatus.SUBMITTED,
        entry.id,
        entry.body,
    )
    assert carried.code != entry.code
    assert [p.caption for p in carried.photos] == ["Ảnh"]
    assert carried.photos[0].storage_key != entry.photos[0].storage_key


def after_grace(round_):
    """The first moment a request in flight at the close is no longer accepted."""
    return round_.closes_at + timedelta(seconds=services.DEFAULT_GRACE_SECONDS + 1)
