"""Transaction helpers for writers that compose many services in one all-or-nothing transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections


@contextmanager
def without_nested_savepoints(*, using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Inside an atomic block: nested `transaction.atomic()` blocks open no savepoint.

    Every service is `@transaction.atomic` so that it is safe on its own; nested in a caller's
    transaction each one costs a SAVEPOINT and a RELEASE round trip. A caller that is all or nothing
    anyway (the order intake: any error undoes the whole order) can do without them: an error in a
    nested block then marks the whole transaction for rollback, as Django does for
    `atomic(savepoint=False)`. So inside this block, never catch a database error or a domain
    error raised through a nested atomic block and go on writing: call the services' non-raising
    forms instead (e.g. `inventory.services.order_stock_try_reserve`).

    Per connection, hence per thread; the setting is restored on exit.
    """
    connection = connections[using]
    if not connection.in_atomic_block:
        raise RuntimeError("without_nested_savepoints() is for use inside transaction.atomic()")
    if "_savepoint_allowed" in vars(connection):  # nested use: the outer block restores it
        yield
        return
    # Django asks `_savepoint_allowed()` before every savepoint (SQLite overrides it, so the
    # `uses_savepoints` feature flag alone would not do); an instance attribute shadows the method.
    connection._savepoint_allowed = _no_savepoints
    try:
        yield
    finally:
        del connection._savepoint_allowed


def _no_savepoints() -> bool:
    return False
