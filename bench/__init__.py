"""Benchmarks (see each module's docstring). They print their figures; nothing here is a test."""

import time


def machine_speed() -> str:
    """How fast this machine runs Python right now: shared machines drift, so figures from
    different moments compare only next to this line (a quiet 2-core machine: about 1.0 s)."""
    started = time.process_time()
    total = 0
    for i in range(10_000_000):
        total += i
    return f"machine: a 10-million-step Python loop took {time.process_time() - started:.2f} s"
