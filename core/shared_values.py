"""Configuration the order intake reads on every order, kept in the shared cache and briefly in-process.

Review rules, the active channels and whether anyone subscribes to webhooks change a few times a
day and are read on every order. The shared cache (Redis when `REDIS_URL` is set) lets every process
see a change at once, but each read is a round trip and, with Django's Redis backend, a new client
object; at intake rates that was five reads an order. A `SharedValue` also keeps the value in this
process for `LOCAL_SECONDS`:

- a change made in this process (`forget()`, called by every writer) is seen here at once;
- other processes see it within `LOCAL_SECONDS` (the same bound as the automation engine's rules);
- the shared copy expires after `shared_seconds`, a safety net for a writer that forgot to call.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db import transaction

LOCAL_SECONDS = 5.0

_MISSING = object()
_all: list[SharedValue] = []


class SharedValue:
    def __init__(self, key: str, *, shared_seconds: int, local_seconds: float = LOCAL_SECONDS) -> None:
        self.key = key
        self.shared_seconds = shared_seconds
        self.local_seconds = local_seconds
        # (value, valid until): one tuple, so a thread of the development server never reads a value
        # with another value's deadline.
        self._local: tuple[Any, float] = (_MISSING, 0.0)
        _all.append(self)

    def get(self, load: Callable[[], Any]) -> Any:
        value, until = self._local
        now = time.monotonic()
        if value is not _MISSING and now < until:
            return value
        value = cache.get(self.key, _MISSING)
        if value is _MISSING:
            value = load()
            cache.set(self.key, value, self.shared_seconds)
        self._local = (value, now + self.local_seconds)
        return value

    def put(self, value: Any) -> None:
        """Store a value this process worked out (e.g. a channel found on a miss) for everyone."""
        cache.set(self.key, value, self.shared_seconds)
        self._local = (value, time.monotonic() + self.local_seconds)

    def forget(self) -> None:
        """After a change: now, and again after the transaction commits (a reader between the two
        would otherwise store the old value again)."""
        self.forget_here()
        cache.delete(self.key)

        def again() -> None:
            self.forget_here()
            cache.delete(self.key)

        transaction.on_commit(again)

    def forget_here(self) -> None:
        self._local = (_MISSING, 0.0)


def forget_all_here() -> None:
    """Every shared value's copy in this process (tests, whose changes roll back without a commit)."""
    for shared in _all:
        shared.forget_here()
