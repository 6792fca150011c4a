"""Benchmarks (see each module's docstring). They print their figures; nothing here is a test."""

import multiprocessing as mp
import time
from collections.abc import Callable


def machine_speed() -> str:
    """How fast this machine runs Python right now. A shared machine's speed drifts (this one's
    varied by half within an hour), so figures from different moments compare only beside it."""
    started = time.process_time()
    total = 0
    for i in range(10_000_000):
        total += i
    return f"machine: a 10-million-step Python loop took {time.process_time() - started:.2f} s"


def run_clients(target: Callable, processes: int, args_for: Callable[[int], tuple]) -> list:
    """Run the load from ``processes`` client processes: process ``i`` runs ``target(*args_for(i),
    barrier, queue)``, meets the others at the barrier between phases and puts one result on the
    queue. The results, in the order they came."""
    barrier = mp.Barrier(processes)
    queue: mp.Queue = mp.Queue()
    clients = [
        mp.Process(target=target, args=(*args_for(i), barrier, queue)) for i in range(processes)
    ]
    for client in clients:
        client.start()
    results = [queue.get() for _ in clients]
    for client in clients:
        client.join()
    return results
