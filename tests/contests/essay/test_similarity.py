"""Near-copies: the demo's planted pair is found and nothing else; rounds, references, jobs."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from contests.essay import jobs, services, similarity
from contests.essay.models import EntryStatus, FlagStatus, SimilarityFlag
from core.errors import Conflict
from demo.essay import load_demo_essays
from tests.conftest import T0
from tests.contests.essay.conftest import words

ESSAYS = load_demo_essays()


def test_near_duplicates_finds_only_the_planted_pair_in_demo_essays():
    texts = {e["key"]: f"{e['title']}\n{e['body']}" for e in ESSAYS}

    found = similarity.near_duplicates(texts)

    assert [(m.a, m.b) for m in found] == [("e12", "e38")]
    assert found[0].score > 0.7


def test_shingles_keep_diacritics():
    assert similarity.shingles("mạng xanh an toàn cho em") != similarity.shingles(
        "mang xanh an toan cho em"
    )


def test_matching_passages_pairs_close_sentences():
    by_key = {e["key"]: e["body"] for e in ESSAYS}

    pairs = similarity.matching_passages(by_key["e38"], by_key["e12"])

    assert len(pairs) >= 10
    assert all(score >= 80 for _a, _b, score in pairs)


@pytest.fixture
def closed_round(make_round):
    return make_round(opens_at=T0 - timedelta(days=5), closes_at=T0 - timedelta(hours=1))


def _demo_entries(make_entry, round_, keys):
    by_key = {e["key"]: e for e in ESSAYS}
    return {
        k: make_entry(round_, body=by_key[k]["body"], title=by_key[k]["title"], submit=False)
        for k in keys
    }


def _submit_all(entries, round_):
    for entry in entries.values():
        entry.status = EntryStatus.SUBMITTED
        entry.submitted_at = round_.opens_at


def test_check_round_flags_the_planted_pair_once(db, make_entry, closed_round):
    entries = _demo_entries(make_entry, closed_round, ["e01", "e12", "e20", "e38"])
    _submit_all(entries, closed_round)

    first = similarity.check_round(round_=closed_round, now=T0)
    again = similarity.check_round(round_=closed_round, now=T0)

    flags = db.session.scalars(sa.select(SimilarityFlag)).all()
    assert (first, again) == (1, 0)
    assert [(f.entry_id, f.other_entry_id) for f in flags] == [
        (entries["e12"].id, entries["e38"].id)
    ]
    assert closed_round.similarity_checked_at == T0


def test_check_round_ignores_drafts(db, make_entry, closed_round):
    _demo_entries(make_entry, closed_round, ["e12", "e38"])

    assert similarity.check_round(round_=closed_round, now=T0) == 0


def test_check_round_against_earlier_round(db, make_round, make_entry):
    earlier = make_round(
        stage=1, opens_at=T0 - timedelta(days=30), closes_at=T0 - timedelta(days=20)
    )
    later = make_round(stage=2, opens_at=T0 - timedelta(days=10), closes_at=T0)
    text = words(80)
    old = make_entry(earlier, body=text)
    new = make_entry(later, body=text + " thêm một câu mới")
    make_entry(later, body=words(5) + " ".join(f"chữ{i}" for i in range(80)))

    assert similarity.check_round(round_=later, now=T0) == 1
    flag = db.session.scalar(sa.select(SimilarityFlag))
    assert (flag.entry_id, flag.other_entry_id, flag.round_id) == (new.id, old.id, later.id)


def test_check_round_skips_own_earlier_entry(db, make, make_round, make_entry):
    author = make.student()
    earlier = make_round(opens_at=T0 - timedelta(days=30), closes_at=T0 - timedelta(days=20))
    later = make_round(stage=2, opens_at=T0 - timedelta(days=10), closes_at=T0)
    make_entry(earlier, author, body=words(80))
    make_entry(later, author, body=words(80))

    assert similarity.check_round(round_=later, now=T0) == 0


def test_check_round_against_reference_model_essay(db, make, contest, make_entry, closed_round):
    model = next(e for e in ESSAYS if e["key"] == "e16")
    reference = services.add_reference(
        actor=make.organizer(), contest=contest, title="Bài mẫu", body=model["body"], now=T0
    )
    entry = make_entry(closed_round, body=model["body"].replace("em", "mình", 3), submit=False)
    entry.status = EntryStatus.SUBMITTED

    assert similarity.check_round(round_=closed_round, now=T0) == 1
    flag = db.session.scalar(sa.select(SimilarityFlag))
    assert (flag.entry_id, flag.reference_id, flag.pair_key) == (
        entry.id,
        reference.id,
        f"r{reference.id}",
    )
    assert len(similarity.passages(flag)) >= 5


def test_decide_clear_is_audited_and_final(db, make, make_entry, closed_round):
    entries = _demo_entries(make_entry, closed_round, ["e12", "e38"])
    _submit_all(entries, closed_round)
    similarity.check_round(round_=closed_round, now=T0)
    flag = similarity.open_flags(closed_round)[0]
    organizer = make.organizer()

    similarity.decide(
        actor=organizer, flag=flag, decision=FlagStatus.CLEARED, reason="Hai anh em", now=T0
    )

    assert (flag.status, flag.reason, flag.decided_by_id) == (
        FlagStatus.CLEARED,
        "Hai anh em",
        organizer.id,
    )
    assert entries["e12"].status == EntryStatus.SUBMITTED
    with pytest.raises(Conflict):
        similarity.decide(actor=organizer, flag=flag, decision=FlagStatus.CLEARED, reason="x")


def test_decide_disqualify_both(db, make, make_entry, closed_round):
    entries = _demo_entries(make_entry, closed_round, ["e12", "e38"])
    _submit_all(entries, closed_round)
    similarity.check_round(round_=closed_round, now=T0)
    flag = similarity.open_flags(closed_round)[0]

    similarity.decide(
        actor=make.organizer(),
        flag=flag,
        decision=FlagStatus.DISQUALIFIED,
        reason="Cùng chép",
        targets=("entry", "other"),
        now=T0,
    )

    assert entries["e12"].status == EntryStatus.DISQUALIFIED
    assert entries["e38"].status == EntryStatus.DISQUALIFIED


def test_job_checks_closed_rounds_once(db, make_entry, closed_round, open_round):
    entries = _demo_entries(make_entry, closed_round, ["e12", "e38"])
    _submit_all(entries, closed_round)

    assert jobs.check_closed_rounds(now=T0) == 1
    assert jobs.check_closed_rounds(now=T0 + timedelta(minutes=10)) == 0
    assert open_round.similarity_checked_at is None
    assert len(similarity.open_flags(closed_round)) == 1


def test_check_round_against_earlier_round_of_same_stage(db, make_round, make_entry):
    first = make_round(opens_at=T0 - timedelta(days=30), closes_at=T0 - timedelta(days=20))
    second = make_round(opens_at=T0 - timedelta(days=10), closes_at=T0)
    text = words(80)
    make_entry(first, body=text)
    make_entry(second, body=text)

    assert similarity.check_round(round_=second, now=T0) == 1
    assert similarity.check_round(round_=first, now=T0) == 0


def test_near_duplicates_of_nothing_is_empty():
    assert similarity.near_duplicates({}) == []
    assert similarity.near_duplicates({"a": ""}, {"b": "   "}) == []
