"""Judging by the rules (issue 13): the bands on the total only, complete publication, retried
submits that never finish a reconcile, the chief judge kept blind, moving a withdrawn judge's
sheets at once, and settings locked once marking started."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest

from contests.essay.services import disqualify_entry
from contests.judging import services
from contests.judging.models import AssignmentKind, AssignmentStatus, Resolution
from core.errors import Conflict
from core.extensions import db
from tests.conftest import T0
from tests.contests.judging.conftest import CRITERIA, entry_assignments, mark


def live(entry):
    return [a for a in entry_assignments(entry) if a.status != AssignmentStatus.MOVED]


def first_judges(entry):
    return {a.judge_id for a in live(entry)}


# --- the bands apply to the total -------------------------------------------------------------


def test_criterion_gap_with_close_totals_is_final_without_a_third_judge(assigned):
    entry = assigned.entries[0]
    a, b = live(entry)
    mark(a, ["4", "1.5", "1.5"])
    mark(b, ["2.5", "2.5", "2"])

    resolution = services.latest_resolution(entry.id)

    assert (resolution.outcome, resolution.final, resolution.value) == ("mean", True, Decimal("7"))
    assert [s.kind for s in live(entry)] == [AssignmentKind.FIRST, AssignmentKind.FIRST]


def test_reconcile_shows_the_criterion_gaps_to_both_judges(assigned):
    entry = assigned.entries[0]
    a, b = live(entry)
    mark(a, ["4", "2", "2"])
    mark(b, ["2.75", "2", "2"])

    resolution = services.latest_resolution(entry.id)

    assert resolution.outcome == "reconcile"
    content = assigned.rubric.criteria[0].id
    assert resolution.detail["gaps"] == [str(content)]
    assert services.criterion_gaps(a) == {content}
    assert services.criterion_gaps(b) == {content}


# --- publication is complete ------------------------------------------------------------------


def test_publish_refused_after_disqualifying_a_finished_entry_naming_the_unfinished(assigned):
    done = assigned.entries[0]
    for entry in assigned.entries[1:-1]:
        for sheet in live(entry):
            mark(sheet, ["3", "2", "2"])
    for sheet in live(done):
        mark(sheet, ["3", "2", "2"])
    last = assigned.entries[-1]
    mark(live(last)[0], ["3", "2", "2"])  # one mark only
    disqualify_entry(actor=assigned.organizer, entry=done, reason="Chép bài.", now=T0)

    with pytest.raises(Conflict) as refused:
        services.publish_results(actor=assigned.organizer, round_=assigned.round, now=T0)

    assert last.code in refused.value.message
    assert done.code not in refused.value.message


# --- a retried submit never completes a reconcile ---------------------------------------------


def reconciling(assigned):
    entry = assigned.entries[0]
    a, b = live(entry)
    mark(a, ["3", "2", "2"], submit=False)
    services.submit_marks(assignment=a, key="a-1", now=T0)
    mark(b, ["3.5", "2.25", "2.25"], submit=False)
    services.submit_marks(assignment=b, key="b-1", now=T0)
    assert {a.status, b.status} == {AssignmentStatus.RECONCILING}
    return entry, a, b


def test_retried_submit_after_reopening_changes_nothing(assigned):
    entry, a, b = reconciling(assigned)

    services.submit_marks(assignment=a, key="a-1", now=T0)
    services.submit_marks(assignment=b, key="b-1", now=T0)

    assert {a.status, b.status} == {AssignmentStatus.RECONCILING}
    assert services.latest_resolution(entry.id).outcome == "reconcile"


def test_keyless_submit_of_a_reopened_sheet_needs_a_save_after_reopening(assigned):
    _entry, a, _b = reconciling(assigned)

    with pytest.raises(Conflict):
        services.submit_marks(assignment=a, now=T0)

    mark(a, ["3.25", "2", "2"], seq=5, submit=False)
    services.submit_marks(assignment=a, now=T0)
    assert a.status == AssignmentStatus.SUBMITTED


def test_new_submit_after_reopening_counts(assigned):
    entry, a, b = reconciling(assigned)

    services.submit_marks(assignment=a, key="a-2", now=T0)
    services.submit_marks(assignment=b, key="b-2", now=T0)

    latest = services.latest_resolution(entry.id)
    assert (latest.outcome, latest.reason) == ("chief_judge", "reconcile_failed")


# --- the chief judge --------------------------------------------------------------------------


def entry_without(assigned, judge_id):
    for entry in assigned.entries:
        if judge_id not in first_judges(entry):
            return entry
    raise AssertionError("every entry has the judge")


def test_chief_who_marks_is_never_the_third_judge(assigned):
    chief = assigned.judges[3]
    entry = entry_without(assigned, chief.id)
    a, b = live(entry)
    mark(a, ["4", "3", "3"])
    mark(b, ["2", "2", "2"])

    third = [s for s in live(entry) if s.kind == AssignmentKind.THIRD]

    assert len(third) == 1
    assert third[0].judge_id != chief.id


def test_chief_is_never_the_appeal_re_marker(assigned):
    chief = assigned.judges[3]
    for entry in assigned.entries:
        for sheet in live(entry):
            mark(sheet, ["3", "2", "2"])
    services.publish_results(actor=assigned.organizer, round_=assigned.round, now=T0)
    picked = Counter()
    for result in services.published_results(assigned.round.id):
        appeal = services.file_appeal(
            student=result.entry.student, result=result, reason="Em xin chấm lại.", now=T0
        )
        picked[appeal.assignment.judge_id] += 1

    assert chief.id not in picked


def test_appeal_not_decided_by_its_re_marker(assigned):
    for entry in assigned.entries:
        for sheet in live(entry):
            mark(sheet, ["3", "2", "2"])
    services.publish_results(actor=assigned.organizer, round_=assigned.round, now=T0)
    result = services.published_results(assigned.round.id)[0]
    appeal = services.file_appeal(
        student=result.entry.student, result=result, reason="Em xin chấm lại.", now=T0
    )
    mark(appeal.assignment, ["3", "2", "2"])

    with pytest.raises(Conflict):
        services.decide_appeal(
            actor=appeal.assignment.judge, appeal=appeal, value="7", reason="Giữ nguyên.", now=T0
        )
    services.decide_appeal(
        actor=assigned.organizer, appeal=appeal, value="7", reason="Giữ nguyên.", now=T0
    )


# --- moving a withdrawn or deactivated judge's sheets -----------------------------------------


def test_move_withdrawn_judges_open_sheets_keeps_k_balance_and_rules(assigned):
    gone = assigned.judges[0]
    open_sheets = [
        a
        for e in assigned.entries
        for a in live(e)
        if a.judge_id == gone.id and a.status == AssignmentStatus.OPEN
    ]
    assert open_sheets
    gone.active = False
    db.session.flush()

    result = services.move_judge_sheets(
        actor=assigned.organizer, round_=assigned.round, judge_id=gone.id, now=T0
    )

    assert (result.moved, result.left) == (len(open_sheets), [])
    for entry in assigned.entries:
        sheets = live(entry)
        judges = [s.judge_id for s in sheets]
        assert len(sheets) == 2 and len(set(judges)) == 2
        assert gone.id not in judges
        assert all(s.judge.school_id != entry.school_id for s in sheets)
    # School A's judge marked one entry of school B (its other judge D) and two of school C
    # (with B): the first can go only to C, the others only to D — active judges first.
    loads = Counter(s.judge_id for e in assigned.entries for s in live(e))
    assert [loads[j.id] for j in assigned.judges] == [0, 3, 4, 5]
    assert loads[assigned.reserves[0].id] == 0
    assert (
        services.move_judge_sheets(
            actor=assigned.organizer, round_=assigned.round, judge_id=gone.id, now=T0
        ).moved
        == 0
    )


def test_move_judge_sheets_leaves_submitted_sheets(assigned):
    gone = assigned.judges[0]
    sheet = next(a for e in assigned.entries for a in live(e) if a.judge_id == gone.id)
    mark(sheet, ["3", "2", "2"])

    services.move_judge_sheets(
        actor=assigned.organizer, round_=assigned.round, judge_id=gone.id, now=T0
    )

    assert sheet.status == AssignmentStatus.SUBMITTED


def withdrawn_with_sheets_left(assigned):
    """School A's judge withdraws: one of their entries is being reconciled, and school C's
    judge and the reserve are away too, so their school-B entry (with judge D) has nobody left."""
    gone, _b, c, _d = assigned.judges
    sheets = [a for e in assigned.entries for a in live(e) if a.judge_id == gone.id]
    by_school = {s.entry.school_id: s for s in sheets}
    school_b, school_c = assigned.schools[1].id, assigned.schools[2].id
    reconciling = by_school[school_c]
    first, second = live(reconciling.entry)
    mark(first, ["4", "2", "2"])
    mark(second, ["2.75", "2", "2"])
    assert reconciling.status == AssignmentStatus.RECONCILING
    for user in (gone, c, *assigned.reserves):
        user.active = False
    db.session.flush()
    return gone, reconciling, by_school[school_b]


def test_move_judge_sheets_names_the_sheets_it_could_not_move_and_why(assigned):
    gone, reconciling, stuck = withdrawn_with_sheets_left(assigned)

    result = services.move_judge_sheets(
        actor=assigned.organizer, round_=assigned.round, judge_id=gone.id, now=T0
    )

    assert sorted((s.code, s.reason) for s in result.left) == sorted(
        [(reconciling.entry.code, "reconciling"), (stuck.entry.code, "nobody_eligible")]
    )
    assert result.moved == 1
    assert reconciling.status == AssignmentStatus.RECONCILING
    assert stuck.status == AssignmentStatus.OPEN


# --- settings locked once marking started -----------------------------------------------------


def settings(setup, **changes):
    values = {k: getattr(setup, k) for k in services.SETUP_FIELDS}
    return {**values, **changes}


def test_thresholds_locked_once_marking_started(assigned):
    setup = services.find_setup(assigned.round.id)

    with pytest.raises(Conflict) as refused:
        services.configure(
            actor=assigned.organizer,
            round_=assigned.round,
            now=T0,
            **settings(setup, reconcile_up_to_pct=20),
        )

    assert refused.value.field == "reconcile_up_to_pct"
    assert setup.reconcile_up_to_pct == 15


def test_thresholds_change_before_marking(judging):
    setup = services.setup_for(judging.round)

    services.configure(
        actor=judging.organizer, round_=judging.round, now=T0, **settings(setup, mean_below_pct=12)
    )

    assert setup.mean_below_pct == 12


def test_rubric_locked_once_marking_started(assigned):
    criteria = [dict(c) for c in CRITERIA]
    criteria[1]["name"] = "Bố cục bài viết"

    with pytest.raises(Conflict) as refused:
        services.save_rubric(
            actor=assigned.organizer, round_=assigned.round, criteria=criteria, now=T0
        )

    assert refused.value.field == "criteria-1-name"
    assert services.current_rubric(assigned.round.id).version == 1
    assert db.session.query(Resolution).count() == 0
