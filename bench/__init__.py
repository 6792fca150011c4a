"""Benchmarks (see each module's docstring). They print their figures; nothing here is a test."""

import time


def machine_speed() -> str:
    """How fast this machine runs Python right now. A shared machine's speed drifts (this one's
    varied by half within an hour), so figures from different moments compare only beside it."""
    started = time.process_time()
    total = 0
    for i in range(10_000_000):
        total += i
    return f"machine: a 10-million-step Python loop took {time.process_time() - started:.2f} s"
