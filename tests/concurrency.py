"""Run functions at once, each in its own thread with its own database connection (PostgreSQL races)."""

from __future__ import annotations

import threading

from django.db import connections


def run_concurrently(functions, *, timeout: float = 120) -> tuple[list, list[BaseException]]:
    """Start every function together (a barrier) and return (their results, the errors raised).

    A thread still running after `timeout` seconds fails the test as a hang (a deadlock between
    the racers), rather than leaving the suite waiting."""
    barrier = threading.Barrier(len(functions))
    results, errors = [], []

    def worker(fn):
        try:
            barrier.wait(timeout=30)
            results.append(fn())
        except BaseException as exc:  # noqa: BLE001 — returned to the test, which asserts on them
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(fn,)) for fn in functions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a worker hung (deadlock?)"
    return results, errors
