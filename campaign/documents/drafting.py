"""Draft an official document from the data: the figures, and narrative pre-filled as text.

Official documents are always Vietnamese (the language of the administration), whatever
language the organizer reads the site in; so the text here is fixed Vietnamese, like the
column headings of an import format, and is not wrapped for translation.

Just over 400 lines: one builder per document kind over a shared layout; the award lists live in
``awards``.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

import sqlalchemy as sa

from campaign.documents.awards import award_annex
from campaign.documents.layout import OfficialDocument, Paragraph, Signer, Table, vi_number
from campaign.documents.models import DocumentDraft
from campaign.documents.subjects import MILESTONES, Subject
from campaign.greennet import services as greennet
from campaign.greennet.models import Activity, ActivityStatus, MilestoneKind, Movement, Tier
from campaign.greennet.reports import TIER_VI
from campaign.inspections.models import Rating
from core.extensions import db
from core.organisations.models import Organisation
from core.organisations.services import default_office, linked_issuers, organisation_for_school
from core.storage import storage

MILESTONE_VI = {"so_ket": "sơ kết", "tong_ket": "tổng kết"}
RATING_VI = {Rating.MET: "Đạt", Rating.PARTLY: "Đạt một phần", Rating.NOT_MET: "Chưa đạt"}
#: Narrative sections of a report, in order, with the heading each has in the document.
REPORT_SECTIONS = {
    "situation": "I. ĐẶC ĐIỂM, TÌNH HÌNH",
    "achievements": "III. ƯU ĐIỂM",
    "shortcomings": "IV. HẠN CHẾ",
    "causes": "V. NGUYÊN NHÂN",
    "next_tasks": "VI. NHIỆM VỤ TRỌNG TÂM THỜI GIAN TỚI",
    "proposals": "VII. ĐỀ XUẤT, KIẾN NGHỊ",
}
SECTIONS = {
    "bao-cao-so-ket": tuple(REPORT_SECTIONS),
    "bao-cao-tong-ket": tuple(REPORT_SECTIONS),
    "quyet-dinh-khen-thuong": ("grounds", "proposal"),
    "to-trinh-khen-thuong": ("reasons", "request"),
    "bien-ban-kiem-tra": ("conclusion", "requests"),
    "thong-bao-ket-qua": ("introduction", "closing"),
}


def issuer_of(subject: Subject) -> Organisation | None:
    """The body that issues the document: the school for its own report, else the linked body."""
    if subject.what == "school" and subject.kind.slug.startswith("bao-cao"):
        return organisation_for_school(subject.school)
    if subject.what == "contest":
        contest = subject.any_contest
        own = "quiz_contest" if subject.quiz_contest is not None else "essay_contest"
        found = linked_issuers(own, contest.id)
        campaign_id = contest.campaign_id
    else:
        found = linked_issuers("movement", subject.movement.id)
        campaign_id = subject.movement.campaign_id
    if not found and campaign_id:
        found = linked_issuers("campaign", campaign_id)
    return found[0] if found else default_office()


def _title_of(subject: Subject) -> str:
    if subject.what == "contest":
        return subject.any_contest.title
    return f"{subject.movement.title} năm học {subject.movement.school_year}"


def default_subject_line(subject: Subject) -> str:
    """The trích yếu the draft starts with."""
    slug, title = subject.kind.slug, _title_of(subject)
    if slug.startswith("bao-cao"):
        return f"{MILESTONE_VI[subject.milestone].capitalize()} {title}"
    if slug == "quyet-dinh-khen-thuong":
        return f"Về việc khen thưởng tập thể, cá nhân có thành tích trong {title}"
    if slug == "to-trinh-khen-thuong":
        return f"Về việc đề nghị khen thưởng tập thể, cá nhân có thành tích trong {title}"
    if slug == "thong-bao-ket-qua":
        return f"Kết quả {title}"
    return f"Kiểm tra {_inspection_kind(subject)} phong trào tại {subject.school.name}"


def _inspection_kind(subject: Subject) -> str:
    return "định kỳ" if subject.inspection.kind.value == "regular" else "đột xuất"


def default_sections(subject: Subject) -> dict[str, str]:
    """The narrative, pre-filled from the figures, for the organizer to edit."""
    slug = subject.kind.slug
    if slug.startswith("bao-cao"):
        facts = report_facts(subject)
        who = subject.school.name if subject.school else "các nhà trường"
        return {
            "situation": (
                f"Thực hiện kế hoạch {subject.movement.title}, {who} đã triển khai phong trào "
                f"thi đua xây dựng môi trường mạng lành mạnh; {facts['schools_active']}/"
                f"{facts['schools']} trường có hoạt động được ghi nhận."
            ),
            "achievements": (
                f"Đã có {facts['approved']} hoạt động được thẩm định với "
                f"{facts['participants']} lượt người tham gia."
            ),
            "shortcomings": (
                f"Còn {facts['pending']} hoạt động chờ thẩm định và {facts['returned']} hoạt "
                "động phải bổ sung minh chứng."
            ),
            "causes": "Một số đơn vị chưa cập nhật minh chứng kịp thời.",
            "next_tasks": "Tiếp tục duy trì các hoạt động, nhân rộng các mô hình hiệu quả.",
            "proposals": "",
        }
    if slug == "quyet-dinh-khen-thuong":
        return {
            "grounds": "Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022;\n"
            f"Căn cứ kế hoạch tổ chức {_title_of(subject)};",
            "proposal": "Xét đề nghị của Hội đồng Thi đua - Khen thưởng,",
        }
    if slug == "to-trinh-khen-thuong":
        return {
            "reasons": f"Kết thúc {_title_of(subject)}, căn cứ kết quả đánh giá, xếp loại, "
            "đơn vị kính trình xem xét khen thưởng các tập thể, cá nhân có thành tích sau:",
            "request": "Kính đề nghị xem xét, quyết định.",
        }
    if slug == "thong-bao-ket-qua":
        return {
            "introduction": f"Ban Tổ chức thông báo kết quả {_title_of(subject)} như sau:",
            "closing": "Ban Tổ chức chúc mừng các em học sinh đạt giải.",
        }
    return {
        "conclusion": subject.inspection.conclusion or "",
        "requests": "Nhà trường tiếp tục hoàn thiện minh chứng theo các nội dung đã nêu.",
    }


def default_recipients(subject: Subject) -> str:
    if subject.kind.slug.startswith("bao-cao") and subject.school is not None:
        return "- Phòng GD&ĐT (để báo cáo);\n- Lưu: VT."
    if subject.kind.slug == "bien-ban-kiem-tra":
        return ""
    if subject.kind.slug == "quyet-dinh-khen-thuong":
        return "- Như Điều 3;\n- Lưu: VT."
    return "- Các trường học;\n- Lưu: VT."


def new_draft(subject: Subject) -> DocumentDraft:
    """A draft not yet saved, pre-filled from the data."""
    return DocumentDraft(
        kind=subject.kind.slug,
        scope=subject.scope,
        subject=default_subject_line(subject),
        sections=default_sections(subject),
        recipients=default_recipients(subject),
    )


# Figures -------------------------------------------------------------------------------------


def report_facts(subject: Subject) -> dict:
    """Participation and verified activities of the movement (or one school)."""
    query = sa.select(Activity).where(Activity.movement_id == subject.movement.id)
    if subject.school is not None:
        query = query.where(Activity.school_id == subject.school.id)
    activities = list(db.session.scalars(query))
    status = Counter(a.status for a in activities)
    standings = [
        s
        for s in greennet.standings(subject.movement)
        if subject.school is None or s.school.id == subject.school.id
    ]
    return {
        "schools": len(standings),
        "schools_active": len({a.school_id for a in activities}),
        "approved": status[ActivityStatus.APPROVED],
        "pending": status[ActivityStatus.SUBMITTED],
        "returned": status[ActivityStatus.RETURNED],
        "participants": sum(
            a.participants for a in activities if a.status == ActivityStatus.APPROVED
        ),
        "activities": activities,
        "standings": standings,
    }


def _by_criterion(activities) -> Table:
    counts: dict[tuple[str, str], list[float]] = {}
    for a in activities:
        if a.status != ActivityStatus.APPROVED:
            continue
        row = counts.setdefault((a.criterion.code, a.criterion.title), [0, 0.0])
        row[0] += 1
        row[1] += a.awarded_points or 0.0
    rows = [
        [code, title, str(int(n)), vi_number(points)]
        for (code, title), (n, points) in sorted(counts.items())
    ]
    return Table(
        ["Mã", "Tiêu chí", "Hoạt động đã thẩm định", "Điểm"],
        rows or [["", "", "0", "0"]],
        [1, 5, 2, 1],
    )


def _snapshot_tiers(subject: Subject, milestone: MilestoneKind, movement=None) -> Counter:
    snaps = greennet.snapshots(movement or subject.movement)
    return Counter(
        by_kind[milestone.value].tier
        for school_id, by_kind in snaps.items()
        if milestone.value in by_kind and (subject.school is None or school_id == subject.school.id)
    )


def previous_year_movement(movement: Movement) -> Movement | None:
    """The movement of the school year before, if the district ran one."""
    start = movement.start_year
    return db.session.scalar(
        sa.select(Movement).where(Movement.school_year == f"{start - 1}-{start}").limit(1)
    )


def _comparison(subject: Subject, current: MilestoneKind) -> tuple[str, Counter, str]:
    """(column heading, tiers, note) of the milestone a report is compared with.

    A tổng kết compares with the year's sơ kết; a sơ kết with the previous school year's
    tổng kết, and says so when there is none.
    """
    if current == MilestoneKind.FINAL:
        return "Kỳ sơ kết", _snapshot_tiers(subject, MilestoneKind.MIDTERM), ""
    previous = previous_year_movement(subject.movement)
    tiers = _snapshot_tiers(subject, MilestoneKind.FINAL, previous) if previous else Counter()
    if not tiers:
        return "", Counter(), "Năm học trước chưa có kết quả tổng kết để so sánh."
    return f"Tổng kết năm học {previous.school_year}", tiers, ""


def _results_blocks(subject: Subject, facts: dict) -> list:
    blocks: list = [Paragraph("II. KẾT QUẢ THỰC HIỆN", bold=True, indent=False)]
    blocks.append(
        Paragraph(
            f"1. Tham gia: {facts['schools_active']}/{facts['schools']} trường có hoạt động; "
            f"{facts['approved']} hoạt động được thẩm định; {facts['participants']} lượt người tham gia."
        )
    )
    blocks.append(Paragraph("2. Hoạt động đã thẩm định theo tiêu chí:"))
    blocks.append(_by_criterion(facts["activities"]))
    current = MILESTONES[subject.milestone]
    tiers = _snapshot_tiers(subject, current)
    heading, previous, note = _comparison(subject, current)
    if subject.school is None:
        blocks.append(Paragraph("3. Kết quả xếp loại các trường:"))
        rows = [[TIER_VI[t], str(tiers[t]), str(previous[t]) if previous else "—"] for t in Tier]
        blocks.append(
            Table(
                ["Xếp loại", f"Kỳ {MILESTONE_VI[subject.milestone]}", heading or "So sánh"],
                rows,
                [3, 2, 2],
            )
        )
        if note:
            blocks.append(Paragraph(note))
    else:
        score = facts["standings"][0] if facts["standings"] else None
        if score is not None:
            blocks.append(
                Paragraph(
                    f"3. Kết quả: {vi_number(score.points)}/{vi_number(score.max_points)} điểm "
                    f"({vi_number(score.percent)}%), xếp loại {TIER_VI[score.tier]}, "
                    f"thứ {score.rank} trong cấp học."
                )
            )
        if previous:
            tier = next(iter(previous))
            blocks.append(Paragraph(f"{heading}: xếp loại {TIER_VI[tier]}."))
        elif note:
            blocks.append(Paragraph(note))
    return blocks


# The document --------------------------------------------------------------------------------


def _paragraphs(text: str) -> list[Paragraph]:
    return [Paragraph(line) for line in text.split("\n") if line.strip()]


def build(subject: Subject, draft: DocumentDraft, *, today: date | None = None) -> OfficialDocument:
    """The document, from the data and the organizer's draft."""
    issuer = issuer_of(subject)
    sections = draft.sections or {}
    slug = subject.kind.slug
    body: list = []
    annex_title, annex = "", []
    signer = Signer(issuer.signer_title if issuer else "", issuer.signer_name if issuer else "")
    signers = [signer]
    if slug.startswith("bao-cao"):
        facts = report_facts(subject)
        for key, heading in REPORT_SECTIONS.items():
            body.append(Paragraph(heading, bold=True, indent=False))
            body.extend(_paragraphs(sections.get(key, "")))
            if key == "situation":
                body.extend(_results_blocks(subject, facts))
    elif slug == "quyet-dinh-khen-thuong":
        issuer_name = issuer.name if issuer else ""
        body.append(
            Paragraph(
                f"{(signer.title or '').upper()} {issuer_name.upper()}".strip(),
                bold=True,
                align="center",
                indent=False,
            )
        )
        body.extend(
            Paragraph(line, italic=True)
            for line in (sections.get("grounds", "") + "\n" + sections.get("proposal", "")).split(
                "\n"
            )
            if line.strip()
        )
        body.append(Paragraph("QUYẾT ĐỊNH:", bold=True, align="center", indent=False))
        body.append(
            Paragraph(
                "Điều 1. Khen thưởng các tập thể, cá nhân có tên trong danh sách "
                f"kèm theo đã có thành tích trong {_title_of(subject)}."
            )
        )
        body.append(
            Paragraph(
                "Điều 2. Tập thể, cá nhân được khen thưởng được nhận Giấy khen "
                "và phần thưởng theo quy định."
            )
        )
        body.append(
            Paragraph(
                "Điều 3. Quyết định có hiệu lực kể từ ngày ký. Các bộ phận liên "
                "quan và các tập thể, cá nhân có tên tại Điều 1 chịu trách nhiệm "
                "thi hành Quyết định này."
            )
        )
        annex_title = "DANH SÁCH TẬP THỂ, CÁ NHÂN ĐƯỢC KHEN THƯỞNG"
        annex = award_annex(subject)
    elif slug == "to-trinh-khen-thuong":
        body.extend(_paragraphs(sections.get("reasons", "")))
        body.extend(award_annex(subject))
        body.extend(_paragraphs(sections.get("request", "")))
    elif slug == "thong-bao-ket-qua":
        body.extend(_paragraphs(sections.get("introduction", "")))
        body.extend(
            b
            for b in award_annex(subject)
            if not (isinstance(b, Paragraph) and b.text == "A. TẬP THỂ")
        )
        body.extend(_paragraphs(sections.get("closing", "")))
    else:
        body.extend(_minutes_body(subject))
        body.append(Paragraph("III. KẾT LUẬN", bold=True, indent=False))
        body.extend(_paragraphs(sections.get("conclusion", "")))
        body.append(Paragraph("IV. KIẾN NGHỊ", bold=True, indent=False))
        body.extend(_paragraphs(sections.get("requests", "")))
        lead = (
            subject.inspection.team.split("\n")[0].split(" - ")[0]
            if subject.inspection.team.strip()
            else ""
        )
        rep = (
            subject.inspection.school_representatives.split("\n")[0].split(" - ")[0]
            if subject.inspection.school_representatives.strip()
            else ""
        )
        signers = [Signer("ĐẠI DIỆN NHÀ TRƯỜNG", rep), Signer("TRƯỞNG ĐOÀN KIỂM TRA", lead)]
    place = issuer.place_name if issuer else ""
    return OfficialDocument(
        parent_name=issuer.parent_name if issuer else "",
        issuer_name=issuer.name if issuer else "",
        kind_title=subject.kind.title,
        symbol=issuer.number_symbol(subject.kind.abbreviation)
        if issuer
        else subject.kind.abbreviation,
        subject=draft.subject or default_subject_line(subject),
        place=place,
        issued_on=draft.issued_on,
        number=draft.number,
        body=body,
        recipients=[line for line in (draft.recipients or "").split("\n") if line.strip()],
        signers=signers,
        annex_title=annex_title,
        annex=annex,
        logo=storage().read(issuer.logo_key) if issuer and issuer.logo_key else None,
    )


def _minutes_body(subject: Subject) -> list:
    inspection = subject.inspection
    period = (
        f"từ ngày {inspection.starts_on:%d/%m/%Y} đến ngày {inspection.ends_on:%d/%m/%Y}"
        if inspection.ends_on != inspection.starts_on
        else f"ngày {inspection.starts_on:%d/%m/%Y}"
    )
    blocks: list = [
        Paragraph(f"Thời gian: {period}."),
        Paragraph(f"Địa điểm: {inspection.school.name}."),
        Paragraph(f"Hình thức: kiểm tra {_inspection_kind(subject)}."),
        Paragraph("I. THÀNH PHẦN", bold=True, indent=False),
        Paragraph("1. Đoàn kiểm tra:"),
        *_paragraphs(inspection.team),
        Paragraph("2. Đại diện nhà trường:"),
        *_paragraphs(inspection.school_representatives),
    ]
    if inspection.scope.strip():
        blocks.append(Paragraph(f"Nội dung kiểm tra: {inspection.scope.strip()}"))
    blocks.append(Paragraph("II. KẾT QUẢ KIỂM TRA THEO TIÊU CHÍ", bold=True, indent=False))
    rows = [
        [
            f.criterion.code,
            f.criterion.title,
            RATING_VI.get(f.rating, "") if f.rating else "",
            f.note + (f" ({len(f.photos)} ảnh)" if f.photos else ""),
        ]
        for f in inspection.findings
    ]
    blocks.append(
        Table(["Mã", "Tiêu chí", "Đánh giá", "Nhận xét"], rows or [["", "", "", ""]], [1, 4, 2, 4])
    )
    return blocks
