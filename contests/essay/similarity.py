"""Near-copy detection: MinHash/LSH over word shingles, case and diacritics folded.

Each text becomes the set of its 5-word shingles after folding: lower case, no diacritics ("Mạng"
and "MANG" are the same word), invisible characters dropped, so a copy retyped without accents
or in capitals is still a copy. Texts with the same folded words are grouped first (by a hash),
so a thousand identical essays are compared once. MinHash signatures of the distinct texts go
into an LSH index so only likely pairs are compared; a candidate pair is flagged when the exact
Jaccard similarity of the shingle sets reaches ``THRESHOLD``. Each entry keeps at most its
``MAX_MATCHES`` strongest matches (a copy of an earlier text or a model essay first), which
bounds both the flags an organizer reads and the memory a round of copies takes.

A round is checked against itself, against every round that closed before it (of any contest:
an earlier round, last year's winners) and against the model essays organizers upload for the
contest. Flags go to organizers only, who see the matching passages side by side (rapidfuzz)
and clear or disqualify with a reason.

datasketch (which loads scipy) is imported only when a check runs, never by a web worker.

Over 400 lines: folding, grouping, LSH and the per-entry cap are one pipeline whose memory bound
depends on all four; they are kept together on purpose.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import sqlalchemy as sa
from flask_babel import gettext as _
from rapidfuzz import fuzz, process

from contests.essay import services
from contests.essay.masking import fold
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
#: Matches kept per entry of the round checked (its strongest).
MAX_MATCHES = 20
#: Candidates per distinct text whose exact Jaccard is computed (best MinHash estimates first).
MAX_CANDIDATES = 4 * MAX_MATCHES
_WORDS = re.compile(r"\w+")
_SENTENCES = re.compile(r"(?<=[.!?…])\s+|\n+")
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u180e\u200b\u200c\u200d\u2060\ufeff"))


def words(text: str) -> list[str]:
    """The text's words, folded: lower case, no diacritics, invisible characters dropped."""
    return _WORDS.findall(fold(text.translate(_INVISIBLE)))


@dataclass(frozen=True)
class Match:
    a: Hashable
    b: Hashable
    score: float


class _Shingler:
    """Shingles as sorted arrays of 64-bit hashes (8 bytes each, not a Python set of strings)."""

    def __init__(self, k: int = SHINGLE_WORDS, seed: int = 7) -> None:
        rng = np.random.default_rng(seed)
        self.k = k
        self.vocabulary: dict[str, int] = {}
        self.weights = rng.integers(1, 1 << 63, size=k, dtype=np.uint64) | np.uint64(1)
        self.perm_a = rng.integers(1, 1 << 63, size=(NUM_PERM, 1), dtype=np.uint64) | np.uint64(1)
        self.perm_b = rng.integers(0, 1 << 63, size=(NUM_PERM, 1), dtype=np.uint64)

    def hashes(self, tokens: list[str]) -> np.ndarray:
        ids = np.fromiter(
            (self.vocabulary.setdefault(t, len(self.vocabulary) + 1) for t in tokens),
            dtype=np.uint64,
            count=len(tokens),
        )
        k = min(self.k, len(ids))
        rows = len(ids) - k + 1
        combined = np.zeros(rows, dtype=np.uint64)
        for j in range(k):
            combined = (
                combined * np.uint64(0x9E3779B97F4A7C15) + ids[j : j + rows] * self.weights[j]
            )
        # splitmix64's finaliser spreads the bits, so MinHash sees uniform values.
        combined ^= combined >> np.uint64(30)
        combined *= np.uint64(0xBF58476D1CE4E5B9)
        combined ^= combined >> np.uint64(27)
        combined *= np.uint64(0x94D049BB133111EB)
        combined ^= combined >> np.uint64(31)
        return np.unique(combined)

    def signature(self, hashes: np.ndarray) -> np.ndarray:
        """MinHash of one shingle set: per permutation the least of (a·h + b) mod 2⁶⁴ >> 32."""
        return ((self.perm_a * hashes + self.perm_b) >> np.uint64(32)).min(axis=1)


def _exact(a: np.ndarray, b: np.ndarray) -> float:
    common = np.intersect1d(a, b, assume_unique=True).size
    return common / (a.size + b.size - common)


def near_duplicates(
    current: Mapping[Hashable, str],
    earlier: Mapping[Hashable, str] | None = None,
    *,
    threshold: float = THRESHOLD,
    related: Callable[[Hashable, Hashable], bool] | None = None,
) -> list[Match]:
    """Pairs (current, current) and (current, earlier) whose shingle Jaccard ≥ ``threshold``.

    Keys must be unique across both mappings. Each within-``current`` pair is reported once,
    ``a`` being the one listed first. Each current text keeps at most ``MAX_MATCHES`` matches,
    its strongest; ``related(a, b)`` drops pairs that are not copies (the same author).
    """
    earlier = earlier or {}
    shingler = _Shingler()
    order: dict[Hashable, int] = {}
    group_of: dict[bytes, int] = {}
    members: list[list[Hashable]] = []
    sets: list[np.ndarray] = []
    for key, text in (*earlier.items(), *current.items()):
        order[key] = len(order)
        tokens = words(text)
        if not tokens:
            continue
        digest = hashlib.blake2b(" ".join(tokens).encode(), digest_size=16).digest()
        group = group_of.setdefault(digest, len(members))
        if group == len(members):
            members.append([])
            sets.append(shingler.hashes(tokens))
        members[group].append(key)
    if not members:
        return []
    signatures = np.stack([shingler.signature(s) for s in sets])
    wanted = [g for g, keys in enumerate(members) if any(k in current for k in keys)]
    distinct = _distinct_matches(signatures, sets, wanted, threshold)
    candidates = _candidates(members, distinct, current, order)
    return _strongest(candidates, current, order, related)


def _distinct_matches(
    signatures: np.ndarray, sets: list[np.ndarray], wanted: list[int], threshold: float
) -> dict[int, list[tuple[float, int]]]:
    """For each wanted distinct text, the other distinct texts it matches (strongest first)."""
    # Here, not at the top: datasketch loads scipy, which web workers must not carry.
    from datasketch import MinHash, MinHashLSH

    # LSH tuned a little below the threshold so borderline pairs still become candidates.
    lsh = MinHashLSH(threshold=max(0.05, threshold * 0.7), num_perm=NUM_PERM, weights=(0.2, 0.8))
    minhashes = [
        MinHash(num_perm=NUM_PERM, hashvalues=row, scheme="affine32") for row in signatures
    ]
    with lsh.insertion_session() as session:
        for group, minhash in enumerate(minhashes):
            session.insert(group, minhash, check_duplication=False)
    scores: dict[tuple[int, int], float] = {}
    found: dict[int, list[tuple[float, int]]] = {}
    for group in wanted:
        others = np.fromiter((o for o in lsh.query(minhashes[group]) if o != group), dtype=np.int64)
        if not others.size:
            continue
        # Screen by the MinHash estimate (one vectorised comparison), then compute the exact
        # Jaccard only for the best few: this bounds the work however many texts look alike.
        estimates = (signatures[others] == signatures[group]).mean(axis=1)
        keep = np.flatnonzero(estimates >= threshold * 0.6)
        keep = keep[np.argsort(-estimates[keep], kind="stable")[:MAX_CANDIDATES]]
        matches = []
        for other in others[keep].tolist():
            pair = (min(group, other), max(group, other))
            if pair not in scores:
                scores[pair] = _exact(sets[group], sets[other])
            if scores[pair] >= threshold:
                matches.append((round(scores[pair], 4), other))
        matches.sort(key=lambda m: (-m[0], m[1]))
        found[group] = matches[:MAX_MATCHES]
    return found


def _candidates(
    members: list[list[Hashable]],
    distinct: dict[int, list[tuple[float, int]]],
    current: Mapping,
    order: dict[Hashable, int],
) -> dict[frozenset, tuple]:
    """Candidate pairs of keys with their sort keys, a bounded number per current key.

    Identical texts pair with their neighbours in a ring (never all with all); a key pairs with
    up to ``MAX_MATCHES`` members of each distinct text its own text matches.
    """
    pairs: dict[frozenset, tuple] = {}

    def add(a, b, score: float, distance: int) -> None:
        pair = frozenset((a, b))
        if a != b and pair not in pairs:
            copied = a not in current or b not in current
            pairs[pair] = (-score, not copied, distance, *sorted((order[a], order[b])))

    for group, keys in enumerate(members):
        now_keys = [k for k in keys if k in current]
        if not now_keys:
            continue
        before = [k for k in keys if k not in current]
        for p, key in enumerate(now_keys):
            for t in range(min(MAX_MATCHES, len(before))):
                add(key, before[(p + t) % len(before)], 1.0, 0)
            for d in range(1, min(MAX_MATCHES, len(now_keys) - 1) + 1):
                add(key, now_keys[(p + d) % len(now_keys)], 1.0, d)
            for score, other in distinct.get(group, []):
                others = members[other]
                for t in range(min(MAX_MATCHES, len(others))):
                    add(key, others[(p + t) % len(others)], score, t)
    return pairs


def _strongest(
    candidates: dict[frozenset, tuple],
    current: Mapping,
    order: dict[Hashable, int],
    related: Callable[[Hashable, Hashable], bool] | None,
) -> list[Match]:
    """Keep each current key's strongest matches, at most ``MAX_MATCHES`` each (greedy)."""
    kept: dict[Hashable, int] = defaultdict(int)
    found: list[Match] = []
    for pair, rank in sorted(candidates.items(), key=lambda item: item[1]):
        a, b = sorted(pair, key=lambda k: (k not in current, order[k]))
        if related is not None and related(a, b):
            continue
        ends = [k for k in (a, b) if k in current]
        if any(kept[k] >= MAX_MATCHES for k in ends):
            continue
        for k in ends:
            kept[k] += 1
        found.append(Match(a, b, -rank[0]))
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

    def related(a: str, b: str) -> bool:
        """The same author, or the entry one advanced from: not a copy."""
        x, y = info.get(a), info.get(b)
        if x is None or y is None:
            return False
        return (
            x.student_id == y.student_id or y.id == x.carried_from_id or x.id == y.carried_from_id
        )

    created = 0
    for match in near_duplicates(current, earlier, related=related):
        a, b = info[match.a], info.get(match.b)
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
