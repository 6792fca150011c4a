"""Safety reports: filing (anonymous allowed), routing to designated staff, reading, handling.

A report is routed to the safeguarding staff of the school it names and to the district's
safeguarding staff. Every time staff open a report the read is written to the audit log, and
every status change is audited with the note that explains it.
"""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from campaign.safety.followup import hash_secret, new_secret
from campaign.safety.models import FORWARD_TARGETS, ReportStatus, SafetyReport
from campaign.safety.permissions import (
    can_view_safety_report,
    is_district_safeguarding,
    recipients,
    safeguarding_school_ids,
)
from core import audit
from core.clock import utcnow
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.extensions import db
from core.notifications.services import notify
from core.schools.models import School

#: received → verifying → handled / forwarded; a closed report can be reopened for verifying.
TRANSITIONS = {
    ReportStatus.RECEIVED: {ReportStatus.VERIFYING, ReportStatus.HANDLED, ReportStatus.FORWARDED},
    ReportStatus.VERIFYING: {ReportStatus.HANDLED, ReportStatus.FORWARDED},
    ReportStatus.HANDLED: {ReportStatus.VERIFYING},
    ReportStatus.FORWARDED: {ReportStatus.VERIFYING},
}

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def _reference() -> str:
    return "AT-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))


def submit_report(
    *,
    school_id: int | None,
    what_happened: str,
    where: str = "",
    when: str = "",
    who_affected: str = "",
    contact: str | None = None,
    anonymous: bool = True,
    reporter=None,
    now: datetime | None = None,
) -> SafetyReport:
    """File a report and tell the designated staff that one arrived (never what it says).

    The returned report carries ``secret``, the follow-up phrase in clear, for this request only.
    """
    now = now or utcnow()
    what_happened = (what_happened or "").strip()
    if len(what_happened) < 10:
        raise ValidationFailed(
            _("Please tell us what happened in a few words (at least 10 characters)."),
            field="what_happened",
        )
    if school_id is not None and db.session.get(School, school_id) is None:
        raise ValidationFailed(_("Choose a school from the list."), field="school_id")

    signed_in = reporter is not None and getattr(reporter, "is_authenticated", False)
    report = SafetyReport(
        reference=_reference(),
        school_id=school_id,
        what_happened=what_happened,
        where=(where or "").strip()[:500],
        when=(when or "").strip()[:200],
        who_affected=(who_affected or "").strip()[:500],
        contact=((contact or "").strip()[:300] or None) if not anonymous else None,
        reporter_id=reporter.id if signed_in and not anonymous else None,
        status=ReportStatus.RECEIVED,
        created_at=now,
        updated_at=now,
    )
    secret = new_secret()
    report.secret_hash = hash_secret(secret)
    #: Shown to the reporter once, never stored in clear (campaign.safety.followup).
    report.secret = secret
    db.session.add(report)
    db.session.flush()
    notify(
        user_ids=recipients(school_id),
        kind="safety_report_received",
        params={"reference": report.reference},
        endpoint="safety.show",
        values={"report_id": report.id},
        now=now,
    )
    return report


def reports_for(user, *, status: ReportStatus | None = None) -> list[SafetyReport]:
    """The reports ``user`` may see (their schools', or all for district staff), newest first."""
    query = sa.select(SafetyReport).order_by(SafetyReport.created_at.desc(), SafetyReport.id.desc())
    if not is_district_safeguarding(user):
        schools = safeguarding_school_ids(user)
        if not schools:
            return []
        query = query.where(SafetyReport.school_id.in_(schools))
    if status is not None:
        query = query.where(SafetyReport.status == status)
    return list(db.session.scalars(query))


def open_report(*, user, report_id: int, now: datetime | None = None) -> SafetyReport:
    """Return a report for its designated staff and log the read; anyone else gets 404."""
    report = db.session.get(SafetyReport, report_id)
    if report is None or not can_view_safety_report(user, report):
        raise NotFound()
    audit.record(actor=user, action="safety.read", obj=report, now=now)
    db.session.flush()
    return report


def change_status(
    *,
    user,
    report: SafetyReport,
    status: ReportStatus,
    note: str = "",
    forwarded_to: str | None = None,
    now: datetime | None = None,
) -> SafetyReport:
    """Move a report along received → verifying → handled / forwarded, with an audited note."""
    if not can_view_safety_report(user, report):
        raise Forbidden()
    now = now or utcnow()
    if status not in TRANSITIONS[report.status]:
        raise Conflict(_("This report cannot move to that status now."))
    if status == ReportStatus.FORWARDED and forwarded_to not in FORWARD_TARGETS:
        raise ValidationFailed(_("Say where the report was passed on to."), field="forwarded_to")
    if status in (ReportStatus.HANDLED, ReportStatus.FORWARDED) and not (note or "").strip():
        raise ValidationFailed(_("Write a short note on what was done."), field="note")
    before = {"status": report.status.value, "forwarded_to": report.forwarded_to}
    report.status = status
    report.forwarded_to = forwarded_to if status == ReportStatus.FORWARDED else None
    if (note or "").strip():
        stamp = now.strftime("%Y-%m-%d %H:%M UTC")
        report.staff_note = (report.staff_note + "\n" if report.staff_note else "") + (
            f"[{stamp}] {note.strip()}"
        )
    report.updated_at = now
    audit.record(
        actor=user,
        action="safety.status",
        obj=report,
        before=before,
        # The note stays in the report: the audit log is readable by administrators, who must
        # not learn what a report says.
        after={
            "status": status.value,
            "forwarded_to": report.forwarded_to,
            "note_added": bool((note or "").strip()),
        },
        now=now,
    )
    db.session.flush()
    return report


def read_log(report: SafetyReport) -> list[audit.AuditEntry]:
    """Who opened or changed the report, oldest first."""
    return audit.history("safety_report", report.id)


def schools_for_form() -> list[School]:
    return list(db.session.scalars(sa.select(School).order_by(School.level, School.name)))


def help_lines(user) -> dict:
    """The numbers shown in the safety corner: 111, 113 and the user's school's own line."""
    school = getattr(user, "school", None) if getattr(user, "is_authenticated", False) else None
    return {
        "child_line": "111",
        "police": "113",
        "school_name": school.name if school else None,
        "school_hotline": school.hotline if school else None,
    }


#: National channels shown in the safety corner. Only addresses confirmed from published sources
#: are linked: tongdai111.vn (the hotline's own site); thongbaorac.ais.gov.vn, where the
#: Authority of Information Security (Cục An toàn thông tin, VNCERT/CC) takes reports of scam and
#: spam messages (SGGP and Báo Yên Bái, quoting the Authority). The Authority's national
#: warning portal is named without an address: none could be confirmed.
NATIONAL_CHANNELS = (
    {
        "name": "Tổng đài quốc gia bảo vệ trẻ em 111",
        "url": "http://tongdai111.vn",
        "label": "tongdai111.vn",
    },
    {
        "name": "Cổng cảnh báo an toàn thông tin Việt Nam — Cục An toàn thông tin",
        "url": None,
        "label": None,
    },
    {
        "name": "Cục An toàn thông tin (VNCERT/CC) — phản ánh tin nhắn lừa đảo, rác (5656)",
        "url": "https://thongbaorac.ais.gov.vn/",
        "label": "thongbaorac.ais.gov.vn",
    },
)
