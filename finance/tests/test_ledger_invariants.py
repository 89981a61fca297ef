"""The journal cannot be edited, and the invariant checker really catches drift."""

from decimal import Decimal

import pytest

from core.actors import SYSTEM
from finance.invariants import ledger_problems
from finance.models import Account, ImmutableRecord, JournalEntry, JournalLine
from finance.selectors import trial_balance
from finance.services.ledger import Cr, Dr, UnbalancedEntry, journal_post
from finance.tests.factories import assert_ledger_ok, paid_order
from orders.models import Order

pytestmark = pytest.mark.django_db


def test_entries_and_lines_have_no_update_or_delete_path():
    order = paid_order()
    entry = JournalEntry.objects.get(order=order)
    line = entry.lines.first()
    entry.description = "changed"
    with pytest.raises(ImmutableRecord):
        entry.save()
    with pytest.raises(ImmutableRecord):
        line.delete()
    with pytest.raises(ImmutableRecord):
        JournalLine.objects.filter(pk=line.pk).update(debit=Decimal("1.00"))
    with pytest.raises(ImmutableRecord):
        JournalEntry.objects.all().delete()
    assert_ledger_ok()


def test_unbalanced_postings_are_refused():
    order = paid_order()
    with pytest.raises(UnbalancedEntry):
        journal_post(kind="payment", order=order, legs=[Dr(Account.BANK, 10), Cr(Account.ADVANCE, 9)],
                     description="x", actor=SYSTEM)
    assert_ledger_ok()


def test_trial_balance_sums_to_zero():
    paid_order()
    paid_order()
    assert sum(trial_balance().values()) == 0


def test_checker_reports_an_order_summary_that_drifted_from_the_journal():
    order = paid_order()
    Order.objects.filter(pk=order.pk).update(paid_amount=Decimal("400.00"))
    problems = ledger_problems()
    assert any(order.number in problem and "bank" in problem for problem in problems)


def test_checker_reports_an_unbalanced_entry_written_behind_the_services_back():
    order = paid_order()
    entry = JournalEntry.objects.get(order=order)
    JournalLine(entry=entry, account=Account.BANK, debit=Decimal("1.00")).save()
    assert any("does not balance" in problem for problem in ledger_problems())
