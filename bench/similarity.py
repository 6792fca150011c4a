"""Benchmark: the near-copy check of a round of 5,000 essays of about 600 words, 500 identical.

    .venv/bin/python -m bench.similarity [--essays 5000] [--words 600] [--identical 500]

Targets (issue 13): ≤ 60 s and ≤ 1 GB peak resident memory. Essays are built from whole
sentences of the demo essays (same theme, many shared phrases); 500 are one and the same essay
(a circulated model copied by a district) and 25 more are near-copies, 10 % of words changed,
half of them retyped without diacritics. Prints the wall time, the peak RSS of the process
(``resource.getrusage``), the pairs kept and the most matches any essay keeps.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import sys
import time
import unicodedata
from collections import Counter
from pathlib import Path

from contests.essay.similarity import MAX_MATCHES, near_duplicates

DEMO = Path(__file__).resolve().parent.parent / "demo" / "essays.json"


def _strip_marks(text: str) -> str:
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in text if not unicodedata.combining(c))


def corpus(n: int, length: int, identical: int, planted: int = 25, seed: int = 4):
    """Essays of whole demo sentences, ``identical`` copies of one, ``planted`` near-copies."""
    rng = random.Random(seed)
    demo = json.loads(DEMO.read_text(encoding="utf-8"))
    pool = [s for e in demo for s in re.split(r"(?<=[.!?])\s+", e["body"]) if len(s.split()) > 5]
    vocabulary = sorted({w for e in demo for w in e["body"].split()})

    def essay() -> str:
        target = rng.randint(length - 80, length + 80)
        out: list[str] = []
        while sum(len(s.split()) for s in out) < target:
            out.append(rng.choice(pool))
        return " ".join(out)

    unique = n - identical - planted
    essays = {f"e{i}": essay() for i in range(unique)}
    model = essay()
    essays.update({f"same{i}": model for i in range(identical)})
    expected = set()
    for j in range(planted):
        source = f"e{rng.randrange(unique)}"
        tokens = essays[source].split()
        for _ in range(len(tokens) // 10):
            tokens[rng.randrange(len(tokens))] = rng.choice(vocabulary)
        copy = " ".join(tokens)
        essays[f"copy{j}"] = _strip_marks(copy) if j % 2 else copy
        expected.add(frozenset((source, f"copy{j}")))
    return essays, expected


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--essays", type=int, default=5000)
    parser.add_argument("--words", type=int, default=600)
    parser.add_argument("--identical", type=int, default=500)
    args = parser.parse_args()
    essays, expected = corpus(args.essays, args.words, args.identical)
    words = sum(len(t.split()) for t in essays.values())
    print(f"essays: {len(essays)}, words: {words} (mean {words / len(essays):.0f})")
    print(f"peak RSS before the check: {peak_rss_mb():.0f} MB")
    started = time.perf_counter()
    found = near_duplicates(essays)
    elapsed = time.perf_counter() - started
    pairs = {frozenset((m.a, m.b)) for m in found}
    per_entry = Counter(k for m in found for k in (m.a, m.b))
    print(f"checked in {elapsed:.1f} s (target ≤ 60 s)")
    print(f"peak RSS: {peak_rss_mb():.0f} MB (target ≤ 1024 MB)")
    print(
        f"pairs kept: {len(pairs)}; most matches of one essay: {max(per_entry.values(), default=0)}"
        f" (cap {MAX_MATCHES})"
    )
    identical = sum(1 for k in essays if k.startswith("same") and per_entry[k])
    print(f"identical essays flagged: {identical}/{args.identical}")
    print(f"planted near-copies found: {len(pairs & expected)}/{len(expected)}")


if __name__ == "__main__":
    main()
