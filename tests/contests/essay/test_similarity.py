"""Near-copies: the demo's planted pair is found and nothing else; rounds, references, jobs."""

from __future__ import annotations

import subprocess
import sys
import unicodedata
from collections import Counter
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


def test_words_fold_case_and_diacritics():
    assert similarity.words("Mạng xanh AN TOÀN cho em, đúng") == similarity.words(
        "mang xanh an toan cho em dung"
    )


def _strip_marks(text: str) -> str:
    folded = unicodedata.normalize("NFD", text).replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in folded if not unicodedata.combining(c))


@pytest.mark.parametrize(
    "copy",
    [
        _strip_marks,
        str.upper,
        lambda t: _strip_marks(t).lower(),
        lambda t: t.replace(" ", " \u200b"),
    ],
    ids=["no-diacritics", "capitals", "plain-lower", "zero-width"],
)
def test_copy_respelled_scores_as_a_copy(copy):
    original = next(e for e in ESSAYS if e["key"] == "e16")["body"]
    others = {e["key"]: e["body"] for e in ESSAYS if e["key"] not in ("e12", "e38", "e16")}

    found = similarity.near_duplicates({"copy": copy(original), **others}, {"model": original})

    assert [(m.a, m.b, m.score) for m in found] == [("copy", "model", 1.0)]


def test_identical_essays_keep_at_most_20_matches_per_entry():
    texts = {f"s{i:03}": words(120) for i in range(60)}
    texts["own"] = "Một bài khác hẳn. " + " ".join(f"chữ{i}" for i in range(100))

    found = similarity.near_duplicates(texts)

    per_entry = Counter(k for m in found for k in (m.a, m.b))
    assert max(per_entry.values()) == similarity.MAX_MATCHES
    assert set(per_entry) == {f"s{i:03}" for i in range(60)}
    assert all(m.score == 1.0 for m in found)
    assert len({frozenset((m.a, m.b)) for m in found}) == len(found)


def test_every_copy_of_a_reference_is_flagged_beyond_the_cap():
    texts = {f"s{i:03}": words(120) for i in range(30)}

    found = similarity.near_duplicates(texts, {"model": words(120)})

    assert {m.a for m in found if m.b == "model"} == set(texts)


def test_web_process_does_not_load_datasketch_or_scipy():
    code = (
        "import sys; from app import create_app; "
        "from core.config import TestConfig; "
        "app = create_app(TestConfig({}, SQLALCHEMY_DATABASE_URI='sqlite://')); "
        "import contests.essay.views, contests.essay.similarity; "
        "print(sorted(m for m in ('datasketch', 'scipy') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )

    assert result.stdout.strip().splitlines()[-1] == "[]"


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
