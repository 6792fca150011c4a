"""Judging services with a frozen clock: set-up, assignment, marking, resolution, results."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from contests.judging import services
from contests.judging.models import (
    AppealStatus,
    Assignment,
    AssignmentKind,
    AssignmentStatus,
    Award,
    Mark,
    Resolution,
)
from core.audit import AuditEntry
from core.errors import Conflict, ValidationFailed
from core.extensions import db
from tests.conftest import T0
from tests.contests.judging.conftest import CRITERIA, criteria_ids, entry_assignments, mark


def live(entry):
    return [a for a in entry_assignments(entry) if a.status != AssignmentStatus.MOVED]


def audits(action):
    return list(
        db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


# --- rubric -------------------------------------------------------------------------------------


def test_save_rubric_refuses_maxima_not_adding_up_to_scale(judging):
    bad = [dict(c) for c in CRITERIA]
    bad[0]["max_points"] = "5"

    with pytest.raises(ValidationFailed) as error:
        services.save_rubric(actor=judging.organizer, round_=judging.round, criteria=bad)

    assert error.value.field == "scale"


def test_save_rubric_before_start_edits_version_one(judging):
    changed = [dict(c) for c in CRITERIA]
    changed[0]["name"] = "Nội dung câu chuyện"

    rubric = services.save_rubric(actor=judging.organizer, round_=judging.round, criteria=changed)

    assert rubric.version == 1
    assert [c.name for c in rubric.criteria] == ["Nội dung câu chuyện", "Bố cục", "Diễn đạt"]


def test_save_rubric_after_start_unchanged_is_harmless(assigned):
    sheet = live(assigned.entries[0])[0]
    mark(sheet, ["3", "2", "2"], submit=False)

    rubric = services.save_rubric(
        actor=assigned.organizer, round_=assigned.round, criteria=CRITERIA, now=T0
    )

    assert (rubric.id, rubric.version) == (assigned.rubric.id, 1)
    assert {m.criterion_id for m in db.session.scalars(sa.select(Mark))} <= set(
        criteria_ids(rubric)
    )


def test_save_rubric_after_start_refuses_new_maxima(assigned):
    changed = [dict(c) for c in CRITERIA]
    changed[0]["max_points"], changed[1]["max_points"] = "3", "4"

    with pytest.raises(Conflict):
        services.save_rubric(actor=assigned.organizer, round_=assigned.round, criteria=changed)


# --- assignment ---------------------------------------------------------------------------------


def test_preview_assignment_stores_nothing_and_run_matches_it(judging):
    plan = services.preview_assignment(round_=judging.round, seed=11, now=T0)
    assert db.session.scalar(sa.select(sa.func.count(Assignment.id))) == 0

    services.run_assignment(actor=judging.organizer, round_=judging.round, seed=11, now=T0)

    stored = sorted(db.session.execute(sa.select(Assignment.entry_id, Assignment.judge_id)).all())
    assert [tuple(p) for p in stored] == plan.pairs()
    assert plan.preview()["balanced"] is True
    assert plan.same_school_avoided == 6


def test_run_assignment_two_distinct_judges_never_own_school(assigned):
    for entry in assigned.entries:
        sheets = live(entry)
        assert len({s.judge_id for s in sheets}) == 2
        assert all(s.judge.school_id != entry.school_id for s in sheets)
    loads = Counter(a.judge_id for a in db.session.scalars(sa.select(Assignment)))
    assert max(loads.values()) - min(loads.values()) <= 1
    assert services.current_rubric(assigned.round.id).locked_at == T0


def test_preview_assignment_refused_while_round_open(judging):
    with pytest.raises(Conflict):
        services.preview_assignment(round_=judging.round, now=judging.round.opens_at)


def test_run_assignment_twice_assigns_nothing_more(assigned):
    plan = services.run_assignment(actor=assigned.organizer, round_=assigned.round, seed=1, now=T0)

    assert plan.pairs() == []
    assert db.session.scalar(sa.select(sa.func.count(Assignment.id))) == 12


def test_declare_conflict_moves_entry_to_another_eligible_judge(assigned):
    sheet = live(assigned.entries[0])[0]
    others = {a.judge_id for a in live(assigned.entries[0])}

    moved = services.declare_conflict(assignment=sheet, reason="Em là cháu tôi", now=T0)

    assert sheet.status == AssignmentStatus.MOVED
    assert sheet.moved_for == "conflict"
    assert moved.judge_id not in others
    assert moved.judge.school_id != assigned.entries[0].school_id
    assert audits("judging.conflict")[0].reason == "Em là cháu tôi"


def test_declare_conflict_needs_a_reason(assigned):
    with pytest.raises(ValidationFailed):
        services.declare_conflict(assignment=live(assigned.entries[0])[0], reason="  ")


def test_overdue_sheet_reminded_then_moved_to_reserve_once(assigned):
    sheet = live(assigned.entries[0])[0]
    due = sheet.due_at

    assert services.remind_or_move_overdue(now=due - timedelta(minutes=1)) == 0
    assert services.remind_or_move_overdue(now=due) == 12
    assert sheet.reminded_at == due
    assert services.remind_or_move_overdue(now=due + timedelta(days=1)) == 0
    moved = services.remind_or_move_overdue(now=due + timedelta(days=2))
    again = services.remind_or_move_overdue(now=due + timedelta(days=2))

    assert moved >= 1
    assert again == 0
    assert sheet.status == AssignmentStatus.MOVED
    reserve = assigned.reserves[0].id
    assert any(a.judge_id == reserve for a in live(assigned.entries[0])) or any(
        a.judge_id == reserve for e in assigned.entries for a in live(e)
    )


def test_overdue_job_leaves_submitted_sheets_alone(assigned):
    for entry in assigned.entries:
        for sheet in live(entry):
            mark(sheet, ["3", "2", "2"])

    assert services.remind_or_move_overdue(now=T0 + timedelta(days=30)) == 0


# --- marking ------------------------------------------------------------------------------------


def test_save_marks_out_of_range_names_the_field(assigned):
    sheet = live(assigned.entries[0])[0]
    first, second, _ = criteria_ids(assigned.rubric)

    with pytest.raises(ValidationFailed) as error:
        services.save_marks(
            assignment=sheet, marks={first: "4.5", second: "1.1"}, comment="", seq=1, now=T0
        )

    assert error.value.details["fields"] == {
        f"criterion-{first}": "Hãy nhập điểm từ 0 đến 4.",
        f"criterion-{second}": "Hãy cho điểm theo bước 0,25.",
    }
    assert sheet.marks == []


def test_save_marks_older_seq_never_overwrites(assigned):
    sheet = live(assigned.entries[0])[0]
    first = criteria_ids(assigned.rubric)[0]

    services.save_marks(assignment=sheet, marks={first: "3"}, comment="mới", seq=5, now=T0)
    late = services.save_marks(assignment=sheet, marks={first: "1"}, comment="cũ", seq=4, now=T0)

    assert late.accepted is False
    assert [(m.value, m.seq) for m in sheet.marks] == [(Decimal("3"), 5)]
    assert sheet.comment == "mới"


def test_save_marks_none_clears_a_mark(assigned):
    sheet = live(assigned.entries[0])[0]
    first = criteria_ids(assigned.rubric)[0]
    services.save_marks(assignment=sheet, marks={first: "3"}, comment=None, seq=1, now=T0)

    services.save_marks(assignment=sheet, marks={first: None}, comment=None, seq=2, now=T0)

    assert sheet.marks == []


def test_submit_marks_refused_until_every_criterion_marked(assigned):
    sheet = live(assigned.entries[0])[0]
    first = criteria_ids(assigned.rubric)[0]
    services.save_marks(assignment=sheet, marks={first: "3"}, comment="", seq=1, now=T0)

    with pytest.raises(ValidationFailed):
        services.submit_marks(assignment=sheet, now=T0)
    assert sheet.status == AssignmentStatus.OPEN


def test_submit_marks_twice_is_harmless(assigned):
    a, b = live(assigned.entries[0])
    mark(a, ["3", "2", "2"])
    mark(b, ["3", "2", "2.5"])

    services.submit_marks(assignment=b, now=T0 + timedelta(minutes=1))

    assert b.submitted_at == T0
    assert db.session.scalar(sa.select(sa.func.count(Resolution.id))) == 1


def test_save_marks_after_submit_refused(assigned):
    sheet = mark(live(assigned.entries[0])[0], ["3", "2", "2"])

    with pytest.raises(services.MarkingClosed):
        services.save_marks(assignment=sheet, marks={}, comment="x", seq=9, now=T0)


def test_other_sheets_hidden_before_own_submit(assigned):
    a, b = live(assigned.entries[0])
    mark(a, ["3", "2", "2"])

    assert services.other_sheets(b) == []
    mark(b, ["3", "2", "2"])
    assert services.other_sheets(b) == [a]


# --- resolution ---------------------------------------------------------------------------------


def test_close_marks_resolve_to_the_mean(assigned):
    a, b = live(assigned.entries[0])
    mark(a, ["3", "2", "2"])
    mark(b, ["3", "2.25", "2"])

    resolution = services.latest_resolution(assigned.entries[0].id)

    assert (resolution.outcome, resolution.final, resolution.value) == (
        "mean",
        True,
        Decimal("7.13"),
    )
    assert resolution.reason == "total.gap_below_mean_limit"


def test_wide_gap_assigns_a_third_judge_automatically(assigned):
    entry = assigned.entries[0]
    a, b = live(entry)
    mark(a, ["4", "3", "3"])
    mark(b, ["2", "2", "2"])

    sheets = live(entry)
    third = [s for s in sheets if s.kind == AssignmentKind.THIRD]
    resolution = services.latest_resolution(entry.id)
    assert resolution.outcome == "third_judge"
    assert len(third) == 1
    assert third[0].judge_id not in {a.judge_id, b.judge_id}
    assert third[0].judge.school_id != entry.school_id

    mark(third[0], ["4", "3", "3"])
    final = services.latest_resolution(entry.id)
    assert (final.outcome, final.value, final.reason) == (
        "agreed",
        Decimal("10"),
        "total.two_agree",
    )


def test_reconcile_band_reopens_both_sheets_then_chief_if_still_apart(assigned):
    entry = assigned.entries[0]
    a, b = live(entry)
    mark(a, ["3", "2", "2"])
    mark(b, ["3.5", "2.25", "2.25"])  # gap 1.0 = 10 %: reconcile band

    assert services.latest_resolution(entry.id).outcome == "reconcile"
    assert {a.status, b.status} == {AssignmentStatus.RECONCILING}
    assert services.other_sheets(a) == [b]

    services.submit_marks(assignment=a, key="a-2", now=T0)
    services.submit_marks(assignment=b, key="b-2", now=T0)

    latest = services.latest_resolution(entry.id)
    assert (latest.outcome, latest.reason) == ("chief_judge", "reconcile_failed")
    assert [r.outcome for r in services.open_disagreements(assigned.round.id)] == ["chief_judge"]


def test_reconcile_resolved_when_judges_revise(assigned):
    entry = assigned.entries[0]
    a, b = live(entry)
    mark(a, ["3", "2", "2"])
    mark(b, ["3.5", "2.25", "2.25"])

    mark(b, ["3", "2.25", "2"], seq=2)
    services.submit_marks(assignment=a, key="a-2", now=T0)

    latest = services.latest_resolution(entry.id)
    assert (latest.outcome, latest.value) == ("mean", Decimal("7.13"))


def test_chief_decide_records_value_reason_and_audit(assigned):
    entry = assigned.entries[0]
    a, b = live(entry)
    mark(a, ["3", "2", "2"])
    mark(b, ["3.5", "2.25", "2.25"])

    decision = services.chief_decide(
        actor=assigned.judges[3], entry=entry, value="7.5", reason="Bài có ý mới.", now=T0
    )

    assert (decision.outcome, decision.value, decision.final) == (
        "chief_decision",
        Decimal("7.5"),
        True,
    )
    assert {a.status, b.status} == {AssignmentStatus.SUBMITTED}
    assert audits("judging.decide")[0].after == {"value": "7.5"}


def test_chief_decide_refused_on_final_entry(assigned):
    entry = assigned.entries[0]
    a, b = live(entry)
    mark(a, ["3", "2", "2"])
    mark(b, ["3", "2", "2"])

    with pytest.raises(Conflict):
        services.chief_decide(actor=assigned.organizer, entry=entry, value="7", reason="x")


# --- dashboard, results, advancement, appeals -------------------------------------------------


def mark_all(judging, totals):
    """Mark every entry: both judges give the same sheet, whose total is ``totals[i]``."""
    sheets = {
        4: ["2", "1", "1"],
        6: ["2", "2", "2"],
        7: ["3", "2", "2"],
        8: ["3", "2.5", "2.5"],
        9: ["4", "2.5", "2.5"],
        10: ["4", "3", "3"],
    }
    for entry, total in zip(judging.entries, totals, strict=True):
        for sheet in live(entry):
            mark(sheet, sheets[total], comment="Bài viết chân thành.")


def test_progress_counts_assigned_done_overdue(assigned):
    sheet = live(assigned.entries[0])[0]
    mark(sheet, ["3", "2", "2"])

    rows = {p.judge_id: p for p in services.progress(assigned.round.id, now=sheet.due_at)}

    judge = rows[sheet.judge_id]
    assert (judge.assigned, judge.done, judge.overdue) == (3, 1, 2)
    assert rows[assigned.reserves[0].id].assigned == 0


def test_publish_refused_while_entries_unresolved(assigned):
    with pytest.raises(Conflict):
        services.publish_results(actor=assigned.organizer, round_=assigned.round, now=T0)


def test_publish_ranks_with_ties_and_awards(assigned):
    mark_all(assigned, [10, 9, 9, 7, 6, 4])

    setup = services.publish_results(actor=assigned.organizer, round_=assigned.round, now=T0)

    results = services.published_results(assigned.round.id)
    assert [(r.rank, r.tied, r.award) for r in results] == [
        (1, False, Award.FIRST),
        (2, True, Award.SECOND),
        (2, True, Award.SECOND),
        (4, False, Award.MERIT),
        (5, False, Award.MERIT),
        (6, False, Award.MERIT),
    ]
    assert setup.published_at == T0
    assert audits("judging.publish")[0].after == {"results": 6}
    again = services.publish_results(actor=assigned.organizer, round_=assigned.round, now=T0)
    assert again.published_at == T0


def test_advance_top_n_ties_go_through_and_entries_carried(assigned, make_round):
    mark_all(assigned, [10, 9, 9, 7, 6, 4])
    final = make_round(
        stage=2,
        name="Chung kết",
        opens_at=T0 + timedelta(days=1),
        closes_at=T0 + timedelta(days=2),
    )

    result = services.advance_entries(
        actor=assigned.organizer, round_=assigned.round, to_round=final, top_n=2, now=T0
    )

    assert len(result.advancing) == 3
    carried = services.essay_services.submitted_entries(final)
    assert sorted(e.carried_from_id for e in carried) == sorted(result.advancing)


def test_advance_per_school(assigned, make_round):
    mark_all(assigned, [10, 9, 9, 7, 6, 4])
    final = make_round(stage=2, name="Chung kết", opens_at=T0, closes_at=T0 + timedelta(days=2))

    result = services.advance_entries(
        actor=assigned.organizer,
        round_=assigned.round,
        to_round=final,
        top_n=1,
        per_school=True,
        now=T0,
    )

    assert sorted(result.advancing) == sorted(e.id for e in assigned.entries[::2])


def test_agreement_report_and_severity(assigned):
    mark_all(assigned, [10, 9, 9, 7, 6, 4])

    report, names = services.agreement(assigned.round.id)

    assert report.icc.value == pytest.approx(1.0)
    assert report.alpha.interpretation == "reliable"
    assert set(report.severity) == set(names)
    marks = sorted(s.mean_mark for s in report.severity.values())
    assert 4 <= marks[0] <= marks[-1] <= 10
    assert {s.mean_deviation for s in report.severity.values()} == {0.0}


def test_appeal_gets_fresh_judge_and_chief_decides(assigned):
    mark_all(assigned, [10, 9, 9, 7, 6, 4])
    services.publish_results(actor=assigned.organizer, round_=assigned.round, now=T0)
    result = services.published_results(assigned.round.id)[-1]
    student = result.entry.student
    seen = {a.judge_id for a in entry_assignments(result.entry)}

    appeal = services.file_appeal(
        student=student, result=result, reason="Em mong được chấm lại.", now=T0
    )

    assert appeal.assignment.judge_id not in seen
    assert appeal.assignment.kind == AssignmentKind.APPEAL
    mark(appeal.assignment, ["3", "2", "2"])
    assert appeal.status == AppealStatus.MARKED
    services.decide_appeal(
        actor=assigned.organizer, appeal=appeal, value="7", reason="Chấm lại cao hơn.", now=T0
    )
    assert result.score == Decimal("7")
    assert [r.rank for r in services.published_results(assigned.round.id)] == [1, 2, 2, 4, 4, 6]


def test_appeal_refused_after_window(assigned):
    mark_all(assigned, [10, 9, 9, 7, 6, 4])
    services.publish_results(actor=assigned.organizer, round_=assigned.round, now=T0)
    result = services.published_results(assigned.round.id)[0]

    with pytest.raises(Conflict):
        services.file_appeal(
            student=result.entry.student, result=result, reason="x", now=T0 + timedelta(days=7)
        )


def test_overdue_appeal_sheet_moves_with_its_appeal(assigned):
    # The chief judge (judge D) is never an appeal's re-marker: let an organizer lead instead.
    services.set_pool(
        actor=assigned.organizer,
        round_=assigned.round,
        active=[j.id for j in assigned.judges],
        reserve=[r.id for r in assigned.reserves],
        chief_judge_id=assigned.organizer.id,
        now=T0,
    )
    mark_all(assigned, [10, 9, 9, 7, 6, 4])
    services.publish_results(actor=assigned.organizer, round_=assigned.round, now=T0)
    result = services.published_results(assigned.round.id)[-1]
    appeal = services.file_appeal(student=result.entry.student, result=result, reason="Xin", now=T0)
    first = appeal.assignment
    due = first.due_at

    reminded = services.remind_or_move_overdue(now=due)
    moved = services.remind_or_move_overdue(now=due + timedelta(days=2))

    assert (reminded, moved) == (1, 1)

    assert first.status == AssignmentStatus.MOVED
    assert appeal.assignment_id != first.id
    mark(appeal.assignment, ["3", "2", "2"])
    assert appeal.status == AppealStatus.MARKED


def test_publishing_tells_each_author_once(app, assigned):
    from core.notifications.models import Notification

    mark_all(assigned, [10, 9, 9, 7, 6, 4])

    services.publish_results(actor=assigned.organizer, round_=assigned.round, now=T0)
    services.publish_results(actor=assigned.organizer, round_=assigned.round, now=T0)

    told = db.session.scalars(
        sa.select(Notification).where(
            Notification.dedupe_key == f"essay-results:{assigned.round.id}"
        )
    ).all()
    authors = {e.student_id for e in services.essay_services.submitted_entries(assigned.round)}
    assert sorted(n.user_id for n in told) == sorted(authors)
    with app.test_request_context():
        assert {(n.kind, n.link) for n in told} == {("results_published", "/judging/my-results")}
