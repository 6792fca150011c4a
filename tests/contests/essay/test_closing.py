"""The close of a round: the grace for saves and submits in flight, reminders of unsubmitted
drafts 24 h and 1 h before, and the organizer's choice to submit every last draft at the close."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from contests.essay import jobs, services
from contests.essay.models import EntryStatus
from core.notifications.models import Notification
from tests.contests.essay.conftest import words

CLOSE_GRACE = timedelta(seconds=services.DEFAULT_GRACE_SECONDS)


@pytest.fixture
def drafted(entry, open_round):
    services.save_draft(
        entry=entry, title="Bài của em", body=words(20), seq=1, now=open_round.opens_at
    )
    return entry


def test_save_in_flight_at_close_is_accepted_within_grace(drafted, open_round):
    at = open_round.closes_at + CLOSE_GRACE

    result = services.save_draft(entry=drafted, title="Bài", body=words(30), seq=2, now=at)

    assert (result.accepted, drafted.word_count) == (True, 30)


def test_save_after_grace_is_refused(drafted, open_round):
    at = open_round.closes_at + CLOSE_GRACE + timedelta(seconds=1)

    with pytest.raises(services.RoundClosed):
        services.save_draft(entry=drafted, title="Bài", body=words(30), seq=2, now=at)
    assert drafted.word_count == 20


def test_submit_in_flight_at_close_is_accepted_within_grace(drafted, open_round):
    at = open_round.closes_at + timedelta(seconds=12)

    receipt = services.submit_entry(entry=drafted, now=at)

    assert (drafted.status, receipt.submitted_at) == (EntryStatus.SUBMITTED, at)


def test_submit_after_grace_is_refused(drafted, open_round):
    with pytest.raises(services.RoundClosed):
        services.submit_entry(entry=drafted, now=open_round.closes_at + CLOSE_GRACE * 2)
    assert drafted.status == EntryStatus.DRAFT


def test_grace_is_configurable(app, drafted, open_round, monkeypatch):
    monkeypatch.setitem(app.config, "ESSAY_GRACE_SECONDS", 0)

    with pytest.raises(services.RoundClosed):
        services.submit_entry(entry=drafted, now=open_round.closes_at + timedelta(seconds=1))


def test_no_new_entry_or_withdrawal_in_the_grace(make, drafted, open_round):
    services.submit_entry(entry=drafted, now=open_round.opens_at)
    at = open_round.closes_at + timedelta(seconds=5)

    with pytest.raises(services.RoundClosed):
        services.withdraw_entry(entry=drafted, now=at)
    with pytest.raises(services.RoundClosed):
        services.start_entry(round_=open_round, student=make.student(), now=at)


def _notices(db, kind=None):
    query = sa.select(Notification.user_id, Notification.kind).order_by(Notification.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return db.session.execute(query).all()


def test_reminders_24_h_and_1_h_before_close_once_each(db, make_entry, drafted, open_round):
    submitted = make_entry(open_round)  # already submitted: never reminded
    close = open_round.closes_at

    runs = [
        jobs.remind_unsubmitted(now=close - timedelta(hours=30)),
        jobs.remind_unsubmitted(now=close - timedelta(hours=24)),
        jobs.remind_unsubmitted(now=close - timedelta(hours=23)),
        jobs.remind_unsubmitted(now=close - timedelta(minutes=59)),
        jobs.remind_unsubmitted(now=close - timedelta(minutes=5)),
        jobs.remind_unsubmitted(now=close + timedelta(minutes=5)),
    ]

    assert runs == [0, 1, 0, 1, 0, 0]
    assert _notices(db) == [
        (drafted.student_id, "essay_deadline_day"),
        (drafted.student_id, "essay_deadline_hour"),
    ]
    assert submitted.student_id not in {u for u, _k in _notices(db)}


def test_reminder_text_names_the_round(db, drafted, open_round):
    from core.notifications.services import notification_text

    jobs.remind_unsubmitted(now=open_round.closes_at - timedelta(minutes=30))

    notice = db.session.scalar(sa.select(Notification))
    assert open_round.name in notification_text(notice)


def test_last_drafts_submitted_at_close_when_the_round_says_so(
    db, make, make_entry, drafted, open_round
):
    open_round.submit_drafts_at_close = True
    empty = services.start_entry(round_=open_round, student=make.student(), now=open_round.opens_at)
    done = make_entry(open_round)
    before_grace = open_round.closes_at + timedelta(seconds=10)
    after = open_round.closes_at + CLOSE_GRACE + timedelta(minutes=1)

    counts = [
        jobs.submit_last_drafts(now=before_grace),
        jobs.submit_last_drafts(now=after),
        jobs.submit_last_drafts(now=after + timedelta(minutes=1)),
    ]

    assert counts == [0, 1, 0]
    assert (drafted.status, drafted.submitted_at) == (EntryStatus.SUBMITTED, open_round.closes_at)
    assert empty.status == EntryStatus.DRAFT
    assert done.submitted_at == open_round.opens_at


def test_last_drafts_stay_drafts_by_default(db, drafted, open_round):
    assert jobs.submit_last_drafts(now=open_round.closes_at + timedelta(hours=1)) == 0
    assert drafted.status == EntryStatus.DRAFT


def test_similarity_waits_for_the_grace_and_the_last_drafts(db, drafted, open_round):
    open_round.submit_drafts_at_close = True

    assert jobs.check_closed_rounds(now=open_round.closes_at + timedelta(seconds=5)) == 0
    assert jobs.check_closed_rounds(now=open_round.closes_at + CLOSE_GRACE * 2) == 1
    assert drafted.status == EntryStatus.SUBMITTED
