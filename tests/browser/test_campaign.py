"""Browser journeys of the campaign package: the movement's verification loop and the safety
corner's anonymous report."""

from __future__ import annotations

import io
import re
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from PIL import Image
from playwright.sync_api import expect

from core.clock import local_today
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def _photo(tmp_path, name: str, colour=(19, 122, 75)):
    path = tmp_path / name
    image = Image.new("RGB", (320, 240), colour)
    out = io.BytesIO()
    image.save(out, format="JPEG")
    path.write_bytes(out.getvalue())
    return path


@pytest.fixture
def movement_world(live_server):
    """A school with its own coordinator in a one-criterion movement (so the tier must move)."""
    from campaign.greennet import services
    from core.accounts import services as accounts
    from core.accounts.models import Role, RoleAssignment, User
    from core.extensions import db
    from core.schools.models import District, School, SchoolLevel

    tag = uuid.uuid4().hex[:6]
    with live_server.app.test_request_context():
        district = db.session.scalar(sa.select(District))
        organizer = db.session.scalar(sa.select(User).where(User.username == "organizer"))
        school = School(
            district=district,
            code=f"BT-{tag}",
            name=f"Trường THCS Thử {tag}",
            level=SchoolLevel.THCS,
        )
        db.session.add(school)
        db.session.flush()
        coordinator = User(
            username=f"coord-{tag}",
            full_name="Nguyễn Thị Điều Phối",
            password_hash=accounts.hash_password("demo1234"),
            school_id=school.id,
        )
        coordinator.role_assignments = [RoleAssignment(role=Role.COORDINATOR, school_id=school.id)]
        db.session.add(coordinator)
        year = 2100 + int(tag, 16) % 800
        movement = services.create_movement(
            actor=organizer, school_year=f"{year}-{year + 1}", title=f"Phong trào thử {tag}"
        )
        services.add_criterion(
            actor=organizer,
            movement=movement,
            level=SchoolLevel.THCS,
            code="1",
            title="Chuyên đề sử dụng Internet an toàn",
            max_points=10,
            evidence_kinds=["photo"],
        )
        db.session.commit()
        ids = {
            "movement": movement.id,
            "school": school.id,
            "code": school.code,
            "coordinator": coordinator.username,
        }
        db.session.remove()
    return ids


def test_coordinator_organizer_return_resubmit_approve_moves_score_and_tier(
    live_server, browser, page, movement_world, tmp_path
):
    world = movement_world
    school_url = live_server(f"/movement/{world['movement']}/schools/{world['school']}")
    dashboard_url = live_server(f"/manage/movements/{world['movement']}/dashboard")

    # The coordinator logs an activity with a photo and submits it.
    sign_in(page, live_server, world["coordinator"])
    page.goto(school_url)
    page.get_by_role("link", name="Thêm hoạt động").first.click()
    page.get_by_label("Hoạt động", exact=True).fill("Chuyên đề an toàn mạng cho khối 8")
    page.get_by_label("Ngày", exact=True).fill("2026-11-20")
    page.get_by_label("Số người tham gia").fill("120")
    page.get_by_label("Điểm tự chấm").fill("10")
    page.get_by_role("button", name="Lưu").click()
    activity_url = page.url
    assert re.search(r"/movement/activities/\d+$", activity_url)
    page.get_by_label("Ảnh (JPEG, PNG, WebP) hoặc PDF, tối đa 10 MB").set_input_files(
        str(_photo(tmp_path, "a.jpg"))
    )
    page.get_by_test_id("evidence-form").get_by_role("button", name="Thêm").click()
    expect(page.locator("img.evidence-thumb")).to_have_count(1)
    page.get_by_role("button", name="Gửi lên Phòng").click()
    expect(page.get_by_test_id("activity-status")).to_have_text("Chờ thẩm định")

    # The organizer sees the school at 0 and returns the activity for more evidence.
    organizer = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh").new_page()
    sign_in(organizer, live_server, "organizer")
    organizer.goto(dashboard_url)
    row = organizer.get_by_test_id(f"dashboard-row-{world['code']}")
    assert row.get_by_test_id("score").inner_text() == "0"
    assert row.get_by_test_id("tier").get_attribute("data-tier") == "fail"
    organizer.goto(activity_url)
    organizer.get_by_label("Còn thiếu minh chứng gì?").fill("Bổ sung ảnh toàn cảnh hội trường.")
    deadline = local_today(zone="Asia/Ho_Chi_Minh") + timedelta(days=3)
    organizer.get_by_label("Hạn bổ sung").fill(deadline.isoformat())
    organizer.get_by_role("button", name="Trả lại để bổ sung").click()
    expect(organizer.get_by_test_id("activity-status")).to_have_text("Bị trả lại để bổ sung")

    # The coordinator adds evidence and resubmits.
    page.goto(activity_url)
    assert "Bổ sung ảnh toàn cảnh" in page.get_by_test_id("verifier-comment").inner_text()
    page.get_by_label("Ảnh (JPEG, PNG, WebP) hoặc PDF, tối đa 10 MB").set_input_files(
        str(_photo(tmp_path, "b.jpg", (31, 119, 180)))
    )
    page.get_by_test_id("evidence-form").get_by_role("button", name="Thêm").click()
    expect(page.locator("img.evidence-thumb")).to_have_count(2)
    page.get_by_role("button", name="Gửi lên Phòng").click()
    expect(page.get_by_test_id("activity-status")).to_have_text("Chờ thẩm định")

    # The organizer approves; the dashboard shows the new score and tier.
    organizer.goto(activity_url)
    organizer.get_by_test_id("approve-form").get_by_role("button", name="Duyệt").click()
    expect(organizer.get_by_test_id("awarded")).to_have_text("10")
    organizer.goto(dashboard_url)
    row = organizer.get_by_test_id(f"dashboard-row-{world['code']}")
    assert row.get_by_test_id("score").inner_text() == "10"
    assert row.get_by_test_id("tier").get_attribute("data-tier") == "excellent"
    assert row.get_by_test_id("tier").inner_text() == "Xuất sắc"
    organizer.context.close()


def test_anonymous_safety_report_reaches_designated_staff(live_server, browser, page):
    text = f"Có người lạ nhắn tin đòi ảnh riêng tư của bạn em ({uuid.uuid4().hex[:6]})."

    page.goto(live_server("/safety/report"))
    page.get_by_label("Trường").select_option(label="Trường THCS Dương Xá")
    page.get_by_label("Chuyện gì đã xảy ra?").fill(text)
    page.get_by_label("Chuyện xảy ra ở đâu?").fill("Messenger")
    page.get_by_role("button", name="Gửi phản ánh").click()
    reference = page.get_by_test_id("safety-reference").inner_text()
    assert reference.startswith("AT-")

    staff = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh").new_page()
    sign_in(staff, live_server, "coord1")
    expect(staff.get_by_test_id("unread-count")).to_be_visible()
    staff.goto(live_server("/safety/reports"))
    staff.get_by_role("link", name=reference).click()
    expect(staff.get_by_test_id("safety-what")).to_have_text(text)
    assert "đã mở" in staff.locator("body").inner_text()
    staff.context.close()

    other = browser.new_context(locale="vi-VN").new_page()
    sign_in(other, live_server, "coord2")
    other.goto(live_server("/safety/reports"))
    assert other.get_by_role("link", name=reference).count() == 0
    other.context.close()


def test_anonymous_report_followed_up_from_another_browser(live_server, browser, page):
    text = f"Bạn cùng lớp bị nhóm chat bêu riếu ({uuid.uuid4().hex[:6]})."

    page.goto(live_server("/safety/report"))
    page.get_by_label("Trường").select_option(label="Trường THCS Dương Xá")
    page.get_by_label("Chuyện gì đã xảy ra?").fill(text)
    page.get_by_role("button", name="Gửi phản ánh").click()
    reference = page.get_by_test_id("safety-reference").inner_text()
    secret = page.get_by_test_id("safety-secret").inner_text()
    page.context.close()

    staff = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh").new_page()
    sign_in(staff, live_server, "coord1")
    staff.goto(live_server("/safety/reports"))
    staff.get_by_role("link", name=reference).click()
    staff.get_by_label("Trả lời người báo cáo").fill("Cô đã nhận được, em đang an toàn chứ?")
    staff.get_by_role("button", name="Gửi câu trả lời").click()
    expect(staff.get_by_test_id("safety-messages")).to_contain_text("em đang an toàn chứ?")

    # Another browser, no account: the reference and the secret phrase are enough.
    child = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh").new_page()
    child.goto(live_server("/safety/follow-up"))
    child.get_by_label("Mã phản ánh").fill(reference)
    child.get_by_label("Cụm mật mã").fill("WRONG-PHRASE")
    child.get_by_role("button", name="Xem câu trả lời").click()
    expect(child.locator("body")).to_contain_text("Không có báo cáo nào khớp")
    child.get_by_label("Mã phản ánh").fill(reference)
    child.get_by_label("Cụm mật mã").fill(secret.lower())
    child.get_by_role("button", name="Xem câu trả lời").click()
    expect(child.get_by_test_id("safety-messages")).to_contain_text("em đang an toàn chứ?")
    child.get_by_label("Bổ sung cho báo cáo").fill("Dạ em ổn, nhưng bạn ấy vẫn bị nhắn tin.")
    child.get_by_role("button", name="Gửi", exact=True).click()
    expect(child.get_by_test_id("safety-messages")).to_contain_text("bạn ấy vẫn bị nhắn tin")
    child.context.close()

    staff.reload()
    expect(staff.get_by_test_id("safety-messages")).to_contain_text("bạn ấy vẫn bị nhắn tin")
    staff.context.close()


@pytest.fixture
def scored_world(live_server):
    """A THCS school scored 9/10 (90 %, Xuất sắc) with nothing awaiting verification."""
    from campaign.greennet import services
    from core.accounts.models import User
    from core.extensions import db
    from core.schools.models import District, School, SchoolLevel

    tag = uuid.uuid4().hex[:6]
    with live_server.app.test_request_context():
        district = db.session.scalar(sa.select(District))
        organizer = db.session.scalar(sa.select(User).where(User.username == "organizer"))
        school = School(
            district=district,
            code=f"KH-{tag}",
            name=f"Trường THCS Khóa {tag}",
            level=SchoolLevel.THCS,
        )
        db.session.add(school)
        db.session.flush()
        year = 2100 + int(tag, 16) % 800
        movement = services.create_movement(
            actor=organizer, school_year=f"{year}-{year + 1}", title=f"Phong trào khóa {tag}"
        )
        criterion = services.add_criterion(
            actor=organizer,
            movement=movement,
            level=SchoolLevel.THCS,
            code="1",
            title="Tập huấn an toàn thông tin",
            max_points=10,
        )
        activity = services.save_activity(
            actor=organizer,
            movement=movement,
            school=school,
            criterion_id=criterion.id,
            title="Tập huấn cho giáo viên",
            happened_on=local_today(zone="Asia/Ho_Chi_Minh"),
            self_score=9,
        )
        services.submit_activity(actor=organizer, activity=activity)
        services.approve_activity(actor=organizer, activity=activity)
        db.session.commit()
        ids = {"movement": movement.id, "school": school.id}
        db.session.remove()
    return ids


def test_locked_result_unchanged_after_thresholds_change(live_server, page, scored_world):
    world = scored_world
    school_url = live_server(f"/movement/{world['movement']}/schools/{world['school']}")
    sign_in(page, live_server, "organizer")

    # Lock the school at the final review: 9/10, Xuất sắc.
    page.goto(school_url)
    page.locator("#lock-milestone_id").select_option(label="Tổng kết năm học")
    page.get_by_role("button", name="Khóa tại mốc này").click()
    expect(page.get_by_test_id("record-final")).to_contain_text("9/10")
    expect(page.get_by_test_id("shown-record")).to_be_visible()

    # Raise the Xuất sắc threshold above the school's 90 %.
    page.goto(live_server(f"/manage/movements/{world['movement']}"))
    page.get_by_label("Xuất sắc từ (%)").fill("95")
    page.get_by_role("button", name="Lưu ngưỡng xếp loại").click()
    expect(page.locator("body")).to_contain_text("Đã lưu")

    # The locked figures are unchanged.
    page.goto(school_url)
    assert page.get_by_test_id("school-score").inner_text() == "9/10"
    assert page.locator("[data-testid=tier]").first.get_attribute("data-tier") == "excellent"
    expect(page.get_by_test_id("record-final")).to_contain_text("90.0 %")
