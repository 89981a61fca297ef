"""Gapless invoice numbers while many workers issue at once (PostgreSQL row locks)."""


import pytest
from django.db import transaction
from django.utils import timezone

from core.actors import SYSTEM
from finance.invariants import numbering_problems
from finance.models import Invoice, Payment
from finance.services import invoice_issue
from finance.tests.factories import make_order, paid_order, pay
from tests.concurrency import run_concurrently

# serialized_rollback: the seeded channels (a data migration) survive the flush between tests.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


class Abort(Exception):
    pass


def test_concurrent_issues_get_consecutive_numbers_and_rollbacks_leave_no_gap():
    orders = [paid_order() for _ in range(12)]

    def issue(order):
        return lambda: invoice_issue(order=order, actor=SYSTEM)

    def issue_then_roll_back(order):
        def fn():
            with transaction.atomic():
                invoice_issue(order=order, actor=SYSTEM)
                raise Abort

        return fn

    functions = [issue(order) for order in orders[:8]] + [issue_then_roll_back(order) for order in orders[8:]]
    _, errors = run_concurrently(functions)
    assert len(errors) == 4 and all(isinstance(e, Abort) for e in errors)
    year = timezone.localdate().year
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"INV-{year}-{n:06d}" for n in range(1, 9)]
    assert numbering_problems() == []


def test_the_same_payment_reported_twice_at_once_is_counted_once():
    order = make_order()
    _, errors = run_concurrently([lambda: pay(order, transaction_id="RACE-1") for _ in range(4)])
    assert errors == []
    assert Payment.objects.filter(order=order).count() == 1
