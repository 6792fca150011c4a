from datetime import date

import pytest
import sqlalchemy as sa

from campaign.greennet import services
from campaign.greennet.models import ActivityStatus, Evidence, EvidenceKind, Tier
from core import audit
from core.errors import Conflict, ValidationFailed
from core.notifications.models import Notification
from core.uploads import FileTooLarge
from tests.campaign.greennet.conftest import PDF_BYTES, png_bytes

TODAY = date(2026, 11, 30)


def test_submit_needs_required_evidence(gn, new_activity):
    activity = new_activity(criterion="c1", score=10)

    with pytest.raises(ValidationFailed):
        services.submit_activity(actor=gn["coord_a"], activity=activity)

    assert activity.status == ActivityStatus.DRAFT


def test_submit_with_photo_moves_to_submitted_and_audits(gn, new_activity):
    activity = new_activity(criterion="c1", score=10)
    services.add_photo(actor=gn["coord_a"], activity=activity, data=png_bytes())

    services.submit_activity(actor=gn["coord_a"], activity=activity)

    assert activity.status == ActivityStatus.SUBMITTED
    assert [e.action for e in audit.history("activity", activity.id)] == [
        "greennet.activity.submit"
    ]


def test_submit_twice_refused(gn, submitted):
    activity = submitted()

    with pytest.raises(Conflict):
        services.submit_activity(actor=gn["coord_a"], activity=activity)


def test_self_score_above_max_refused(gn, new_activity):
    with pytest.raises(ValidationFailed):
        new_activity(criterion="c1", score=20.5)


def test_computed_criterion_cannot_take_activities(gn, new_activity):
    computed = services.add_criterion(
        actor=gn["organizer"],
        movement=gn["movement"],
        level=gn["a"].level,
        code="9",
        title="Học sinh tham gia thi",
        max_points=10,
        computed=True,
        metric="quiz_participation_rate",
    )
    gn["c9"] = computed

    with pytest.raises(ValidationFailed):
        new_activity(criterion="c9", score=1)


def test_approve_as_proposed_awards_self_score(gn, submitted):
    activity = submitted(score=40)

    services.approve_activity(actor=gn["organizer"], activity=activity, now=None)

    assert activity.status == ActivityStatus.APPROVED
    assert activity.awarded_points == 40
    told = {n.user_id for n in Notification.query.filter_by(kind="activity_approved")}
    assert told == {gn["coord_a"].id}


def test_adjust_needs_comment(gn, submitted):
    activity = submitted(score=40)

    with pytest.raises(ValidationFailed):
        services.approve_activity(actor=gn["organizer"], activity=activity, points=35)


def test_adjust_with_comment_is_audited_old_to_new(gn, submitted):
    activity = submitted(score=40)

    services.approve_activity(
        actor=gn["organizer"], activity=activity, points=35, comment="Thiếu danh sách."
    )

    entry = audit.history("activity", activity.id)[-1]
    assert entry.action == "greennet.activity.adjust"
    assert entry.actor_id == gn["organizer"].id
    assert entry.before["self_score"] == 40
    assert entry.after == {"status": "approved", "points": 35}
    assert entry.reason == "Thiếu danh sách."


def test_return_resubmit_approve_trail(gn, submitted, frozen):
    activity = submitted(score=40)

    services.return_activity(
        actor=gn["organizer"], activity=activity, reason="Bổ sung ảnh.", deadline=TODAY
    )
    returned_status = activity.status
    services.save_activity(
        actor=gn["coord_a"],
        movement=gn["movement"],
        school=gn["a"],
        activity=activity,
        criterion_id=gn["c3"].id,
        title=activity.title,
        happened_on=activity.happened_on,
        self_score=45,
    )
    services.submit_activity(actor=gn["coord_a"], activity=activity)
    services.approve_activity(actor=gn["organizer"], activity=activity)

    assert returned_status == ActivityStatus.RETURNED
    assert activity.awarded_points == 45
    assert [e.action for e in audit.history("activity", activity.id)] == [
        "greennet.activity.submit",
        "greennet.activity.return",
        "greennet.activity.submit",
        "greennet.activity.approve",
    ]


def test_return_needs_reason_and_future_deadline(gn, submitted, frozen):
    activity = submitted()

    with pytest.raises(ValidationFailed):
        services.return_activity(
            actor=gn["organizer"], activity=activity, reason="", deadline=TODAY
        )
    with pytest.raises(ValidationFailed):
        services.return_activity(
            actor=gn["organizer"], activity=activity, reason="x", deadline=date(2026, 11, 29)
        )


def test_return_notifies_coordinator(gn, submitted, frozen):
    activity = submitted()

    services.return_activity(actor=gn["organizer"], activity=activity, reason="x", deadline=TODAY)

    assert {n.user_id for n in Notification.query.filter_by(kind="activity_returned")} == {
        gn["coord_a"].id
    }


def test_lock_freezes_snapshot_and_blocks_changes(gn, submitted, new_activity):
    activity = submitted(score=40)
    services.approve_activity(actor=gn["organizer"], activity=activity)
    midterm = gn["movement"].milestones[1]

    snapshot = services.lock_assessment(
        actor=gn["organizer"], movement=gn["movement"], school=gn["a"], milestone=midterm
    )

    assert (snapshot.points, snapshot.percent, snapshot.tier) == (40, 40.0, Tier.FAIL)
    with pytest.raises(services.AssessmentLocked):
        new_activity()
    with pytest.raises(services.AssessmentLocked):
        services.return_activity(
            actor=gn["organizer"], activity=activity, reason="x", deadline=date(2030, 1, 1)
        )


def test_reopen_needs_reason_and_is_audited(gn):
    midterm = gn["movement"].milestones[1]
    services.lock_assessment(
        actor=gn["organizer"], movement=gn["movement"], school=gn["a"], milestone=midterm
    )

    with pytest.raises(ValidationFailed):
        services.reopen_assessment(
            actor=gn["organizer"], movement=gn["movement"], school=gn["a"], reason=" "
        )
    assessment = services.reopen_assessment(
        actor=gn["organizer"], movement=gn["movement"], school=gn["a"], reason="Sai sót số liệu."
    )

    assert assessment.is_locked is False
    entry = audit.history("assessment", assessment.id)[-1]
    assert (entry.action, entry.reason) == ("greennet.assessment.reopen", "Sai sót số liệu.")


def test_crafted_image_refused_and_nothing_stored(gn, new_activity, app, db):
    activity = new_activity()
    before = _stored_files(app)

    with pytest.raises(ValidationFailed):
        services.add_evidence_file(
            actor=gn["coord_a"],
            activity=activity,
            data=b"\x89PNG\r\n\x1a\n<script>",
            filename="x.png",
        )

    assert activity.evidence == []
    assert db.session.scalar(sa.select(sa.func.count(Evidence.id))) == 0
    assert _stored_files(app) == before


def test_fake_pdf_refused(gn, new_activity):
    activity = new_activity()

    with pytest.raises(ValidationFailed):
        services.add_pdf(actor=gn["coord_a"], activity=activity, data=b"MZ\x90\x00 not a pdf")


def test_oversized_pdf_refused(gn, new_activity):
    activity = new_activity()
    data = b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024) + b"%%EOF"

    with pytest.raises(FileTooLarge):
        services.add_pdf(actor=gn["coord_a"], activity=activity, data=data)


def test_pdf_and_link_accepted(gn, new_activity):
    activity = new_activity()

    services.add_pdf(actor=gn["coord_a"], activity=activity, data=PDF_BYTES, filename="kh.pdf")
    services.add_link(actor=gn["coord_a"], activity=activity, url="https://thcs.edu.vn/tin/1")

    assert [e.kind for e in activity.evidence] == [EvidenceKind.FILE, EvidenceKind.LINK]


def test_photo_is_reencoded_without_exif(gn, new_activity, app):
    activity = new_activity()

    evidence = services.add_photo(actor=gn["coord_a"], activity=activity, data=png_bytes(exif=True))

    from core.storage import storage

    stored = storage().read(evidence.storage_key)
    assert b"secret description" not in stored
    assert evidence.mimetype == "image/jpeg"


def test_bad_link_refused(gn, new_activity):
    activity = new_activity()

    with pytest.raises(ValidationFailed):
        services.add_link(actor=gn["coord_a"], activity=activity, url="javascript:alert(1)")


def test_evidence_cannot_change_after_submit(gn, submitted):
    activity = submitted()

    with pytest.raises(Conflict):
        services.add_link(actor=gn["coord_a"], activity=activity, url="https://a.vn/b")


def test_remind_return_deadlines_once(gn, submitted, frozen):
    activity = submitted()
    services.return_activity(
        actor=gn["organizer"], activity=activity, reason="x", deadline=date(2026, 12, 1)
    )

    first = services.remind_return_deadlines()
    second = services.remind_return_deadlines()

    assert (first, second) == (1, 0)


def _stored_files(app):
    from pathlib import Path

    root = Path(app.config["UPLOAD_FOLDER"])
    return sorted(str(p) for p in root.rglob("*") if p.is_file()) if root.exists() else []
