"""Imported money is in the books: the legacy import books opening balances (finance.services.opening).

After any import `ledger_problems()` is empty; an imported open order that ships draws on the
advance the customer paid (no receivable); a legacy order is refunded through the normal
after-sales and cancellation paths against its opening payment.
"""

from decimal import Decimal

import pytest
from django.utils import translation

from aftersales.models import ReturnKind, ReturnStatus
from aftersales.services import ReturnLineInput, return_request_approve, return_request_create, return_request_refund
from core.actors import SystemActor
from core.enums import Role
from finance.invariants import ledger_problems
from finance.models import (
    Account,
    EntryKind,
    JournalEntry,
    Payment,
    PaymentSource,
    RecognisedLine,
    Refund,
    RefundStatus,
)
from finance.selectors import order_balances
from finance.services import refund_request, revenue_recognise
from oms.imports.services import legacy_orders_import
from oms.imports.tests.factories import products, row, table, write_csv
from orders.models import Order, OrderStatus

pytestmark = pytest.mark.django_db
ACTOR = SystemActor("test-import")


@pytest.fixture(autouse=True)
def catalog(stock_everything):
    with translation.override("en"):
        yield products("SKU-001", "SKU-002", "SKU-003")


def run(tmp_path, rows):
    path = write_csv(tmp_path / "orders.csv", table(rows))
    report = legacy_orders_import(path=path, dry_run=False, actor=ACTOR)
    assert report.errors == [] and report.imported == len({r["order_number"] for r in rows})
    return {order.external_id: order for order in Order.objects.all()}


def legs(order) -> dict:
    entry = JournalEntry.objects.get(order=order, kind=EntryKind.OPENING)
    return {line.account: (line.debit, line.credit) for line in entry.lines.all()}


# Totals: 2 × ¥100.00 + ¥10.00 shipping = ¥210.00 per one-line order.
MIXED = [
    row(order_number="OPEN-PAID", status="待发货", payment_method="支付宝", paid_amount="210"),
    row(order_number="OPEN-PART", status="待付款", payment_method="微信支付", paid_amount="50"),
    row(order_number="OPEN-NONE", status="待审核"),
    row(order_number="DONE-PAID", status="已完成", payment_method="支付宝", paid_amount="210", tracking_number="T1"),
    row(order_number="DONE-PAID", sku="SKU-002", quantity="1", unit_price="30", discount="5", status="已完成",
        payment_method="支付宝", paid_amount="210", tracking_number="T1"),
    row(order_number="SHIP-COD", status="已发货", payment_method="货到付款", tracking_number="T2"),
    row(order_number="CANCEL-PAID", status="已取消", payment_method="支付宝", paid_amount="100"),
    row(order_number="CANCEL-NONE", status="已取消"),
]


def test_every_import_leaves_the_ledger_clean_with_opening_balances_as_an_accountant_expects(tmp_path):
    orders = run(tmp_path, MIXED)
    assert ledger_problems() == []

    # Open orders: the money received is an advance (goods still owed), with its opening payment.
    assert legs(orders["OPEN-PAID"]) == {Account.BANK: (Decimal("210.00"), 0), Account.ADVANCE: (0, Decimal("210.00"))}
    assert legs(orders["OPEN-PART"]) == {Account.BANK: (Decimal("50.00"), 0), Account.ADVANCE: (0, Decimal("50.00"))}
    payment = Payment.objects.get(order=orders["OPEN-PAID"])
    assert (payment.source, payment.method, payment.amount, payment.reference) == (
        PaymentSource.OPENING, "alipay", Decimal("210.00"), "legacy:OPEN-PAID")
    # Nothing paid, nothing recognised: nothing to book.
    assert not JournalEntry.objects.filter(order__in=[orders["OPEN-NONE"], orders["CANCEL-NONE"]]).exists()

    # Completed in the legacy system: revenue recognised there, the order closed (no advance left).
    done = orders["DONE-PAID"]
    assert done.total == Decimal("235.00") and done.paid_amount == Decimal("210.00")
    booked = legs(done)
    assert booked[Account.BANK] == (Decimal("210.00"), 0) and booked[Account.RECEIVABLE] == (Decimal("25.00"), 0)
    assert booked[Account.REVENUE][1] + booked[Account.OUTPUT_VAT][1] == Decimal("235.00")
    assert Account.ADVANCE not in booked
    recognised = RecognisedLine.objects.filter(order=done)
    assert sorted((r.component, r.quantity, r.gross) for r in recognised) == [
        ("line", 1, Decimal("25.00")), ("line", 2, Decimal("200.00")), ("shipping", 1, Decimal("10.00"))]
    assert all(line.quantity_shipped == line.quantity for line in done.lines.all())

    # Shipped cash on delivery, nothing collected yet: the customer owes the whole total.
    assert legs(orders["SHIP-COD"]) == {Account.RECEIVABLE: (Decimal("210.00"), 0),
                                        Account.REVENUE: (0, Decimal("185.84")),
                                        Account.OUTPUT_VAT: (0, Decimal("24.16"))}
    assert not Payment.objects.filter(order=orders["SHIP-COD"]).exists()

    # Cancelled but paid: the money is owed back to the customer until it is refunded.
    assert legs(orders["CANCEL-PAID"]) == {Account.BANK: (Decimal("100.00"), 0),
                                           Account.ADVANCE: (0, Decimal("100.00"))}
    entry = JournalEntry.objects.get(order=orders["OPEN-PAID"])
    assert entry.reference == "opening" and entry.posted_at == orders["OPEN-PAID"].ordered_at
    assert "OPEN-PAID" in entry.description and entry.number.startswith("JE-")


def test_a_second_import_of_the_same_file_books_nothing_twice(tmp_path):
    run(tmp_path, MIXED)
    entries = JournalEntry.objects.count()
    report = legacy_orders_import(path=write_csv(tmp_path / "again.csv", table(MIXED)), dry_run=False, actor=ACTOR)
    assert report.imported == 0 and report.duplicates == 7
    assert JournalEntry.objects.count() == entries and ledger_problems() == []


def test_shipping_an_imported_paid_order_draws_on_the_advance_not_a_receivable(tmp_path):
    order = run(tmp_path, [row(order_number="OPEN-PAID", status="待发货", payment_method="支付宝",
                               paid_amount="210")])["OPEN-PAID"]
    entry = revenue_recognise(order=order, reference="SH-1", actor=ACTOR)
    amounts = {line.account: (line.debit, line.credit) for line in entry.lines.all()}
    assert amounts[Account.ADVANCE] == (Decimal("210.00"), 0) and Account.RECEIVABLE not in amounts
    balances = order_balances(order_id=order.pk)
    assert balances[Account.RECEIVABLE] == 0 and balances[Account.ADVANCE] == 0
    assert ledger_problems() == []


def test_a_cancelled_legacy_order_paid_in_advance_is_refunded_from_its_opening_payment(
        tmp_path, django_capture_on_commit_callbacks):
    order = run(tmp_path, [row(order_number="CANCEL-PAID", status="已取消", payment_method="支付宝",
                               paid_amount="100")])["CANCEL-PAID"]
    with django_capture_on_commit_callbacks(execute=True):
        [refund] = refund_request(order=order, reason="旧系统取消未退款", actor=ACTOR)
    refund.refresh_from_db()
    order.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED and refund.payment.source == PaymentSource.OPENING
    assert order.refunded_amount == Decimal("100.00") and ledger_problems() == []


def test_a_legacy_completed_order_is_refunded_through_after_sales(tmp_path, make_user,
                                                                  django_capture_on_commit_callbacks):
    clerk = make_user("aftersales", Role.AFTERSALES)
    order = run(tmp_path, [row(order_number="DONE-PAID", status="已完成", payment_method="支付宝", paid_amount="210",
                               tracking_number="T1")])["DONE-PAID"]
    request = return_request_create(order=order, kind=ReturnKind.REFUND_ONLY, reason="quality",
                                    lines=[ReturnLineInput(sku="SKU-001", quantity=1)], actor=clerk,
                                    description="旧系统订单，商品有瑕疵")
    if request.status == ReturnStatus.REQUESTED:  # above the threshold for refunds without return
        request = return_request_approve(request=request, actor=make_user("mgr", Role.MANAGER), comment="同意")
    with django_capture_on_commit_callbacks(execute=True):
        request = return_request_refund(request=request, actor=clerk, comment="部分退款", amount="50.00")
    assert request.status == ReturnStatus.REFUNDED
    [refund] = Refund.objects.filter(order=order)
    assert refund.status == RefundStatus.SUCCEEDED and refund.amount == Decimal("50.00")
    assert refund.payment.source == PaymentSource.OPENING
    order.refresh_from_db()
    assert order.refunded_amount == Decimal("50.00")
    assert OrderStatus.COMPLETED == order.status and ledger_problems() == []


def test_the_benchmark_file_at_a_small_size_leaves_the_ledger_and_the_stock_clean(tmp_path):
    """The benchmark's generator (every status, rows of an order apart, most open orders reserving)."""
    import importlib.util
    from pathlib import Path

    from django.core.management import call_command

    from catalog.tests.factories import ProductFactory
    from inventory.tests.factories import stock_up

    spec = importlib.util.spec_from_file_location(
        "bench_import_orders", Path(__file__).resolve().parent.parent / "bench" / "import_orders.py")
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    for n, sku in enumerate(generator.SKUS):  # stock for a fifth: the other open orders go on hold
        product = ProductFactory(sku=sku, price="99.00")
        if n % 5 == 0:
            stock_up(product, 4)
    path = tmp_path / "legacy.csv"
    generator.write_csv(path, 900, "SMALL")
    report = legacy_orders_import(path=path, dry_run=False, actor=ACTOR)
    assert report.imported == report.orders > 250 and Order.objects.filter(status=OrderStatus.COMPLETED).exists()
    assert JournalEntry.objects.filter(kind=EntryKind.OPENING).count() > 50
    assert ledger_problems() == []
    call_command("check_stock")  # raises CommandError on any drift
