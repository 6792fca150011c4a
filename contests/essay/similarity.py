"""Near-copy detection: MinHash/LSH over word shingles, Vietnamese diacritics kept.

Each text becomes the set of its 5-word shingles (lower-cased, NFC, diacritics kept: "mạng"
and "mang" are different words). MinHash signatures go into an LSH index so only likely pairs
are compared; a candidate pair is flagged when the exact Jaccard similarity of the shingle
sets reaches ``THRESHOLD``. A round is checked against itself, against every round that closed
before it (of any contest: an earlier round, last year's winners) and against the model essays
organizers upload for the contest. Flags go to organizers only, who see the matching passages
side by side (rapidfuzz) and clear or disqualify with a reason.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import sqlalchemy as sa
from datasketch import MinHash, MinHashLSH
from flask_babel import gettext as _
from rapidfuzz import fuzz, process

from contests.essay import services
from contests.essay.models import (
    Entry,
    EntryStatus,
    EssayContest,
    EssayRound,
    FlagStatus,
    ReferenceEssay,
    SimilarityFlag,
)
from core import audit
from core.clock import utcnow
from core.errors import Conflict, ValidationFailed
from core.extensions import db

SHINGLE_WORDS = 5
NUM_PERM = 128
#: Jaccard similarity of shingle sets from which a pair is flagged. Unrelated essays on the
#: same theme score below 0.02 on the demo set; a lightly edited copy scores about 0.8.
THRESHOLD = 0.3
_WORDS = re.compile(r"\w+")
_SENTENCES = re.compile(r"(?<=[.!?…])\s+|\n+")


def words(text: str) -> list[str]:
    return _WORDS.findall(unicodedata.normalize("NFC", text).lower())


def shingles(text: str, k: int = SHINGLE_WORDS) -> set[bytes]:
    """The set of k-word shingles of a text (short texts give one shingle of all their words)."""
    tokens = words(text)
    if len(tokens) < k:
        return {" ".join(tokens).encode()} if tokens else set()
    return {" ".join(tokens[i : i + k]).encode() for i in range(len(tokens) - k + 1)}


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


@dataclass(frozen=True)
class Match:
    a: Hashable
    b: Hashable
    score: float


def near_duplicates(
    current: Mapping[Hashable, str],
    earlier: Mapping[Hashable, str] | None = None,
    *,
    threshold: float = THRESHOLD,
) -> list[Match]:
    """Pairs (current, current) and (current, earlier) whose shingle Jaccard ≥ ``threshold``.

    Keys must be unique across both mappings. Each within-``current`` pair is reported once.
    """
    earlier = earlier or {}
    sets = {key: shingles(text) for key, text in {**earlier, **current}.items()}
    keys = [key for key, s in sets.items() if s]
    if not keys:
        return []
    signatures = MinHash.bulk([sets[k] for k in keys], num_perm=NUM_PERM)
    # LSH tuned a little below the threshold so borderline pairs still become candidates.
    lsh = MinHashLSH(threshold=max(0.05, threshold * 0.7), num_perm=NUM_PERM, weights=(0.2, 0.8))
    with lsh.insertion_session() as session:
        for key, signature in zip(keys, signatures, strict=True):
            session.insert(key, signature)
    # Candidates are first screened by their MinHash estimate (one vectorised comparison per
    # text), so the exact Jaccard is computed only for pairs that can reach the threshold.
    matrix = np.stack([signature.hashvalues for signature in signatures])
    index = {key: i for i, key in enumerate(keys)}
    found: list[Match] = []
    for key in keys:
        if key not in current:
            continue
        i = index[key]
        others = [
            other
            for other in lsh.query(signatures[i])
            if other != key and not (other in current and index[other] < i)
        ]
        if not others:
            continue
        rows = np.fromiter((index[o] for o in others), dtype=np.int64, count=len(others))
        estimates = (matrix[rows] == matrix[i]).mean(axis=1)
        for other, estimate in zip(others, estimates, strict=True):
            if estimate < threshold * 0.6:
                continue
            score = jaccard(sets[key], sets[other])
            if score >= threshold:
                found.append(Match(key, other, round(score, 4)))
    found.sort(key=lambda m: -m.score)
    return found


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCES.split(text or "") if len(s.split()) >= 4]


def matching_passages(a: str, b: str, *, min_score: float = 80.0) -> list[tuple[str, str, int]]:
    """Sentences of ``a`` with their closest sentence in ``b`` (rapidfuzz), for side-by-side."""
    right = sentences(b)
    if not right:
        return []
    pairs = []
    for sentence in sentences(a):
        best = process.extractOne(sentence, right, scorer=fuzz.ratio, score_cutoff=min_score)
        if best:
            pairs.append((sentence, best[0], round(best[1])))
    return pairs


# --- the round's check, flags and decisions ---------------------------------------------------

CHECKED = (EntryStatus.SUBMITTED, EntryStatus.DISQUALIFIED)


def check_round(*, round_: EssayRound, now: datetime | None = None) -> int:
    """Flag near-copies in a round (within it, against earlier rounds and model essays).

    Re-running adds only new pairs; flags already decided stay decided. Returns new flags.
    """
    now = now or utcnow()
    entries = db.session.execute(
        sa.select(
            Entry.id,
            Entry.round_id,
            Entry.student_id,
            Entry.carried_from_id,
            Entry.title,
            Entry.body,
        )
        .join(EssayRound, EssayRound.id == Entry.round_id)
        .where(
            # This round, and every round (of any contest, e.g. last year's) closed before it.
            sa.or_(Entry.round_id == round_.id, EssayRound.closes_at < round_.closes_at),
            Entry.status.in_(CHECKED),
        )
    ).all()
    current = {f"e{r.id}": f"{r.title}\n{r.body}" for r in entries if r.round_id == round_.id}
    earlier = {f"e{r.id}": f"{r.title}\n{r.body}" for r in entries if r.round_id != round_.id}
    for ref in db.session.scalars(
        sa.select(ReferenceEssay).where(ReferenceEssay.contest_id == round_.contest_id)
    ):
        earlier[f"r{ref.id}"] = f"{ref.title}\n{ref.body}"
    info = {f"e{r.id}": r for r in entries}
    existing = set(
        db.session.execute(
            sa.select(SimilarityFlag.entry_id, SimilarityFlag.pair_key).where(
                SimilarityFlag.round_id == round_.id
            )
        ).all()
    )
    created = 0
    for match in near_duplicates(current, earlier):
        a, b = info[match.a], info.get(match.b)
        if b is not None and (b.student_id == a.student_id or a.carried_from_id == b.id):
            continue  # the same author, or the entry this one advanced from
        if b is not None and b.round_id == round_.id and b.id < a.id:
            a, b = b, a  # within a round: the earlier entry carries the flag
        pair_key = match.b if b is None else f"e{b.id}"
        if (a.id, pair_key) in existing:
            continue
        existing.add((a.id, pair_key))
        db.session.add(
            SimilarityFlag(
                round_id=round_.id,
                entry_id=a.id,
                other_entry_id=b.id if b is not None else None,
                reference_id=int(match.b[1:]) if b is None else None,
                pair_key=pair_key,
                score=match.score,
                created_at=now,
            )
        )
        created += 1
    round_.similarity_checked_at = now
    db.session.flush()
    return created


def open_flags(round_: EssayRound) -> list[SimilarityFlag]:
    return list(
        db.session.scalars(
            sa.select(SimilarityFlag)
            .where(SimilarityFlag.round_id == round_.id)
            .options(
                sa.orm.selectinload(SimilarityFlag.entry),
                sa.orm.selectinload(SimilarityFlag.other_entry),
                sa.orm.selectinload(SimilarityFlag.reference),
            )
            .order_by(
                (SimilarityFlag.status == FlagStatus.OPEN).desc(), SimilarityFlag.score.desc()
            )
        )
    )


def passages(flag: SimilarityFlag) -> list[tuple[str, str, int]]:
    """The flagged entry's sentences beside their closest match in the other text."""
    other = flag.other_entry.body if flag.other_entry else flag.reference.body
    return matching_passages(flag.entry.body, other)


def decide(
    *,
    actor,
    flag: SimilarityFlag,
    decision: FlagStatus,
    reason: str,
    targets: tuple[str, ...] = ("entry",),
    now: datetime | None = None,
) -> SimilarityFlag:
    """Clear a flag or disqualify the copied entry (or both entries), with a reason (audited)."""
    now = now or utcnow()
    reason = services.clean_text(reason, limit=2000, field="reason")
    if not reason:
        raise ValidationFailed(_("Please give the reason."), field="reason")
    if flag.status != FlagStatus.OPEN:
        raise Conflict(_("This flag has already been decided."))
    if decision == FlagStatus.DISQUALIFIED:
        chosen = []
        if "entry" in targets:
            chosen.append(flag.entry)
        if "other" in targets and flag.other_entry is not None:
            chosen.append(flag.other_entry)
        for entry in chosen:
            if entry.status != EntryStatus.DISQUALIFIED:
                services.disqualify_entry(actor=actor, entry=entry, reason=reason, now=now)
    flag.status, flag.reason = decision, reason
    flag.decided_by_id, flag.decided_at = getattr(actor, "id", None), now
    db.session.flush()
    audit.record(
        actor=actor,
        action=f"essay.flag_{decision.value}",
        obj=flag,
        before={"status": FlagStatus.OPEN.value},
        after={"status": decision.value, "targets": list(targets)},
        reason=reason,
        now=now,
    )
    return flag


def references(contest: EssayContest) -> list[ReferenceEssay]:
    return list(
        db.session.scalars(
            sa.select(ReferenceEssay)
            .where(ReferenceEssay.contest_id == contest.id)
            .order_by(ReferenceEssay.created_at)
        )
    )
