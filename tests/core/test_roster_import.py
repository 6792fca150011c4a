import io
from datetime import date
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from core.accounts.models import Role, RoleAssignment, User
from core.accounts.roster import import_roster, sign_in_slips
from core.audit import history
from core.schools.models import SchoolClass, SchoolLevel
from core.spreadsheets import ImportRejected
from tests.conftest import T0

HEADER = ["Mã học sinh", "Họ và tên", "Ngày sinh", "Lớp", "Giới tính"]


def xlsx(rows, header=HEADER) -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    return out


def csv_bytes(rows, header=HEADER, encoding="utf-8-sig") -> io.BytesIO:
    lines = [",".join(header)] + [",".join(str(c) for c in row) for row in rows]
    return io.BytesIO(("\n".join(lines) + "\n").encode(encoding))


def students_of(db, school):
    return db.session.scalars(
        sa.select(User).where(User.school_id == school.id).order_by(User.student_code)
    ).all()


@pytest.fixture
def school(make):
    return make.school("THCS-DX", SchoolLevel.THCS)


def test_import_good_xlsx_creates_students_classes_and_roles(db, school):
    rows = [
        ["HS001", "Nguyễn Văn An", "05/09/2012", "8A1", "Nam"],
        ["HS002", "Trần Thị Bình", date(2013, 3, 17), "7a2", "Nữ"],
        ["HS003", "Lê  Minh   Châu", "2012-01-30", "8A1", ""],
    ]

    report = import_roster(actor=None, school=school, stream=xlsx(rows), filename="ds.xlsx", now=T0)

    assert report.counts == {
        "rows": 3,
        "created": 3,
        "updated": 0,
        "moved": 0,
        "unchanged": 0,
        "classes_created": 2,
    }
    assert report.notes == ["7A2", "8A1"]
    students = students_of(db, school)
    assert [(s.student_code, s.full_name, s.school_class.name, s.username) for s in students] == [
        ("HS001", "Nguyễn Văn An", "8A1", "thcs-dx.hs001"),
        ("HS002", "Trần Thị Bình", "7A2", "thcs-dx.hs002"),
        ("HS003", "Lê Minh Châu", "8A1", "thcs-dx.hs003"),
    ]
    assert students[1].date_of_birth == date(2013, 3, 17)
    assert all(s.roles == {Role.STUDENT} and s.password_hash is None for s in students)
    assert [e.action for e in history("school", school.id)] == ["roster.import"]


def test_import_csv_with_semicolons_and_bom(db, school):
    data = io.BytesIO(
        "\ufeffMã học sinh;Họ và tên;Ngày sinh;Lớp\nHS9;Phạm Thu Hà;01/02/2011;9A1\n".encode()
    )

    report = import_roster(actor=None, school=school, stream=data, filename="ds.csv", now=T0)

    assert report.counts["created"] == 1
    assert students_of(db, school)[0].full_name == "Phạm Thu Hà"


def test_reimport_is_idempotent_and_moves_students(db, school):
    rows = [
        ["HS001", "Nguyễn Văn An", "05/09/2012", "8A1"],
        ["HS002", "Trần Bình", "05/09/2012", "8A1"],
    ]
    import_roster(actor=None, school=school, stream=xlsx(rows), filename="a.xlsx", now=T0)

    again = import_roster(actor=None, school=school, stream=xlsx(rows), filename="a.xlsx", now=T0)
    moved_rows = [rows[0], ["HS002", "Trần Bình", "05/09/2012", "8A2"]]
    moved = import_roster(
        actor=None, school=school, stream=xlsx(moved_rows), filename="b.xlsx", now=T0
    )

    assert again.counts["unchanged"] == 2 and again.counts["created"] == 0
    assert (moved.counts["moved"], moved.counts["created"], moved.counts["classes_created"]) == (
        1,
        0,
        1,
    )
    students = students_of(db, school)
    assert [(s.student_code, s.school_class.name) for s in students] == [
        ("HS001", "8A1"),
        ("HS002", "8A2"),
    ]
    assert (
        db.session.scalar(
            sa.select(sa.func.count(RoleAssignment.id)).where(RoleAssignment.school_id == school.id)
        )
        == 2
    )


BAD_FILES = {
    "missing name": ([["HS1", "", "01/01/2012", "8A1"]], [(2, "Họ và tên", "Thiếu họ và tên.")]),
    "bad date": (
        [["HS1", "An", "31/02/2012", "8A1"]],
        [
            (
                2,
                "Ngày sinh",
                "“31/02/2012” không phải là ngày; hãy ghi theo dạng ngày/tháng/năm (dd/mm/yyyy).",
            )
        ],
    ),
    "duplicate code": (
        [["HS1", "An", "01/01/2012", "8A1"], ["HS1", "Bình", "01/01/2012", "8A1"]],
        [(3, "Mã học sinh", "Mã học sinh HS1 bị trùng với dòng 3.")],
    ),
    "class of another level": (
        [["HS1", "An", "01/01/2016", "3A1"]],
        [(2, "Lớp", "Lớp 3A1 không phù hợp với trường cấp THCS.")],
    ),
    "bad gender": (
        [["HS1", "An", "01/01/2012", "8A1", "X"]],
        [(2, "Giới tính", "Giới tính phải là “Nam” hoặc “Nữ”.")],
    ),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_bad_rows_are_reported_and_nothing_is_written(app, db, school, case):
    rows, expected = BAD_FILES[case]
    good = [["HS0", "Người Tốt", "01/01/2012", "8A1"]]

    with app.test_request_context(), pytest.raises(ImportRejected) as rejected:
        import_roster(
            actor=None, school=school, stream=xlsx(good + rows), filename="x.xlsx", now=T0
        )

    got = [(e.row + 0, e.column, e.message) for e in rejected.value.report.errors]
    assert got == [(row + 1, col, msg) for row, col, msg in expected]
    assert students_of(db, school) == []
    assert db.session.scalar(sa.select(sa.func.count(SchoolClass.id))) == 0


WHOLE_FILE_PROBLEMS = {
    "wrong type": (
        io.BytesIO(b"%PDF-1.4 not a sheet"),
        "ds.pdf",
        "Chỉ nhập được tệp .xlsx hoặc .csv.",
    ),
    "fake xlsx": (
        io.BytesIO(b"this is not a zip"),
        "ds.xlsx",
        "Tệp không phải là bảng tính .xlsx hợp lệ.",
    ),
    "unreadable encoding": (
        io.BytesIO("Mã học sinh,Họ và tên\n".encode("utf-16-le")[:-1] + b"\xff\xfe\xd8"),
        "ds.csv",
        "Không đọc được bảng mã của tệp. Hãy lưu tệp dưới dạng CSV UTF-8 rồi thử lại.",
    ),
    "missing column": (
        csv_bytes([["HS1", "An", "8A1"]], header=["Mã học sinh", "Họ và tên", "Lớp"]),
        "ds.csv",
        "Thiếu cột: Ngày sinh.",
    ),
    "empty": (io.BytesIO(b""), "ds.csv", "Tệp rỗng."),
    "headers only": (csv_bytes([]), "ds.csv", "Tệp có tiêu đề nhưng không có dòng dữ liệu nào."),
}


@pytest.mark.parametrize("case", WHOLE_FILE_PROBLEMS)
def test_unusable_files_are_reported_and_nothing_is_written(app, db, school, case):
    stream, filename, message = WHOLE_FILE_PROBLEMS[case]

    with app.test_request_context(), pytest.raises(ImportRejected) as rejected:
        import_roster(actor=None, school=school, stream=stream, filename=filename, now=T0)

    assert [e.message for e in rejected.value.report.errors] == [message]
    assert students_of(db, school) == []


def test_cli_import_roster_succeeds_and_reports(runner, school, tmp_path):
    path = tmp_path / "ds.xlsx"
    path.write_bytes(xlsx([["HS001", "Nguyễn Văn An", "05/09/2012", "8A1"]]).getvalue())

    result = runner.invoke(args=["import-roster", "--school", "thcs-dx", str(path)])

    assert result.exit_code == 0, result.output
    assert "1 học sinh mới" in result.output


def test_cli_import_roster_exits_nonzero_with_report(runner, db, school, tmp_path):
    path = tmp_path / "ds.xlsx"
    path.write_bytes(xlsx([["HS001", "", "05/09/2012", "8A1"]]).getvalue())

    result = runner.invoke(args=["import-roster", "--school", "THCS-DX", str(path)])

    assert result.exit_code == 1
    assert "dòng 2, cột Họ và tên: Thiếu họ và tên." in result.output
    assert students_of(db, school) == []


def test_sign_in_slips_issue_codes_only_to_students_without_password(app, make, db):
    school_class = make.school_class(name="8A1")
    waiting = make.student(school_class, password=None, full_name="Đỗ Thị Hằng")
    make.student(school_class)
    coordinator = make.coordinator(school_class.school)

    with app.test_request_context():
        pdf, count = sign_in_slips(
            actor=coordinator, school_class=school_class, sign_in_url="http://x/activate", now=T0
        )

    assert count == 1
    assert pdf.startswith(b"%PDF")
    assert waiting.activation_code_hash is not None
    assert [e.action for e in history("school_class", school_class.id)] == ["slips.download"]


def test_sign_in_slips_write_the_expiry_date_in_ho_chi_minh_time(app, make, db):
    from datetime import UTC, datetime

    from pypdf import PdfReader

    school_class = make.school_class(name="8A1")
    waiting = make.student(school_class, password=None)
    coordinator = make.coordinator(school_class.school)
    late = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)  # already 1 December in Vietnam

    with app.test_request_context():
        pdf, _count = sign_in_slips(
            actor=coordinator, school_class=school_class, sign_in_url="http://x/a", now=late
        )

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    expires = waiting.activation_expires_at
    local_day = expires.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%d/%m/%Y")
    assert local_day != expires.strftime("%d/%m/%Y")
    assert local_day in text
