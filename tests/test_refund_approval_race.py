"""Two approvers click at once on the same refund request: one refund, the other gets a clear refusal
(PostgreSQL row locks: the order, then the request)."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from core.enums import Role
from core.errors import InvalidTransition
from finance.models import Refund, RefundApproval
from finance.services import refund_approval_approve, refund_approval_reject, refund_request_manual
from finance.tests.factories import assert_ledger_ok
from logistics.tests.factories import product, released_order
from tests.concurrency import run_concurrently

# serialized_rollback: the seeded channels (a data migration) survive the flush between tests.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def waiting(settings, make_user):
    settings.OMS_REFUND_APPROVAL_LIMIT = "1000.00"
    order = released_order([(product("SKU-RACE", stock=10), 2, Decimal("999.00"))])
    clerk = make_user("clerk", Role.FINANCE)
    approval = refund_request_manual(order=order, amount="1500.00", reason="质量补偿", actor=clerk).approval
    return approval, [make_user(f"director{n}", Role.FINANCE_DIRECTOR) for n in range(4)]


def _clean(capsys):
    call_command("check_stock")
    assert "no drift" in capsys.readouterr().out
    assert_ledger_ok()


def test_four_approvers_at_once_give_one_refund(waiting, capsys):
    approval, directors = waiting
    results, errors = run_concurrently(
        [lambda d=d: refund_approval_approve(approval=approval, actor=d, comment="同意") for d in directors])
    assert len(results) == 1 and len(errors) == 3, errors
    assert all(isinstance(e, InvalidTransition) for e in errors), errors
    assert sum(r.amount for r in Refund.objects.filter(order_id=approval.order_id)) == Decimal("1500.00")
    assert RefundApproval.objects.get(pk=approval.pk).status == "approved"
    _clean(capsys)


def test_approve_and_reject_at_once_do_one_of_them(waiting, capsys):
    approval, directors = waiting
    results, errors = run_concurrently([
        lambda: refund_approval_approve(approval=approval, actor=directors[0]),
        lambda: refund_approval_reject(approval=approval, actor=directors[1], reason="不同意"),
    ])
    assert len(results) == 1 and len(errors) == 1 and isinstance(errors[0], InvalidTransition), errors
    status = RefundApproval.objects.get(pk=approval.pk).status
    refunds = Refund.objects.filter(order_id=approval.order_id).count()
    assert (status, bool(refunds)) in {("approved", True), ("rejected", False)}
    _clean(capsys)
