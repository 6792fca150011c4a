"""Benchmark: near-copy check of 5,000 essays of about 600 words (target ≤ 60 s).

    .venv/bin/python -m bench.essay_similarity [--essays 5000] [--words 600]

Essays are generated from the demo essays' vocabulary (diacritics kept), or with
``--sentences`` from whole sentences of the demo essays (same theme, many shared phrases), with
25 planted near-copies (10 % of words changed); the run reports the time, the pairs found and
whether exactly the planted copies were found.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
from pathlib import Path

from contests.essay.similarity import near_duplicates

DEMO = Path(__file__).resolve().parent.parent / "demo" / "essays.json"


def corpus(
    n: int, length: int, planted: int, seed: int = 4, sentences: bool = False
) -> tuple[dict[str, str], set]:
    """Random essays (words, or whole sentences of the demo essays) plus planted copies."""
    rng = random.Random(seed)
    demo = json.loads(DEMO.read_text(encoding="utf-8"))
    vocabulary = sorted({w for e in demo for w in e["body"].split()})
    pool = [s for e in demo for s in re.split(r"(?<=[.!?])\s+", e["body"]) if len(s.split()) > 5]

    def essay() -> str:
        target = rng.randint(length - 80, length + 80)
        if not sentences:
            return " ".join(rng.choice(vocabulary) for _ in range(target))
        out: list[str] = []
        while sum(len(s.split()) for s in out) < target:
            out.append(rng.choice(pool))
        return " ".join(out)

    essays = {f"e{i}": essay() for i in range(n - planted)}
    expected = set()
    for j in range(planted):
        source = f"e{rng.randrange(n - planted)}"
        tokens = essays[source].split()
        for _ in range(len(tokens) // 10):
            tokens[rng.randrange(len(tokens))] = rng.choice(vocabulary)
        key = f"copy{j}"
        essays[key] = " ".join(tokens)
        expected.add(frozenset((source, key)))
    return essays, expected


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--essays", type=int, default=5000)
    parser.add_argument("--words", type=int, default=600)
    parser.add_argument(
        "--sentences",
        action="store_true",
        help="build essays from the demo essays' sentences (same theme, shared phrases)",
    )
    args = parser.parse_args()
    essays, expected = corpus(args.essays, args.words, planted=25, sentences=args.sentences)
    words = sum(len(t.split()) for t in essays.values())
    started = time.perf_counter()
    found = near_duplicates(essays)
    elapsed = time.perf_counter() - started
    pairs = {frozenset((m.a, m.b)) for m in found}
    print(f"essays: {len(essays)}, words: {words} (mean {words / len(essays):.0f})")
    print(f"checked in {elapsed:.1f} s (target ≤ 60 s)")
    print(
        f"pairs flagged: {len(pairs)}; planted copies found: {len(pairs & expected)}/{len(expected)}"
    )
    print(f"false flags: {len(pairs - expected)}")


if __name__ == "__main__":
    main()
