"""Concurrency-safe, gapless numbering.

`next_value` increments a `Sequence` row inside the caller's transaction. On PostgreSQL the row is
locked with SELECT … FOR UPDATE, so two transactions numbering at once are serialised and the
loser of a rollback gives its number back (no gaps). SQLite serialises writers anyway; our SQLite
connections open transactions IMMEDIATE, so the read-modify-write cannot interleave.
"""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from oms.core.models import Sequence


def next_value(key: str) -> int:
    with transaction.atomic():
        updated = Sequence.objects.filter(key=key).update(value=F("value") + 1)
        if not updated:
            try:
                with transaction.atomic():
                    Sequence.objects.create(key=key, value=1)
                    return 1
            except IntegrityError:
                # Another transaction created the row first; the UPDATE below waits for its lock.
                Sequence.objects.filter(key=key).update(value=F("value") + 1)
        return Sequence.objects.filter(key=key).values_list("value", flat=True).get()


def local_today() -> date:
    return timezone.localdate()


def next_order_number(on: date | None = None) -> str:
    """`SO` + YYYYMMDD + six-digit daily sequence, unique across channels: SO20261124000001."""
    day = on or local_today()
    prefix = f"SO{day:%Y%m%d}"
    return f"{prefix}{next_value(prefix):06d}"
