"""Run functions at once, each in its own thread with its own database connection (PostgreSQL races)."""

from __future__ import annotations

import threading

from django.db import connection


def run_concurrently(functions) -> tuple[list, list[BaseException]]:
    """Start every function together (a barrier) and return (their results, the errors raised)."""
    barrier = threading.Barrier(len(functions))
    results, errors = [], []

    def worker(fn):
        try:
            barrier.wait()
            results.append(fn())
        except Exception as exc:  # noqa: BLE001 — returned to the test, which asserts on them
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(fn,)) for fn in functions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors
