"""Concurrency-safe, gapless numbering.

`next_value` increments a `Sequence` row inside the caller's transaction. On PostgreSQL the row is
locked with SELECT … FOR UPDATE, so two transactions numbering at once are serialised and the
loser of a rollback gives its number back (no gaps). SQLite serialises writers anyway; our SQLite
connections open transactions IMMEDIATE, so the read-modify-write cannot interleave.
"""

from __future__ import annotations

from datetime import date

from django.db import connection
from django.utils import timezone

from core.models import Sequence


def next_value(key: str) -> int:
    return next_values(key, 1)[0]


def next_values(key: str, count: int) -> range:
    """A block of `count` consecutive values, allocated with one locked UPDATE (bulk imports).

    Same guarantees as `next_value`: the row stays locked until the caller's transaction ends, and
    a rollback gives the whole block back, so numbers stay gapless as long as the caller uses every
    value it asked for.
    """
    return _take(key, count)


def _take(key: str, count: int, *, wait_for_disk: bool = True) -> range:
    if count < 1:
        return range(0)
    # one statement: the increment and its result (UPDATE … RETURNING)
    last = _increment(key, count, wait_for_disk=wait_for_disk)
    if last is None:
        # The key's first number. INSERT … ON CONFLICT DO NOTHING never fails: when another
        # transaction inserts the row at the same moment it waits for that one and inserts nothing,
        # then the UPDATE waits for its row lock. (No error to catch, so no savepoint needed: callers
        # may number inside a transaction without savepoints, see core.transactions.)
        Sequence.objects.bulk_create([Sequence(key=key, value=0)], ignore_conflicts=True)
        last = _increment(key, count, wait_for_disk=wait_for_disk)
    return range(last - count + 1, last + 1)


def _increment(key: str, count: int, *, wait_for_disk: bool = True) -> int | None:
    """Add `count` to the sequence and return its new value (None when it has no row yet). The row
    stays locked until the caller's transaction ends. PostgreSQL and SQLite (3.35+) both return the
    updated value, so numbering costs one round trip instead of an UPDATE and a SELECT.

    `wait_for_disk=False` (PostgreSQL, a statement committing by itself): the statement's commit
    does not wait for its WAL to reach the disk (`synchronous_commit` off for this transaction
    only: `set_config(…, true)` is `SET LOCAL`)."""
    table = connection.ops.quote_name(Sequence._meta.db_table)
    value, key_column = connection.ops.quote_name("value"), connection.ops.quote_name("key")
    asynchronous = "" if wait_for_disk else " AND set_config('synchronous_commit', 'off', true) IS NOT NULL"
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {value} = {value} + %s WHERE {key_column} = %s{asynchronous} "
                       f"RETURNING {value}", [count, key])
        row = cursor.fetchone()
    return row[0] if row else None


def give_back_values(key: str, first: int, last: int) -> bool:
    """Return the unused tail `first..last` of a block taken in an earlier, committed transaction.

    Only while nobody has taken a number since (the counter still stands at `last`); otherwise the
    numbers stay unused. Returns whether they were given back.
    """
    if first > last:
        return True
    return bool(Sequence.objects.filter(key=key, value=last).update(value=first - 1))


def local_today() -> date:
    return timezone.localdate()


def _order_numbers(on: date | None, count: int, *, wait_for_disk: bool = True) -> list[str]:
    """`SO` + YYYYMMDD + six-digit daily sequence, unique across channels: SO20261124000001."""
    prefix = f"SO{on or local_today():%Y%m%d}"
    return [f"{prefix}{value:06d}" for value in _take(prefix, count, wait_for_disk=wait_for_disk)]


def next_order_number(on: date | None = None) -> str:
    """The day's next order number (`_order_numbers`), its counter locked until the caller's
    transaction ends."""
    return _order_numbers(on, 1)[0]


def next_order_number_alone(on: date | None = None) -> str:
    """An order number taken in a transaction of its own, before the caller's (the API intake).

    `next_order_number` inside the intake's transaction keeps the day's counter row locked until
    that transaction commits, so every order of the day waits for the one before it to finish; under
    load that lock was the intake's main wait on PostgreSQL. Taken alone, the counter is locked for
    one statement. The price: a number is unique and increasing but not gapless — a request that
    is refused or turns out to repeat an earlier one leaves its number unused. Order numbers need
    no more (invoice and voucher numbers, which must be gapless, keep the locked counter).

    Called outside any transaction: the counter's UPDATE commits by itself, and on PostgreSQL without
    waiting for the disk. That is safe because PostgreSQL writes its log in order: the order that
    uses the number commits later and waits for the disk, which brings the counter's change with it.
    A crash before then loses only numbers no stored order carries, and the counter restarts behind
    nothing stored. Inside a transaction (a test's) the number goes with it, durable as usual.
    """
    alone = connection.vendor == "postgresql" and connection.get_autocommit()
    return _order_numbers(on, 1, wait_for_disk=not alone)[0]


def next_order_numbers(count: int, on: date | None = None) -> list[str]:
    """`count` consecutive order numbers of one day, allocated as one block (legacy import)."""
    return _order_numbers(on, count)


def give_back_order_numbers(numbers: list[str]) -> bool:
    """`give_back_values` for the unused tail of a block from `next_order_numbers` (consecutive, one day)."""
    if not numbers:
        return True
    prefix = numbers[0][:-6]
    return give_back_values(prefix, int(numbers[0][-6:]), int(numbers[-1][-6:]))
