"""The funds flow of a refund: reversing entries, credit note, the payment connector, bank transfers."""

from decimal import Decimal

import pytest

from aftersales.models import ReturnKind, ReturnStatus
from aftersales.services import (
    LineInspection,
    return_request_confirm_refund,
    return_request_exchange,
    return_request_refund,
    return_requests_close_settled,
)
from aftersales.tests.factories import (
    ACTOR,
    approve,
    delivered_order,
    inspect_all,
    invoiced_order,
    receive_all,
    request_for,
    ship_all,
    stocked,
)
from catalog.tests.factories import ProductFactory
from core.enums import Role
from core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from finance.invariants import ledger_problems
from finance.models import Account, EntryKind, Invoice, InvoiceKind, InvoiceStatus, JournalEntry, Refund, RefundStatus
from finance.selectors import order_balances, trial_balance

pytestmark = pytest.mark.django_db


def inspected(order, as_clerk, wh_clerk, *, lines=None, reason_code="no_reason", results=None, kind="return"):
    request = approve(request_for(order, lines=lines, reason_code=reason_code, kind=kind), as_clerk)
    return inspect_all(receive_all(request, wh_clerk), wh_clerk, results=results)


@pytest.fixture
def order():
    return delivered_order(lines=[(ProductFactory(sku="A-1"), 2, "100.00"), (ProductFactory(sku="B-1"), 1, "50.00")],
                           shipping_fee="10.00")


def balanced():
    return sum(trial_balance().values(), Decimal("0")) == 0


def test_whole_order_returned_reverses_revenue_credits_the_invoice_and_refunds_through_the_connector(
        order, aftersales_clerk, warehouse_clerk, django_capture_on_commit_callbacks):
    invoice = Invoice.objects.get(order=order, kind=InvoiceKind.INVOICE)
    request = inspected(order, aftersales_clerk, warehouse_clerk, reason_code="quality")
    with django_capture_on_commit_callbacks(execute=True):
        request = return_request_refund(request=request, actor=aftersales_clerk, comment="质量问题全额退款")
    assert request.refund_amount == Decimal("260.00")
    reversal = JournalEntry.objects.get(kind=EntryKind.REVENUE_REVERSAL, reference=request.number)
    assert reversal.order == order
    invoice.refresh_from_db()
    credit_note = Invoice.objects.get(original=invoice)
    assert invoice.status == InvoiceStatus.VOIDED and credit_note.kind == InvoiceKind.CREDIT_NOTE
    assert credit_note.total == -invoice.total == Decimal("-260.00")
    assert request.credit_note_number == credit_note.number
    refunds = list(Refund.objects.filter(pk__in=request.refund_ids))
    assert [r.status for r in refunds] == [RefundStatus.SUCCEEDED] and refunds[0].amount == Decimal("260.00")
    order.refresh_from_db()
    assert order.refunded_amount == order.paid_amount == Decimal("260.00")
    assert order_balances(order_id=order.pk)[Account.ADVANCE] == 0
    assert order_balances(order_id=order.pk)[Account.REVENUE] == 0
    assert balanced()
    # The provider paid out: the request closes by itself.
    assert return_requests_close_settled() == [request.number]
    request.refresh_from_db()
    assert request.status == ReturnStatus.CLOSED


def test_partial_return_reverses_its_units_and_credits_them_on_the_invoice(order, aftersales_clerk,
                                                                            warehouse_clerk):
    original = Invoice.objects.get(order=order, kind=InvoiceKind.INVOICE)
    request = inspected(order, aftersales_clerk, warehouse_clerk, lines=[("A-1", 1)])
    request = return_request_refund(request=request, actor=aftersales_clerk, comment="退一件")
    assert request.refund_amount == Decimal("100.00")
    reversal = JournalEntry.objects.get(kind=EntryKind.REVENUE_REVERSAL, reference=request.number)
    lines = list(reversal.recognised_lines.values_list("order_line__sku", "quantity", "gross"))
    assert lines == [("A-1", -1, Decimal("-100.00"))]
    # 红冲重开: the invoice is voided by a credit note and issued again for what the customer keeps.
    original.refresh_from_db()
    credit_note = Invoice.objects.get(original=original)
    assert original.status == InvoiceStatus.VOIDED and request.credit_note_number == credit_note.number
    reissued = Invoice.objects.get(order=order, kind=InvoiceKind.INVOICE, status=InvoiceStatus.ISSUED)
    assert reissued.total == Decimal("160.00")
    assert list(reissued.lines.values_list("sku", "quantity", "gross")) == [
        ("A-1", 1, Decimal("100.00")), ("B-1", 1, Decimal("50.00")), ("", 1, Decimal("10.00"))]
    assert original.total + credit_note.total + reissued.total == original.total - request.refund_amount
    [refund] = Refund.objects.filter(pk__in=request.refund_ids)
    assert refund.amount == Decimal("100.00") and refund.status == RefundStatus.PENDING  # sent after commit
    assert order_balances(order_id=order.pk)[Account.REFUNDS_PAYABLE] == Decimal("100.00")
    assert balanced() and ledger_problems() == []


def test_an_allowance_lowers_the_amount_on_the_invoice_not_the_quantity(order, aftersales_clerk):
    from aftersales.models import ReturnPolicy

    ReturnPolicy.objects.update(refund_only_approval_threshold=Decimal("1000.00"))
    request = approve(request_for(order, kind=ReturnKind.REFUND_ONLY, reason_code="quality",
                                  lines=[("A-1", 2)]), aftersales_clerk)
    request = return_request_refund(request=request, actor=aftersales_clerk, comment="质量瑕疵补偿", amount="30.00")
    reissued = Invoice.objects.get(order=order, kind=InvoiceKind.INVOICE, status=InvoiceStatus.ISSUED)
    a_line = reissued.lines.get(sku="A-1")
    assert a_line.quantity == 2 and reissued.total == Decimal("230.00")
    assert ledger_problems() == []


def test_a_deduction_is_an_allowance_of_what_is_refunded(order, aftersales_clerk, warehouse_clerk):
    request = inspected(order, aftersales_clerk, warehouse_clerk, lines=[("A-1", 2)])
    request = return_request_refund(request=request, actor=aftersales_clerk, comment="扣除清洗费", amount="180.00")
    entry = JournalEntry.objects.get(kind=EntryKind.REVENUE_REVERSAL, reference=request.number)
    gross = sum(line.gross for line in entry.recognised_lines.all())
    assert gross == Decimal("-180.00")
    assert Refund.objects.get(pk__in=request.refund_ids).amount == Decimal("180.00")
    assert balanced()


def test_refund_without_return_is_an_allowance(order, aftersales_clerk):
    request = approve(request_for(order, kind=ReturnKind.REFUND_ONLY, reason_code="missing_parts",
                                  lines=[("B-1", 1)]), aftersales_clerk)
    request = return_request_refund(request=request, actor=aftersales_clerk, comment="少件仅退款")
    assert request.refund_amount == Decimal("60.00")  # 50 + shipping fee (seller's fault)
    entry = JournalEntry.objects.get(kind=EntryKind.REVENUE_REVERSAL, reference=request.number)
    assert sum(line.gross for line in entry.recognised_lines.all()) == Decimal("-60.00")
    assert balanced()


def test_bank_transfer_refunds_wait_for_finance_to_confirm(make_user, aftersales_clerk, warehouse_clerk):
    finance_clerk = make_user("caiwu", Role.FINANCE)
    order = delivered_order(lines=[(ProductFactory(sku="C-1"), 1, "300.00")], shipping_fee="0",
                            method="bank_transfer")
    request = inspected(order, aftersales_clerk, warehouse_clerk)
    request = return_request_refund(request=request, actor=aftersales_clerk, comment="对公转账退回")
    assert request.status == ReturnStatus.REFUNDED and request.awaiting_manual_refund is True
    assert request.refund_ids == [] and not Refund.objects.filter(order=order).exists()
    assert return_requests_close_settled() == []  # not paid out yet
    with pytest.raises(PermissionDenied):
        return_request_confirm_refund(request=request, reference="BANK-001", actor=aftersales_clerk)
    with pytest.raises(ValidationFailed):
        return_request_confirm_refund(request=request, reference=" ", actor=finance_clerk)
    request = return_request_confirm_refund(request=request, reference="BANK-001", actor=finance_clerk)
    assert request.status == ReturnStatus.CLOSED and request.refund_reference == "BANK-001"
    assert not request.awaiting_manual_refund
    [refund] = Refund.objects.filter(pk__in=request.refund_ids)
    assert refund.status == RefundStatus.SUCCEEDED and refund.provider_refund_id == "BANK-001"
    order.refresh_from_db()
    assert order.refunded_amount == Decimal("300.00")
    assert balanced()
    with pytest.raises(InvalidTransition):
        return_request_confirm_refund(request=request, reference="BANK-002", actor=finance_clerk)


def test_a_second_request_cannot_refund_money_already_on_its_way(make_user, aftersales_clerk, warehouse_clerk):
    order = delivered_order(lines=[(ProductFactory(sku="D-1"), 2, "100.00")], shipping_fee="0",
                            method="bank_transfer")
    first = inspected(order, aftersales_clerk, warehouse_clerk, lines=[("D-1", 1)])
    first = return_request_refund(request=first, actor=aftersales_clerk, comment="退一件")
    second = inspected(order, aftersales_clerk, warehouse_clerk, lines=[("D-1", 1)])
    from aftersales.rules import refund_quote

    assert refund_quote(second).refundable_funds == Decimal("100.00")
    second = return_request_refund(request=second, actor=aftersales_clerk, comment="再退一件")
    assert second.refund_amount == Decimal("100.00")
    # Each refund has its credit note; together they credit exactly what was refunded.
    assert first.credit_note_number and second.credit_note_number != first.credit_note_number
    totals = Invoice.objects.filter(order=order).values_list("total", flat=True)
    assert sum(totals) == 0  # 200 invoiced − 200 credited + 100 reissued − 100 credited
    assert not Invoice.objects.filter(order=order, kind=InvoiceKind.INVOICE, status=InvoiceStatus.ISSUED).exists()


def test_refund_before_shipment_is_the_finance_stage_cancellation_refund(aftersales_clerk,
                                                                           django_capture_on_commit_callbacks):
    order = invoiced_order(lines=[(ProductFactory(sku="E-1"), 1, "100.00")], shipping_fee="10.00")
    invoice = Invoice.objects.get(order=order)
    request = request_for(order, kind=ReturnKind.REFUND_ONLY, reason_code="changed_mind", lines=[])
    with django_capture_on_commit_callbacks(execute=True):
        request = approve(request, aftersales_clerk, comment="未发货，取消订单退款")
    assert request.status == ReturnStatus.REFUNDED and request.refund_amount == Decimal("110.00")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.VOIDED
    order.refresh_from_db()
    assert order.refunded_amount == Decimal("110.00")
    assert return_requests_close_settled() == [request.number]
    assert balanced()


def test_connector_failure_keeps_the_request_open(order, aftersales_clerk, warehouse_clerk, settings,
                                                  django_capture_on_commit_callbacks):
    from finance.connectors import ConnectorError
    from finance.connectors.testing import ScriptedConnector

    settings.OMS_PAYMENT_CONNECTORS = {"console": "finance.connectors.testing.ScriptedConnector"}
    ScriptedConnector.reset()
    ScriptedConnector.failures = [ConnectorError("支付宝暂时不可用")]
    request = inspected(order, aftersales_clerk, warehouse_clerk, lines=[("B-1", 1)])
    with django_capture_on_commit_callbacks(execute=True):
        request = return_request_refund(request=request, actor=aftersales_clerk, comment="退")
    assert Refund.objects.get(pk__in=request.refund_ids).status == RefundStatus.FAILED
    assert ScriptedConnector.calls[0][0] == "refund"
    assert return_requests_close_settled() == []
    ScriptedConnector.reset()


def test_exchange_closes_once_the_replacement_shipped(aftersales_clerk, warehouse_clerk):
    tee_l = stocked(ProductFactory(sku="TEE-L", price=Decimal("79.00")))
    order = delivered_order(lines=[(ProductFactory(sku="TEE-M", price=Decimal("79.00")), 1, "79.00")])
    request = approve(request_for(order, kind=ReturnKind.EXCHANGE, reason_code="wrong_size",
                                  lines=[("TEE-M", 1, tee_l.sku)]), aftersales_clerk)
    request = inspect_all(receive_all(request, warehouse_clerk), warehouse_clerk,
                          results={request.lines.get().pk: LineInspection(passed=1)})
    request = return_request_exchange(request=request, actor=aftersales_clerk, comment="换L码")
    assert return_requests_close_settled() == []
    ship_all(request.replacement_order)
    assert return_requests_close_settled(actor=ACTOR) == [request.number]
    # No charge: the replacement has no invoice and no money moved.
    assert not Invoice.objects.filter(order=request.replacement_order).exists()
    assert balanced()
