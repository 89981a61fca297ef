"""Posting to the double-entry journal. `journal_post` is the only way a line gets written.

An entry is a set of legs whose debits equal their credits; zero legs are dropped. Entries are
numbered `JE-<year>-<6 digits>` from a gapless sequence (the voucher numbers an accountant
expects). Nothing here updates or deletes: `journal_reverse` posts the mirror image of an entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone, translation

from core.actors import actor_name, actor_user
from core.money import ZERO, to_money
from core.numbering import next_value
from finance.models import JournalEntry, JournalLine


class UnbalancedEntry(ValueError):
    """A programming error: the legs of an entry do not balance."""


@dataclass(frozen=True)
class Leg:
    account: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO


def Dr(account: str, amount) -> Leg:  # noqa: N802 (reads like the accountant's notation)
    return Leg(account=account, debit=to_money(amount))


def Cr(account: str, amount) -> Leg:  # noqa: N802
    return Leg(account=account, credit=to_money(amount))


def _zh(text) -> str:
    with translation.override("zh-hans"):
        return str(text)


def next_entry_number() -> str:
    year = timezone.localdate().year
    return f"JE-{year}-{next_value(f'JE-{year}'):06d}"


@transaction.atomic
def journal_post(*, kind: str, order, legs: list[Leg], description, actor, reference: str = "",
                 payment=None, refund=None, reverses=None, posted_at=None) -> JournalEntry:
    legs = [leg for leg in legs if leg.debit or leg.credit]
    for leg in legs:
        if leg.debit < 0 or leg.credit < 0 or (leg.debit and leg.credit):
            raise UnbalancedEntry(f"a leg is one-sided and positive: {leg}")
    debits = sum((leg.debit for leg in legs), ZERO)
    credits = sum((leg.credit for leg in legs), ZERO)
    if not legs or debits != credits:
        raise UnbalancedEntry(f"debits {debits} != credits {credits}")
    entry = JournalEntry.objects.create(
        number=next_entry_number(), kind=kind, order=order, reference=reference, description=_zh(description)[:255],
        posted_at=posted_at or timezone.now(), created_by=actor_user(actor), actor_name=actor_name(actor),
        payment=payment, refund=refund, reverses=reverses,
    )
    JournalLine.objects.bulk_create(
        [JournalLine(entry=entry, account=leg.account, debit=leg.debit, credit=leg.credit) for leg in legs]
    )
    return entry
