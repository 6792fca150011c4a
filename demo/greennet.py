"""Demo: this school year's movement with criteria per level, activities in every state with
photo evidence, a mid-term review (locked for some schools), campaign phases and news.

Over 400 lines because most of it is data (criteria and activity texts per level), read top to
bottom like the district's own plan; the code that seeds it is short.
"""

from __future__ import annotations

import io
import random
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from PIL import Image, ImageDraw

from campaign.campaigns import services as campaign_services
from campaign.campaigns.models import Campaign, PhaseKind
from campaign.greennet import services
from campaign.greennet.models import Activity, MilestoneKind, Movement
from campaign.news import services as news_services
from campaign.news.models import NewsPost
from core import pdf as core_pdf
from core.accounts.models import User
from core.clock import local_today, school_year
from core.extensions import db
from core.schools.models import School, SchoolLevel
from core.storage import storage
from core.uploads import clean_image
from demo import quiz

# code, title, guidance, max points, evidence, count, metric
CRITERIA = {
    SchoolLevel.THCS: [
        (
            "1",
            "Xây dựng kế hoạch thực hiện văn hóa ứng xử trên không gian mạng của nhà trường",
            "Kế hoạch năm học có phân công, tiến độ và kinh phí.",
            8,
            "file",
            1,
            None,
        ),
        (
            "2",
            "Hội nghị, chuyên đề sử dụng Internet an toàn, hiệu quả cho học sinh",
            "Mỗi chuyên đề có ảnh và danh sách tham dự.",
            10,
            "photo",
            2,
            None,
        ),
        (
            "3",
            "Tập huấn cán bộ, giáo viên, nhân viên về văn hóa ứng xử trên không gian mạng",
            "Tối thiểu một lần mỗi năm học.",
            8,
            "photo",
            1,
            None,
        ),
        (
            "4",
            "Tin bài tuyên truyền trên trang thông tin điện tử của nhà trường",
            "Mỗi tin bài là một liên kết.",
            10,
            "link",
            5,
            None,
        ),
        (
            "5",
            "Trang, nhóm (fanpage, group) lan tỏa thông tin tích cực",
            "Liên kết tới trang do nhà trường quản lý.",
            8,
            "link",
            1,
            None,
        ),
        (
            "6",
            "Trao đổi với cha mẹ học sinh về bảo vệ trẻ em trên không gian mạng",
            "Ảnh buổi họp hoặc chuyên đề.",
            8,
            "photo",
            2,
            None,
        ),
        (
            "7",
            "Lồng ghép kỹ năng an toàn trên mạng trong tiết sinh hoạt lớp",
            "",
            6,
            "photo",
            2,
            None,
        ),
        (
            "8",
            "Mô hình, cách làm hay về văn hóa ứng xử trên không gian mạng được nhân rộng",
            "",
            8,
            "photo",
            1,
            None,
        ),
        (
            "9",
            "Góc tư vấn, hỗ trợ học sinh khi gặp vấn đề trên không gian mạng",
            "",
            6,
            "photo",
            1,
            None,
        ),
        (
            "10",
            "Tỉ lệ học sinh tham gia cuộc thi trực tuyến tìm hiểu pháp luật",
            "Nền tảng tự tính từ dữ liệu cuộc thi.",
            12,
            "",
            1,
            "quiz_participation_rate",
        ),
        (
            "11",
            "Bài dự thi viết về hành động đẹp trên không gian mạng",
            "Nền tảng tự tính; đủ 10 bài đạt điểm tối đa.",
            10,
            "",
            10,
            "essay_entries",
        ),
        (
            "12",
            "Tỉ lệ học sinh kích hoạt tài khoản Mạng Xanh",
            "Nền tảng tự tính.",
            6,
            "",
            1,
            "students_activated_rate",
        ),
    ],
    SchoolLevel.TH: [
        (
            "1",
            "Xây dựng kế hoạch thực hiện văn hóa ứng xử trên không gian mạng của nhà trường",
            "",
            8,
            "file",
            1,
            None,
        ),
        (
            "2",
            "Chuyên đề sử dụng Internet an toàn phù hợp lứa tuổi tiểu học",
            "",
            12,
            "photo",
            2,
            None,
        ),
        ("3", "Tập huấn giáo viên về bảo vệ trẻ em trên không gian mạng", "", 8, "photo", 1, None),
        (
            "4",
            "Tin bài tuyên truyền trên trang thông tin điện tử của nhà trường",
            "",
            10,
            "link",
            4,
            None,
        ),
        (
            "5",
            "Họp cha mẹ học sinh về quản lý thời gian sử dụng thiết bị số",
            "",
            10,
            "photo",
            2,
            None,
        ),
        ("6", "Tiết sinh hoạt lồng ghép kỹ năng tự bảo vệ trên mạng", "", 8, "photo", 2, None),
        ("7", "Trang, nhóm lan tỏa thông tin tích cực của nhà trường", "", 6, "link", 1, None),
        ("8", "Mô hình, cách làm hay được nhân rộng", "", 8, "photo", 1, None),
        (
            "9",
            "Tỉ lệ học sinh tham gia cuộc thi trực tuyến tìm hiểu pháp luật",
            "",
            12,
            "",
            1,
            "quiz_participation_rate",
        ),
        (
            "10",
            "Bài dự thi viết về hành động đẹp trên không gian mạng",
            "",
            10,
            "",
            8,
            "essay_entries",
        ),
        (
            "11",
            "Tỉ lệ học sinh đăng nhập Mạng Xanh trong năm học",
            "",
            8,
            "",
            1,
            "students_signed_in_rate",
        ),
    ],
    SchoolLevel.MN: [
        (
            "1",
            "Xây dựng kế hoạch thực hiện văn hóa ứng xử trên không gian mạng của nhà trường",
            "",
            10,
            "file",
            1,
            None,
        ),
        (
            "2",
            "Tập huấn giáo viên, nhân viên về an toàn thông tin và bảo vệ trẻ",
            "",
            12,
            "photo",
            1,
            None,
        ),
        (
            "3",
            "Tuyên truyền cha mẹ về bảo vệ trẻ em trên không gian mạng",
            "",
            14,
            "photo",
            2,
            None,
        ),
        ("4", "Tin bài trên trang thông tin điện tử của nhà trường", "", 12, "link", 4, None),
        ("5", "Trang, nhóm lan tỏa thông tin tích cực", "", 8, "link", 1, None),
        ("6", "Góc tuyên truyền tại bảng tin nhà trường", "", 8, "photo", 1, None),
        (
            "7",
            "Hoạt động trải nghiệm \u201cBé dùng thiết bị an toàn\u201d",
            "",
            10,
            "photo",
            2,
            None,
        ),
        (
            "8",
            "Tài liệu hướng dẫn cha mẹ về thời gian dùng thiết bị của trẻ",
            "",
            8,
            "file",
            1,
            None,
        ),
        ("9", "Mô hình, cách làm hay được nhân rộng", "", 10, "photo", 1, None),
        ("10", "Ngày hội gia đình \u201cMạng xanh\u201d", "", 8, "photo", 1, None),
    ],
}

#: How strong each demo school is (share of points it earns), by school code order.
STRENGTH = [1.0, 0.85, 0.7, 0.55, 0.4, 1.0, 0.75, 0.6, 0.45, 1.0, 0.65, 0.5]
COLOURS = [(19, 122, 75), (31, 119, 180), (240, 180, 0), (214, 39, 40), (148, 103, 189)]

NEWS = [
    (
        "Phát động phong trào thi đua \u201cMạng xanh\u201d năm học {year}",
        "Phòng GD&ĐT huyện Gia Lâm phát động phong trào thi đua xây dựng môi trường mạng "
        "**\u201cxanh\u201d, \u201cbình yên\u201d** trong các nhà trường.\n\n"
        "- Mỗi trường xây dựng kế hoạch và cập nhật hoạt động, minh chứng lên Mạng Xanh.\n"
        "- Phòng thẩm định, chấm điểm và xếp loại theo tiêu chí của từng cấp học.\n",
        60,
    ),
    (
        "Khai mạc cuộc thi trực tuyến tìm hiểu pháp luật về an ninh mạng",
        "Cuộc thi dành cho học sinh THCS. Mỗi lượt thi gồm {questions} câu hỏi trong {minutes} "
        "phút.\n\nXem thể lệ và xếp hạng trên trang chiến dịch.",
        30,
    ),
    (
        "Sơ kết học kỳ I phong trào \u201cMạng xanh\u201d",
        "Phòng đã khóa kết quả sơ kết của các trường. Các trường tiếp tục cập nhật hoạt động "
        "học kỳ II; kết quả tổng kết dựa trên dữ liệu đến cuối năm học.",
        5,
    ),
    (
        "Tổng đài 111: gọi miễn phí, 24/7",
        "Nếu em gặp chuyện không vui trên mạng, hãy nói với bố mẹ, thầy cô hoặc gọi "
        "**Tổng đài quốc gia bảo vệ trẻ em 111** (miễn phí, 24/7). Em cũng có thể gửi phản ánh "
        "kín trên Mạng Xanh, không cần ghi tên.",
        2,
    ),
]


def _photo(rng: random.Random, label: int) -> bytes:
    image = Image.new("RGB", (480, 320), rng.choice(COLOURS))
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x, y = rng.randint(0, 420), rng.randint(0, 260)
        draw.rectangle(
            (x, y, x + rng.randint(30, 120), y + rng.randint(20, 80)), fill=rng.choice(COLOURS)
        )
    draw.text((16, 290), f"Mang Xanh #{label}", fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


def _pdf(title: str) -> bytes:
    document = core_pdf.new_document(title=title)
    document.add_page()
    document.multi_cell(0, 8, title)
    return core_pdf.to_bytes(document)


def seed_greennet(*, now: datetime) -> None:
    """Idempotent: does nothing if this school year's movement exists."""
    year = school_year(now)
    if db.session.scalar(sa.select(Movement.id).where(Movement.school_year == year)):
        return
    organizer = db.session.scalar(sa.select(User).where(User.username == "organizer"))
    campaign = db.session.scalar(sa.select(Campaign).order_by(Campaign.id).limit(1))
    schools = list(db.session.scalars(sa.select(School).order_by(School.id)))
    if organizer is None or not schools:
        return
    today = local_today(now)
    start_year = int(year[:4])
    movement = services.create_movement(
        actor=organizer,
        school_year=year,
        title=f"Phong trào thi đua \u201cMạng xanh\u201d năm học {start_year}–{start_year + 1}",
        campaign_id=campaign.id if campaign else None,
        now=now,
    )
    movement.excellent_quota_percent = 20.0
    midterm = next(m for m in movement.milestones if m.kind == MilestoneKind.MIDTERM)
    launch = next(m for m in movement.milestones if m.kind == MilestoneKind.LAUNCH)
    # The demo's mid-term review happened a week ago, whatever day the demo is seeded.
    midterm.due_on = max(today - timedelta(days=7), launch.due_on + timedelta(days=30))
    for level, rows in CRITERIA.items():
        for code, title, guidance, points, evidence, count, metric in rows:
            services.add_criterion(
                actor=organizer,
                movement=movement,
                level=level,
                code=code,
                title=title,
                guidance=guidance,
                max_points=points,
                evidence_kinds=[evidence] if evidence else [],
                max_count=count,
                computed=metric is not None,
                metric=metric,
                now=now,
            )
    rng = random.Random(2025)
    coordinators = {
        u.school_id: u
        for u in db.session.scalars(sa.select(User).where(User.username.like("coord%")))
    }
    photo_number = 0
    first_half: list[Activity] = []
    later: list[tuple[Activity, str]] = []
    for index, school in enumerate(schools):
        coordinator = coordinators.get(school.id)
        if coordinator is None:
            continue
        strength = STRENGTH[index % len(STRENGTH)]
        criteria = [c for c in services.criteria_for_school(movement, school) if not c.computed]
        for position, criterion in enumerate(criteria):
            happened = date(start_year, 9, 20) + timedelta(days=7 * position + index)
            if happened > today:
                happened = today - timedelta(days=1)
            activity = services.save_activity(
                actor=coordinator,
                movement=movement,
                school=school,
                criterion_id=criterion.id,
                title=criterion.title[:120],
                happened_on=happened,
                description="Nhà trường tổ chức cho học sinh và giáo viên tham gia; "
                "có ảnh và danh sách kèm theo.",
                participants=rng.randint(30, 600),
                self_score=round(criterion.max_points * min(1.0, strength + 0.1), 1),
                now=now,
            )
            for kind in criterion.required_kinds or ["photo"]:
                kind = getattr(kind, "value", kind)
                if kind == "photo":
                    photo_number += 1
                    services.add_photo(
                        actor=coordinator,
                        activity=activity,
                        data=_photo(rng, photo_number),
                        filename="anh.jpg",
                        now=now,
                    )
                elif kind == "file":
                    services.add_pdf(
                        actor=coordinator,
                        activity=activity,
                        data=_pdf(criterion.title),
                        filename="ke-hoach.pdf",
                        now=now,
                    )
                else:
                    services.add_link(
                        actor=coordinator,
                        activity=activity,
                        url=f"https://{school.code.lower()}.gialam.edu.vn/tin-tuc/{position + 1}",
                        now=now,
                    )
            # Most of a school's work was verified before the mid-term review; the rest is
            # in every later state (draft, waiting, returned).
            share = position / max(len(criteria), 1)
            if share < strength - 0.15:
                first_half.append(activity)
            else:
                later.append((activity, rng.choice(["draft", "submitted", "returned", "approved"])))
    earlier = now - timedelta(days=20)
    strong = {s.id for i, s in enumerate(schools) if STRENGTH[i % len(STRENGTH)] >= 1.0}
    for activity in first_half:
        coordinator = coordinators[activity.school_id]
        services.submit_activity(actor=coordinator, activity=activity, now=earlier)
        criterion = activity.criterion
        if activity.school_id not in strong and rng.random() < 0.25:
            points = round(criterion.max_points * 0.8, 1)
            services.approve_activity(
                actor=organizer,
                activity=activity,
                points=points,
                comment="Minh chứng chưa đầy đủ danh sách tham dự.",
                now=earlier,
            )
        else:
            services.approve_activity(actor=organizer, activity=activity, now=earlier)
    # The mid-term review: every school's score is frozen; most are reopened for term II.
    locked_codes = {"MN-KK", "TH-KK"}
    for school in schools:
        if school.id not in coordinators:
            continue
        services.lock_assessment(
            actor=organizer,
            movement=movement,
            school=school,
            milestone=midterm,
            now=now - timedelta(days=7),
        )
        if school.code not in locked_codes:
            services.reopen_assessment(
                actor=organizer,
                movement=movement,
                school=school,
                reason="Mở lại để các trường cập nhật hoạt động học kỳ II.",
                now=now - timedelta(days=6),
            )
    dx = next((s for s in schools if s.code == "THCS-DX"), None)
    if dx is not None and dx.id in coordinators:
        # coord1's school shows every state side by side: new term-II work on criterion 2, 6, 7.
        for code, state in (("2", "draft"), ("6", "submitted"), ("7", "returned")):
            criterion = next(
                c for c in services.criteria_for_school(movement, dx) if c.code == code
            )
            activity = services.save_activity(
                actor=coordinators[dx.id],
                movement=movement,
                school=dx,
                criterion_id=criterion.id,
                title=f"Học kỳ II: {criterion.title[:100]}",
                happened_on=today - timedelta(days=4),
                participants=rng.randint(40, 400),
                description="Hoạt động học kỳ II.",
                self_score=criterion.max_points / 2,
                now=now,
            )
            photo_number += 1
            services.add_photo(
                actor=coordinators[dx.id],
                activity=activity,
                data=_photo(rng, photo_number),
                filename="anh.jpg",
                now=now,
            )
            later.append((activity, state))
    for activity, state in later:
        school_code = next(s.code for s in schools if s.id == activity.school_id)
        if school_code in locked_codes:
            continue
        coordinator = coordinators[activity.school_id]
        if state == "draft":
            continue
        services.submit_activity(actor=coordinator, activity=activity, now=now - timedelta(days=3))
        if state == "approved":
            services.approve_activity(
                actor=organizer, activity=activity, now=now - timedelta(days=2)
            )
        elif state == "returned":
            overdue = rng.random() < 0.3
            services.return_activity(
                actor=organizer,
                activity=activity,
                reason="Đề nghị bổ sung ảnh hoạt động và danh sách học sinh tham gia.",
                deadline=today + timedelta(days=5),
                now=now - timedelta(days=2),
            )
            if overdue:
                activity.return_deadline = today - timedelta(days=1)
    db.session.flush()
    _seed_campaign_page(campaign, organizer, now, today, start_year)


def _banner() -> bytes:
    """A wide green banner with soft shapes (the demo has no photographer)."""
    width, height = 1600, 400
    image = Image.new("RGB", (width, height), (19, 122, 75))
    draw = ImageDraw.Draw(image)
    for x in range(width):
        shade = int(40 * x / width)
        draw.line([(x, 0), (x, height)], fill=(19 + shade, 122 + shade, 75 + shade // 2))
    for cx, cy, r, colour in [
        (1350, 80, 180, (31, 157, 102)),
        (1480, 330, 140, (240, 180, 0)),
        (200, 360, 120, (15, 106, 65)),
        (900, -40, 110, (46, 160, 110)),
    ]:
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def _seed_campaign_page(campaign, organizer, now, today, start_year) -> None:
    if campaign is None:
        return
    if campaign.banner_key is None:
        cleaned = clean_image(_banner(), max_bytes=5 * 1024 * 1024, max_side=1600)
        campaign.banner_key = storage().save(cleaned.data, prefix="banner", suffix=cleaned.suffix)
    if not campaign.phases:
        for kind, title, starts, ends in [
            (PhaseKind.LAUNCH, "Phát động", date(start_year, 9, 5), date(start_year, 9, 30)),
            (
                PhaseKind.CONTESTS,
                "Các cuộc thi và hoạt động thi đua",
                date(start_year, 10, 1),
                date(start_year + 1, 1, 10),
            ),
            (
                PhaseKind.MIDTERM,
                "Sơ kết học kỳ I",
                date(start_year + 1, 1, 11),
                date(start_year + 1, 1, 31),
            ),
            (
                PhaseKind.FINAL,
                "Tổng kết năm học",
                date(start_year + 1, 5, 1),
                date(start_year + 1, 5, 31),
            ),
        ]:
            starts = max(starts, campaign.starts_on)
            ends = min(ends, campaign.ends_on)
            if starts <= ends:
                campaign_services.add_phase(
                    actor=organizer,
                    campaign=campaign,
                    kind=kind,
                    title=title,
                    starts_on=starts,
                    ends_on=ends,
                    now=now,
                )
    if db.session.scalar(sa.select(NewsPost.id).limit(1)) is None:
        questions, minutes = quiz.paper_facts() or (20, 15)
        for title, body, days_ago in NEWS:
            news_services.save_news(
                actor=organizer,
                post=None,
                title=title.format(year=f"{start_year}–{start_year + 1}"),
                body_markdown=body.format(questions=questions, minutes=minutes),
                campaign_id=campaign.id,
                publish=True,
                now=now - timedelta(days=days_ago),
            )
    db.session.flush()
