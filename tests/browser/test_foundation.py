"""Journeys of the kernel: activation, roster import with slips, language switch."""

import io
import uuid
from pathlib import Path

import sqlalchemy as sa
from openpyxl import Workbook
from playwright.sync_api import expect

from core.accounts import services
from core.accounts.models import User
from core.extensions import db
from tests.browser.conftest import sign_in


def _issue_code(live_app, username: str) -> str:
    with live_app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        user.password_hash = None
        code = services.issue_activation_code(user=user)
        db.session.commit()
        return services.format_activation_code(code)


def test_student_activates_with_slip_code_and_sets_password(page, live_server):
    code = _issue_code(live_server.app, "student7")

    page.goto(live_server("/activate"))
    page.get_by_label("Tên đăng nhập").fill("student7")
    page.get_by_label("Mã kích hoạt").fill(code)
    page.get_by_label("Mật khẩu mới", exact=True).fill("em-tu-dat-mat-khau")
    page.get_by_label("Nhập lại mật khẩu mới").fill("em-tu-dat-mat-khau")
    page.get_by_role("button", name="Đặt mật khẩu").click()

    expect(page.get_by_text("Đã đặt mật khẩu. Chào mừng em!")).to_be_visible()
    # The menu opens once the page's scripts have run (the text above is there before them).
    page.wait_for_load_state()
    page.get_by_test_id("user-menu").click()
    page.get_by_role("button", name="Đăng xuất").click()
    sign_in(page, live_server, "student7", "em-tu-dat-mat-khau")
    expect(page.get_by_role("heading", name="Xin chào")).to_be_visible()


def _roster_file(path, class_name: str) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Mã học sinh", "Họ và tên", "Ngày sinh", "Lớp", "Giới tính"])
    suffix = uuid.uuid4().hex[:6].upper()
    for n in range(1, 6):
        sheet.append([f"B{suffix}{n}", f"Nguyễn Thị Học Sinh {n}", "12/03/2012", class_name, "Nữ"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    path.write_bytes(buffer.getvalue())


def test_coordinator_imports_roster_and_downloads_slips(page, live_server, tmp_path):
    roster = tmp_path / "danh-sach.xlsx"
    _roster_file(roster, "9A5")
    bad = tmp_path / "hong.csv"
    bad.write_text("Mã học sinh,Họ và tên,Ngày sinh,Lớp\nX1,,32/13/2012,9A5\n", encoding="utf-8")
    sign_in(page, live_server, "coord2")
    page.get_by_role("link", name="Mở").first.click()
    page.get_by_role("link", name="Nhập danh sách học sinh").click()

    page.get_by_label("Tệp danh sách (.xlsx hoặc .csv)").set_input_files(str(bad))
    page.get_by_role("button", name="Nhập", exact=True).click()
    rejected = page.get_by_test_id("import-rejected")
    rejected.wait_for()
    assert "không nhập" in rejected.inner_text() or "chưa nhập" in rejected.inner_text()
    expect(page.get_by_role("cell", name="Thiếu họ và tên.")).to_be_visible()

    page.get_by_label("Tệp danh sách (.xlsx hoặc .csv)").set_input_files(str(roster))
    page.get_by_role("button", name="Nhập", exact=True).click()
    page.get_by_test_id("import-ok").wait_for()
    assert "5 học sinh mới" in page.get_by_test_id("import-ok").inner_text()
    page.get_by_role("link", name="Quay lại trang trường").click()

    with page.expect_download() as download_info:
        page.get_by_test_id("slips-9A5").click()
    download = download_info.value
    assert download.suggested_filename.endswith("-9A5.pdf")
    assert Path(download.path()).read_bytes().startswith(b"%PDF")


def test_switching_to_english_and_back(page, live_server):
    page.goto(live_server("/login"))
    expect(page.get_by_role("heading", name="Đăng nhập")).to_be_visible()

    page.get_by_test_id("switch-language").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.goto(live_server("/campaigns"))
    expect(page.get_by_role("heading", name="Campaigns")).to_be_visible()

    page.get_by_test_id("switch-language").click()
    expect(page.get_by_role("heading", name="Chiến dịch")).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == "vi"
