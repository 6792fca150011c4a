"""Judging pages: every route allowed and forbidden, blind pages for judges, results hidden
before publication, a certificate whose extracted text holds the Vietnamese name exactly."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from pypdf import PdfReader

from contests.essay.models import EntryPhoto
from contests.judging import services
from contests.judging.models import Appeal, AssignmentStatus, Resolution, Result
from core.extensions import db
from core.storage import storage
from tests.conftest import T0
from tests.contests.essay.conftest import image_bytes
from tests.contests.judging.conftest import CRITERIA, criteria_ids, entry_assignments, mark

pytestmark = pytest.mark.usefixtures("frozen")


def live(entry):
    return [a for a in entry_assignments(entry) if a.status != AssignmentStatus.MOVED]


def mark_everything(judging, sheets=("3", "2", "2")):
    for index, entry in enumerate(judging.entries):
        values = [str(4 - (index % 3)), "2", "2"] if sheets == "varied" else list(sheets)
        for sheet in live(entry):
            mark(sheet, values, comment="Bài viết chân thành, cảm động.")


@pytest.fixture
def published(assigned):
    mark_everything(assigned, "varied")
    services.publish_results(actor=assigned.organizer, round_=assigned.round, now=T0)
    return assigned


def stranger_to(judging, entry):
    on = {a.judge_id for a in entry_assignments(entry)}
    return next(j for j in judging.judges if j.id not in on)


# --- judges -------------------------------------------------------------------------------------


def test_queue_lists_codes_only(client, login, assigned):
    judge = assigned.judges[0]
    login(judge)

    page = client.get("/judging").get_data(as_text=True)

    codes = {a.entry.code for a in services.my_assignments(judge)}
    assert all(code in page for code in codes)
    assert "Nhắc nhở" not in page
    for entry in assigned.entries:
        assert entry.student.full_name not in page


def test_queue_forbidden_to_students(client, login, assigned):
    login(assigned.students[0])

    assert client.get("/judging").status_code == 403


def test_score_page_is_blind(client, login, assigned):
    entry = assigned.entries[0]
    entry.body = f"Em là {entry.student.full_name}, học {assigned.schools[0].name}. " + entry.body
    sheet = live(entry)[0]
    login(sheet.judge)

    response = client.get(f"/judging/sheets/{sheet.id}")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert entry.code in page
    assert entry.student.full_name not in page
    assert assigned.schools[0].name not in page
    assert "[tên]" in page


def test_score_page_not_assigned_404(client, login, assigned):
    entry = assigned.entries[0]
    login(stranger_to(assigned, entry))

    assert client.get(f"/judging/sheets/{live(entry)[0].id}").status_code == 404


def test_score_page_hides_other_marks_before_own_submit(client, login, assigned):
    a, b = live(assigned.entries[0])
    mark(a, ["3.75", "2", "2"], comment="Nhận xét riêng của giám khảo A")
    login(b.judge)

    before = client.get(f"/judging/sheets/{b.id}").get_data(as_text=True)
    mark(b, ["3.75", "2", "2"])
    after = client.get(f"/judging/sheets/{b.id}").get_data(as_text=True)

    assert "Nhận xét riêng của giám khảo A" not in before
    assert "Nhận xét riêng của giám khảo A" in after
    assert a.judge.full_name not in after


def test_conflict_moves_sheet(client, login, assigned):
    sheet = live(assigned.entries[0])[0]
    login(sheet.judge)

    response = client.post(f"/judging/sheets/{sheet.id}/conflict", data={"reason": "Cháu tôi"})

    assert response.status_code == 302
    assert sheet.status == AssignmentStatus.MOVED
    assert client.get(f"/judging/sheets/{sheet.id}").status_code == 404


def test_conflict_on_someone_elses_sheet_404(client, login, assigned):
    entry = assigned.entries[0]
    login(stranger_to(assigned, entry))

    response = client.post(f"/judging/sheets/{live(entry)[0].id}/conflict", data={"reason": "x"})

    assert response.status_code == 404


@pytest.fixture
def photo(assigned):
    entry = assigned.entries[0]
    key = storage().save(image_bytes(), prefix="essay", suffix=".jpg")
    item = EntryPhoto(entry=entry, storage_key=key, mimetype="image/jpeg", width=64, height=48)
    db.session.add(item)
    db.session.flush()
    return item


def test_photo_for_assigned_judge(client, login, assigned, photo):
    sheet = live(assigned.entries[0])[0]
    login(sheet.judge)

    response = client.get(f"/judging/sheets/{sheet.id}/photos/{photo.id}")

    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"


def test_photo_not_assigned_404(client, login, assigned, photo):
    entry = assigned.entries[0]
    sheet = live(entry)[0]
    login(stranger_to(assigned, entry))

    assert client.get(f"/judging/sheets/{sheet.id}/photos/{photo.id}").status_code == 404


def test_photo_of_another_entry_through_own_sheet_404(client, login, assigned, photo):
    other = next(
        a
        for e in assigned.entries[1:]
        for a in live(e)
        if a.judge_id != live(assigned.entries[0])[0].judge_id
    )
    login(other.judge)

    assert client.get(f"/judging/sheets/{other.id}/photos/{photo.id}").status_code == 404


# --- chief judge and organizers -----------------------------------------------------------------


def test_manage_lists_rounds_for_organizer(client, login, judging):
    login(judging.organizer)

    page = client.get("/manage/judging").get_data(as_text=True)

    assert judging.round.name in page


def test_manage_forbidden_to_plain_judge(client, login, judging):
    login(judging.judges[0])

    assert client.get("/manage/judging").status_code == 403


def test_manage_for_chief_judge(client, login, judging):
    login(judging.judges[3])

    assert client.get("/manage/judging").status_code == 200


def test_dashboard_shows_progress_and_disagreements(client, login, assigned):
    a, b = live(assigned.entries[0])
    mark(a, ["4", "3", "3"])
    mark(b, ["2", "2", "2"])
    login(assigned.judges[3])

    response = client.get(f"/manage/judging/rounds/{assigned.round.id}")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert assigned.entries[0].code in page
    assert assigned.entries[0].student.full_name not in page


def test_dashboard_forbidden_to_plain_judge_and_student(client, login, assigned):
    login(assigned.judges[0])
    assert client.get(f"/manage/judging/rounds/{assigned.round.id}").status_code == 403
    login(assigned.students[0])
    assert client.get(f"/manage/judging/rounds/{assigned.round.id}").status_code == 403


def test_dashboard_agreement_section_after_marks(client, login, published):
    login(published.organizer)

    page = client.get(f"/manage/judging/rounds/{published.round.id}").get_data(as_text=True)

    assert "ICC" in page
    assert "Krippendorff" in page


def test_setup_saves_pool_and_rules(client, login, judging):
    login(judging.organizer)
    assert client.get(f"/manage/judging/rounds/{judging.round.id}/setup").status_code == 200

    response = client.post(
        f"/manage/judging/rounds/{judging.round.id}/setup",
        data={
            "judges_per_entry": 2,
            "days_to_mark": 5,
            "days_after_reminder": 2,
            "mean_below_pct": 10,
            "reconcile_up_to_pct": 15,
            "spread_up_to_pct": 25,
            "appeal_days": 7,
            "merit_up_to": 10,
            "active": [j.id for j in judging.judges],
            "reserve": [judging.reserves[0].id],
            "chief_judge": judging.organizer.id,
        },
    )

    assert response.status_code == 302
    setup = services.find_setup(judging.round.id)
    assert (setup.days_to_mark, setup.chief_judge_id) == (5, judging.organizer.id)


def test_setup_forbidden_to_chief_judge(client, login, judging):
    login(judging.judges[3])

    assert client.get(f"/manage/judging/rounds/{judging.round.id}/setup").status_code == 403


def test_rubric_page_saves_version(client, login, judging):
    login(judging.organizer)
    assert client.get(f"/manage/judging/rounds/{judging.round.id}/rubric").status_code == 200
    data = {"scale": "10"}
    for i, (name, top) in enumerate([("Nội dung", "6"), ("Hình thức", "4")]):
        data[f"criteria-{i}-name"] = name
        data[f"criteria-{i}-max_points"] = top
        data[f"criteria-{i}-guidance"] = ""

    response = client.post(f"/manage/judging/rounds/{judging.round.id}/rubric", data=data)

    assert response.status_code == 302
    assert [c.name for c in services.current_rubric(judging.round.id).criteria] == [
        "Nội dung",
        "Hình thức",
    ]


def test_rubric_forbidden_to_judge(client, login, judging):
    login(judging.judges[0])

    assert client.get(f"/manage/judging/rounds/{judging.round.id}/rubric").status_code == 403


def test_assign_preview_then_confirm(client, login, judging):
    login(judging.organizer)

    page = client.get(f"/manage/judging/rounds/{judging.round.id}/assign").get_data(as_text=True)
    seed = page.split('name="seed" type="hidden" value="')[1].split('"')[0]
    response = client.post(f"/manage/judging/rounds/{judging.round.id}/assign", data={"seed": seed})

    assert response.status_code == 302
    assert sum(p.assigned for p in services.progress(judging.round.id)) == 12


def test_assign_forbidden_to_student(client, login, judging):
    login(judging.students[0])

    assert client.get(f"/manage/judging/rounds/{judging.round.id}/assign").status_code == 403


def test_decide_by_chief_judge(client, login, assigned):
    entry = assigned.entries[0]
    a, b = live(entry)
    mark(a, ["3", "2", "2"])
    mark(b, ["3.5", "2.25", "2.25"])
    mark(a, ["3", "2", "2"], seq=2)
    mark(b, ["3.5", "2.25", "2.25"], seq=2)
    login(assigned.judges[3])
    assert client.get(f"/manage/judging/entries/{entry.id}").status_code == 200

    response = client.post(
        f"/manage/judging/entries/{entry.id}",
        data={"value": "7.5", "reason": "Ý mới, diễn đạt tốt."},
    )

    assert response.status_code == 302
    latest = services.latest_resolution(entry.id)
    assert (latest.outcome, str(latest.value), latest.decided_by_id) == (
        "chief_decision",
        "7.5",
        assigned.judges[3].id,
    )


def test_decide_forbidden_to_marking_judge(client, login, assigned):
    entry = assigned.entries[0]
    login(live(entry)[0].judge)

    assert client.get(f"/manage/judging/entries/{entry.id}").status_code == 403


def test_publish_page_action(client, login, assigned):
    mark_everything(assigned)
    login(assigned.judges[3])

    response = client.post(
        f"/manage/judging/rounds/{assigned.round.id}/publish", data={"confirm": "y"}
    )

    assert response.status_code == 302
    assert services.find_setup(assigned.round.id).published_at == T0


def test_publish_without_confirmation_publishes_nothing(client, login, assigned):
    mark_everything(assigned)
    login(assigned.judges[3])

    response = client.post(
        f"/manage/judging/rounds/{assigned.round.id}/publish", follow_redirects=True
    )

    assert response.status_code == 200
    assert "Hãy đánh dấu ô xác nhận để công bố kết quả." in response.get_data(as_text=True)
    assert services.find_setup(assigned.round.id).published_at is None


def test_publish_form_says_what_it_fixes_and_asks_to_confirm(client, login, assigned):
    mark_everything(assigned)
    login(assigned.judges[3])

    page = client.get(f"/manage/judging/rounds/{assigned.round.id}").get_data(as_text=True)

    assert 'name="confirm"' in page
    assert "thời hạn phúc khảo 7 ngày" in page


def test_publish_forbidden_to_student(client, login, assigned):
    login(assigned.students[0])

    assert client.post(f"/manage/judging/rounds/{assigned.round.id}/publish").status_code == 403


def test_advance_page(client, login, published, make_round):
    final = make_round(stage=2, name="Chung kết", opens_at=T0, closes_at=T0 + timedelta(days=3))
    login(published.organizer)
    assert client.get(f"/manage/judging/rounds/{published.round.id}/advance").status_code == 200

    response = client.post(
        f"/manage/judging/rounds/{published.round.id}/advance",
        data={"to_round": final.id, "top_n": 1},
    )

    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Result.id)).where(Result.advanced)) == 2


def test_advance_forbidden_to_chief_judge(client, login, published):
    login(published.judges[3])

    assert client.get(f"/manage/judging/rounds/{published.round.id}/advance").status_code == 403


def test_export_xlsx_has_marks_and_results(client, login, published):
    login(published.organizer)

    response = client.get(f"/manage/judging/rounds/{published.round.id}/export.xlsx")

    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Điểm chấm", "Kết quả"]
    assert book["Điểm chấm"].max_row == 13
    assert book["Kết quả"].max_row == 7
    assert book["Kết quả"]["B2"].value in {e.student.full_name for e in published.entries}


def test_export_xlsx_follows_english(client, login, db, published):
    published.organizer.locale = "en"
    db.session.flush()
    login(published.organizer)

    response = client.get(f"/manage/judging/rounds/{published.round.id}/export.xlsx")

    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Marking sheets", "Results"]
    assert next(book["Marking sheets"].iter_rows(values_only=True))[:4] == (
        "Entry code",
        "Judge",
        "Marking pass",
        "Sheet status",
    )
    assert next(book["Results"].iter_rows(values_only=True)) == (
        "Entry code",
        "Full name",
        "School",
        "Class",
        "Score",
        "Ranking",
        "Tied",
        "Prize",
        "Goes to the next round",
    )


def test_export_xlsx_vietnamese_by_default(client, login, published):
    login(published.organizer)

    response = client.get(f"/manage/judging/rounds/{published.round.id}/export.xlsx")

    book = load_workbook(io.BytesIO(response.data))
    assert next(book["Kết quả"].iter_rows(values_only=True)) == (
        "Mã bài",
        "Họ và tên",
        "Trường",
        "Lớp",
        "Điểm",
        "Xếp hạng",
        "Đồng hạng",
        "Giải",
        "Vào vòng sau",
    )
    prizes = {row[7] for row in book["Kết quả"].iter_rows(min_row=2, values_only=True)}
    assert prizes <= {"Giải Nhất", "Giải Nhì", "Giải Ba", "Giải Khuyến khích", "Tham gia", ""}


def test_export_forbidden_to_judge(client, login, published):
    login(published.judges[0])

    assert client.get(f"/manage/judging/rounds/{published.round.id}/export.xlsx").status_code == 403


# --- results, students --------------------------------------------------------------------------


def test_results_hidden_before_publication(client, assigned):
    assert client.get(f"/results/essay/{assigned.round.id}").status_code == 404


def test_results_public_after_publication_with_masked_names(client, published):
    entry = published.entries[0]
    entry.consent_student = entry.consent_parent = False

    page = client.get(f"/results/essay/{published.round.id}").get_data(as_text=True)

    assert "Lê V. " in page
    assert entry.student.full_name not in page


def test_results_show_full_name_with_consent(client, published):
    winner = services.published_results(published.round.id)[0].entry
    winner.consent_student = winner.consent_parent = True
    db.session.flush()

    page = client.get(f"/results/essay/{published.round.id}").get_data(as_text=True)

    assert winner.student.full_name in page


def test_my_results_shows_own_marks_and_comments(client, login, published):
    student = published.entries[0].student
    login(student)

    page = client.get("/judging/my-results").get_data(as_text=True)

    assert "Bài viết chân thành, cảm động." in page
    assert published.entries[0].code in page
    assert published.entries[1].code not in page


def test_my_results_forbidden_to_judge(client, login, published):
    login(published.judges[0])

    assert client.get("/judging/my-results").status_code == 403


def test_my_results_empty_before_publication(client, login, assigned):
    mark_everything(assigned)
    login(assigned.entries[0].student)

    page = client.get("/judging/my-results").get_data(as_text=True)

    assert "Bài viết chân thành, cảm động." not in page


def test_certificate_pdf_holds_vietnamese_name(client, login, published):
    result = services.published_results(published.round.id)[0]
    student = result.entry.student
    student.full_name = "Nguyễn Thị Ánh Dương"
    db.session.flush()
    login(student)

    response = client.get(f"/judging/results/{result.id}/certificate.pdf")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert "Nguyễn Thị Ánh Dương" in text
    assert "GIẤY KHEN" in text or "GIẤY CHỨNG NHẬN" in text


def test_certificate_of_participation(client, login, published):
    setup = services.find_setup(published.round.id)
    setup.merit_up_to = 3
    services.rerank(published.round.id)
    result = services.published_results(published.round.id)[-1]
    login(result.entry.student)

    response = client.get(f"/judging/results/{result.id}/certificate.pdf")

    text = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert result.award.value == "participation"
    assert result.entry.student.full_name in text


def test_certificate_of_another_student_404(client, login, published):
    results = services.published_results(published.round.id)
    login(results[1].entry.student)

    assert client.get(f"/judging/results/{results[0].id}/certificate.pdf").status_code == 404


def test_file_appeal_assigns_fresh_judge(client, login, published):
    result = services.published_results(published.round.id)[-1]
    login(result.entry.student)

    response = client.post(
        f"/judging/results/{result.id}/appeal", data={"reason": "Em mong được chấm lại."}
    )

    assert response.status_code == 302
    appeal = db.session.scalar(sa.select(Appeal).where(Appeal.entry_id == result.entry_id))
    assert appeal.assignment.judge_id not in {
        a.judge_id for a in entry_assignments(result.entry) if a.id != appeal.assignment_id
    }


def test_file_appeal_for_another_students_entry_404(client, login, published):
    results = services.published_results(published.round.id)
    login(results[1].entry.student)

    response = client.post(f"/judging/results/{results[0].id}/appeal", data={"reason": "x"})

    assert response.status_code == 404


def test_appeal_page_chief_decides(client, login, published):
    result = services.published_results(published.round.id)[-1]
    appeal = services.file_appeal(
        student=result.entry.student, result=result, reason="Xin chấm lại", now=T0
    )
    mark(appeal.assignment, ["4", "2", "2"])
    login(published.judges[3])
    assert client.get(f"/manage/judging/appeals/{appeal.id}").status_code == 200

    response = client.post(
        f"/manage/judging/appeals/{appeal.id}", data={"value": "7.5", "reason": "Chấm lại hợp lý."}
    )

    assert response.status_code == 302
    assert str(result.score) == "7.5"
    assert (
        db.session.scalar(
            sa.select(Resolution.outcome)
            .where(Resolution.entry_id == result.entry_id)
            .order_by(Resolution.id.desc())
        )
        == "appeal_decision"
    )


def test_appeal_page_forbidden_to_student(client, login, published):
    result = services.published_results(published.round.id)[-1]
    appeal = services.file_appeal(student=result.entry.student, result=result, reason="Xin", now=T0)
    login(result.entry.student)

    assert client.get(f"/manage/judging/appeals/{appeal.id}").status_code == 403


def test_export_forbidden_to_chief_judge(client, login, published):
    login(published.judges[3])

    assert client.get(f"/manage/judging/rounds/{published.round.id}/export.xlsx").status_code == 403


def test_chief_judge_marking_an_entry_does_not_see_the_other_marks(client, login, assigned):
    chief = assigned.judges[3]
    entry = next(e for e in assigned.entries if chief.id in {a.judge_id for a in live(e)})
    other = next(a for a in live(entry) if a.judge_id != chief.id)
    mark(other, ["3.75", "2.75", "2.75"], comment="Nhận xét của giám khảo kia")
    login(chief)

    page = client.get(f"/manage/judging/entries/{entry.id}").get_data(as_text=True)

    assert "Nhận xét của giám khảo kia" not in page
    assert "9.25" not in page
    assert other.judge.full_name not in page


def test_dashboard_hides_marks_of_an_entry_the_viewer_is_marking(client, login, assigned):
    entry = assigned.entries[0]
    a, b = live(entry)
    mark(a, ["4", "3", "3"])
    mark(b, ["1", "1", "1"])
    third = next(s for s in live(entry) if s.kind.value == "third")
    services.find_setup(assigned.round.id).chief_judge_id = third.judge_id
    login(third.judge)

    page = client.get(f"/manage/judging/rounds/{assigned.round.id}").get_data(as_text=True)

    assert entry.code in page
    assert "10 · 3" not in page


def test_home_page_tells_a_judge_what_is_waiting(client, login, assigned):
    login(assigned.judges[0])

    page = client.get("/").get_data(as_text=True)

    assert "Có 3 bài đang chờ thầy cô chấm." in page


def test_queue_reminds_of_overdue_sheets(client, login, assigned):
    judge = assigned.judges[0]
    login(judge)
    for sheet in services.my_assignments(judge):
        sheet.due_at = T0

    page = client.get("/judging").get_data(as_text=True)

    assert "Nhắc nhở: 3 bài đã quá hạn chấm." in page


# --- issue 13: locked settings beside the field, moving a withdrawn judge's sheets -------------


SETUP_DATA = {
    "judges_per_entry": 2,
    "days_to_mark": 7,
    "days_after_reminder": 2,
    "mean_below_pct": 10,
    "reconcile_up_to_pct": 15,
    "spread_up_to_pct": 25,
    "appeal_days": 7,
    "merit_up_to": 10,
}


def test_setup_refuses_new_thresholds_once_marking_started(client, login, assigned):
    login(assigned.organizer)

    response = client.post(
        f"/manage/judging/rounds/{assigned.round.id}/setup",
        data={
            **SETUP_DATA,
            "spread_up_to_pct": 30,
            "active": [j.id for j in assigned.judges],
            "reserve": [assigned.reserves[0].id],
            "chief_judge": assigned.judges[3].id,
        },
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    error = page.split('name="spread_up_to_pct"')[1].split("</div>")[1]
    assert "khóa" in error or "locked" in error
    assert services.find_setup(assigned.round.id).spread_up_to_pct == 25


def test_rubric_page_refuses_a_change_once_marking_started(client, login, assigned):
    login(assigned.organizer)
    data = {"scale": "10"}
    for i, c in enumerate(CRITERIA):
        data[f"criteria-{i}-name"] = c["name"]
        data[f"criteria-{i}-max_points"] = c["max_points"]
        data[f"criteria-{i}-guidance"] = c["guidance"]
    data["criteria-2-guidance"] = "Câu văn trong sáng, đúng chính tả."

    response = client.post(f"/manage/judging/rounds/{assigned.round.id}/rubric", data=data)

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    after = page.split('name="criteria-2-guidance"')[1].split("</textarea>")[1]
    assert "invalid-feedback" in after.split("criteria-3")[0]
    assert (
        services.current_rubric(assigned.round.id).criteria[2].guidance == CRITERIA[2]["guidance"]
    )


def test_move_sheets_by_organizer(client, login, assigned):
    gone = assigned.judges[0]
    login(assigned.organizer)
    dashboard = client.get(f"/manage/judging/rounds/{assigned.round.id}").get_data(as_text=True)
    assert f"/judges/{gone.id}/move" in dashboard

    response = client.post(f"/manage/judging/rounds/{assigned.round.id}/judges/{gone.id}/move")

    assert response.status_code == 302
    assert not [a for e in assigned.entries for a in live(e) if a.judge_id == gone.id]


def test_move_sheets_says_which_sheets_stayed_and_why(client, login, assigned):
    from tests.contests.judging.test_by_the_rules import withdrawn_with_sheets_left

    gone, reconciling, stuck = withdrawn_with_sheets_left(assigned)
    login(assigned.organizer)

    response = client.post(
        f"/manage/judging/rounds/{assigned.round.id}/judges/{gone.id}/move", follow_redirects=True
    )

    page = response.get_data(as_text=True)
    assert "Đã chuyển 1 phiếu chưa chấm sang giám khảo khác." in page
    assert "Không chuyển được 2 phiếu:" in page
    assert f"{reconciling.entry.code} (đang thống nhất điểm" in page
    assert f"{stuck.entry.code} (không còn giám khảo nào chấm được" in page


def test_move_sheets_forbidden_to_chief_judge(client, login, assigned):
    gone = assigned.judges[0]
    login(assigned.judges[3])

    response = client.post(f"/manage/judging/rounds/{assigned.round.id}/judges/{gone.id}/move")

    assert response.status_code == 403
    assert [a for e in assigned.entries for a in live(e) if a.judge_id == gone.id]


# --- issue 16: the judge's queue and sheet ----------------------------------------------------


def test_queue_unscored_first_with_progress_and_filter(client, login, assigned):
    judge = assigned.judges[0]
    sheets = services.my_assignments(judge)
    mark(sheets[0], ["3", "2", "2"])
    login(judge)

    page = client.get("/judging").get_data(as_text=True)
    unscored = client.get("/judging?show=unscored").get_data(as_text=True)

    codes = [a.entry.code for a in sheets]
    assert f"1/{len(sheets)}" in page
    assert page.index(codes[1]) < page.index(codes[0])
    assert codes[0] not in unscored
    assert all(code in unscored for code in codes[1:])


def test_sheet_shows_step_position_and_next_previous(client, login, assigned):
    judge = assigned.judges[0]
    sheets = services.my_assignments(judge)
    login(judge)

    page = client.get(f"/judging/sheets/{sheets[1].id}").get_data(as_text=True)

    assert f"2/{len(sheets)}" in page
    assert f'rel="prev" href="/judging/sheets/{sheets[0].id}"' in page
    assert f'rel="next" href="/judging/sheets/{sheets[2].id}"' in page
    assert "bước 0,25" in page


# --- issue 16: numbers the reader's way ---------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "total", "mark_value", "step"),
    [("vi", "7,5", "2,5", "bước 0,25"), ("en", "7.5", "2.5", "step 0.25")],
)
def test_sheet_writes_marks_with_the_readers_decimal_separator(
    client, login, db, assigned, locale, total, mark_value, step
):
    judge = assigned.judges[0]
    judge.locale = locale
    sheet = services.my_assignments(judge)[0]
    mark(sheet, ["3", "2.5", "2"], submit=False)
    db.session.commit()
    login(judge)

    page = client.get(f"/judging/sheets/{sheet.id}").get_data(as_text=True)

    assert f'<span id="sheet-total">{total}</span>' in page
    assert f'value="{mark_value}"' in page
    assert step in page
    # what the browser script reads stays a plain number
    assert 'data-step="0.25"' in page


def test_a_mark_typed_with_a_decimal_comma_is_read(client, login, db, assigned):
    judge = assigned.judges[0]
    sheet = services.my_assignments(judge)[0]
    ids = criteria_ids(services.current_rubric(sheet.round_id))
    login(judge)

    reply = client.put(
        f"/api/v1/judging/assignments/{sheet.id}",
        json={"marks": {str(ids[0]): "2,75", str(ids[1]): "1.5"}, "comment": "", "seq": 5},
    )

    assert reply.status_code == 200, reply.get_json()
    db.session.refresh(sheet)
    assert sorted(str(m.value.normalize()) for m in sheet.marks) == ["1.5", "2.75"]


def test_a_rubric_error_shows_beside_its_criterions_field(client, login, judging):
    login(judging.organizer)
    before = getattr(services.current_rubric(judging.round.id), "id", None)
    data = {"scale": "10"}
    for i, (name, top) in enumerate([("Nội dung", "10"), ("Hình thức", "0")]):
        data[f"criteria-{i}-name"] = name
        data[f"criteria-{i}-max_points"] = top
        data[f"criteria-{i}-guidance"] = ""

    response = client.post(f"/manage/judging/rounds/{judging.round.id}/rubric", data=data)

    html = response.get_data(as_text=True)
    assert response.status_code == 200  # the form again
    assert getattr(services.current_rubric(judging.round.id), "id", None) == before  # no version
    after_field = html[html.index('id="criteria-1-max_points"') :]
    message = "Điểm tối đa của tiêu chí phải lớn hơn 0."
    # Beside the second criterion's maximum (before its guidance), not by the scale.
    assert after_field.index(message) < after_field.index('id="criteria-1-guidance"')
    assert html.count(message) == 1
