"""Orders, shipments, deliveries, returns, exchanges and refunds in random order (hypothesis),
across the inventory, finance, logistics and after-sales stages.

After every step:
- refunded ≤ paid per order: the order's summary, and every refund requested or waiting for a bank
  transfer together never exceed the payments;
- restocked ≤ shipped per line: units booked back (restocked or quarantined) equal the line's
  `quantity_returned`, the ledger's return rows for the line agree, and none exceeds what shipped;
- the journal balances and agrees with payments, refunds, revenue and invoices (`ledger_problems`);
- stock equals its ledger (`stock_drift`).
A refused request or step must leave nothing behind.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, multiple, rule

from aftersales.models import ReturnKind, ReturnLine, ReturnRequest, ReturnStatus
from aftersales.services import (
    LineInspection,
    ReturnLineInput,
    return_request_approve,
    return_request_close,
    return_request_confirm_refund,
    return_request_create,
    return_request_exchange,
    return_request_inspect,
    return_request_receive,
    return_request_refund,
)
from aftersales.tests.factories import deliver, invoiced_order, ship_all, stocked, warehouse
from catalog.tests.factories import ProductFactory
from core.enums import Role
from core.errors import DomainError
from core.roles import group_for, sync_roles
from finance.invariants import ledger_problems
from finance.models import JournalLine, Payment, PaymentState, Refund, RefundStatus
from finance.services import refund_execute
from inventory.models import MovementKind, StockMovement
from inventory.selectors import stock_drift
from orders.models import Order, OrderLine, OrderStatus

pytestmark = pytest.mark.django_db

REASONS = ("no_reason", "wrong_size", "quality", "missing_parts")
STEPS_SEEN: dict[str, int] = defaultdict(int)


def _user(name, role):
    user = get_user_model().objects.create_user(username=name, password="x")
    user.groups.add(group_for(role))
    return user


class AftersalesMachine(RuleBasedStateMachine):
    orders = Bundle("orders")
    requests = Bundle("requests")

    def __init__(self):
        super().__init__()
        # Each example runs in a savepoint rolled back by teardown(): examples do not see each other.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()

    @initialize()
    def setup(self):
        sync_roles()
        self.clerk = _user("as", Role.AFTERSALES)
        self.manager = _user("mgr", Role.MANAGER)
        self.wh = _user("wh", Role.WAREHOUSE)
        self.finance = _user("fin", Role.FINANCE)
        warehouse()
        self.products = [stocked(ProductFactory(sku=f"AS-{i}", price=Decimal("80.00")), 200) for i in range(3)]

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def _try(self, name, fn, *args, **kwargs):
        """Run a step; a refusal (domain error) is fine but must leave nothing behind (checked by the
        invariants and by the savepoint the service ran in)."""
        try:
            result = fn(*args, **kwargs)
        except DomainError:
            STEPS_SEEN[f"{name}:refused"] += 1
            return None
        STEPS_SEEN[name] += 1
        return result

    # -- goods and money in ------------------------------------------------------------------------
    @rule(target=orders, picks=st.lists(st.tuples(st.integers(0, 2), st.integers(1, 3)), min_size=1, max_size=3,
                                        unique_by=lambda t: t[0]),
          price=st.sampled_from(["80.00", "33.33", "100.00"]), fee=st.sampled_from(["0", "10.00"]),
          method=st.sampled_from(["alipay", "wechat", "bank_transfer"]),
          then=st.sampled_from(["stay", "ship", "deliver", "deliver", "deliver", "deliver_late"]))
    def order(self, picks, price, fee, method, then):
        STEPS_SEEN["order"] += 1
        order = invoiced_order(lines=[(self.products[p], qty, price) for p, qty in picks], shipping_fee=fee,
                           method=method)
        if then != "stay":
            order = ship_all(order)
            # shipping exercised here counts: the guard below asks that goods left, by either rule
            STEPS_SEEN["ship"] += order.status in (OrderStatus.SHIPPED, OrderStatus.PARTIALLY_SHIPPED)
        if then.startswith("deliver"):
            order = deliver(order, days_ago=12 if then == "deliver_late" else 1)
        return order

    @rule(order=orders)
    def ship(self, order):
        order.refresh_from_db()
        if order.status in (OrderStatus.AWAITING_SHIPMENT, OrderStatus.PARTIALLY_SHIPPED):
            self._try("ship", ship_all, order)

    @rule(order=orders, days=st.integers(0, 20))
    def deliver(self, order, days):
        order.refresh_from_db()
        if order.status == OrderStatus.SHIPPED:
            self._try("deliver", deliver, order, days_ago=days)

    # -- after-sales -------------------------------------------------------------------------------
    @rule(target=requests, order=orders, kind=st.sampled_from(ReturnKind.values), reason=st.sampled_from(REASONS),
          line=st.integers(0, 2), qty=st.sampled_from([0, 1, 1, 1, 2, 3, 4]), swap=st.booleans(),
          go_on=st.integers(0, 4), damaged=st.integers(0, 2), cut=st.sampled_from(["0", "0", "5.00", "half"]))
    def request(self, order, kind, reason, line, qty, swap, go_on, damaged, cut):
        lines = list(order.lines.order_by("pk"))
        chosen = lines[line % len(lines)]
        inputs = [] if qty == 0 else [ReturnLineInput(
            sku=chosen.sku, quantity=qty,
            exchange_sku=self.products[(self.products.index(chosen.product) + 1) % 3].sku if swap and kind ==
            ReturnKind.EXCHANGE else "")]
        before = ReturnRequest.objects.count()
        request = self._try("request", return_request_create, order=order, kind=kind, reason=reason,
                            lines=inputs, actor=self.clerk)
        if request is None:
            assert ReturnRequest.objects.count() == before
            return multiple()  # nothing to add to the bundle
        approved = self._try("approve", return_request_approve, request=request, actor=self.manager,
                             comment="同意")
        request = approved or request
        if go_on:
            self.advance(request, damaged=damaged, wrong=0, shortfall=0, cut=cut, steps=go_on)
        return request

    @rule(request=requests, shortfall=st.integers(0, 1))
    def receive(self, request, shortfall):
        request.refresh_from_db()
        if request.status not in (ReturnStatus.APPROVED, ReturnStatus.AWAITING_RETURN) or not request.takes_goods_back:
            return
        counts = {line.pk: max(line.quantity - shortfall, 0) for line in request.lines.all()}
        self._try("receive", return_request_receive, request=request, counts=counts, warehouse="SH01", actor=self.wh)

    @rule(request=requests, damaged=st.integers(0, 2), wrong=st.integers(0, 1))
    def inspect(self, request, damaged, wrong):
        request.refresh_from_db()
        if request.status != ReturnStatus.RECEIVED:
            return
        results = {}
        for line in request.lines.all():
            d = min(damaged, line.quantity_received)
            w = min(wrong, line.quantity_received - d)
            results[line.pk] = LineInspection(passed=line.quantity_received - d - w, damaged=d, wrong=w,
                                              note="问题" if d or w else "")
        self._try("inspect", return_request_inspect, request=request, results=results, actor=self.wh)

    @rule(request=requests, cut=st.sampled_from(["0", "0.01", "5.00", "half"]))
    def refund(self, request, cut):
        request.refresh_from_db()
        amount = None
        if cut != "0" and request.status in (ReturnStatus.INSPECTED, ReturnStatus.APPROVED):
            from aftersales.rules import refund_quote

            total = refund_quote(request).total
            amount = (total / 2).quantize(Decimal("0.01")) if cut == "half" else total - Decimal(cut)
        self._try("refund", return_request_refund, request=request, actor=self.clerk, comment="退款", amount=amount)

    @rule(request=requests)
    def exchange(self, request):
        request.refresh_from_db()
        if request.status == ReturnStatus.INSPECTED and request.kind == ReturnKind.EXCHANGE:
            self._try("exchange", return_request_exchange, request=request, actor=self.clerk, comment="换货")

    @rule(request=requests)
    def confirm_bank_refund(self, request):
        request.refresh_from_db()
        if request.awaiting_manual_refund:
            self._try("confirm", return_request_confirm_refund, request=request, reference=f"BANK-{request.pk}",
                      actor=self.finance)

    @rule(request=requests, really=st.sampled_from([True, False, False, False]))
    def close(self, request, really=True):
        """Closing early (withdrawn, never sent) is rarer than moving on, as in real life."""
        if not really:
            return
        request.refresh_from_db()
        self._try("close", return_request_close, request=request, actor=self.clerk, comment="关闭")

    @rule(request=requests, damaged=st.integers(0, 2), wrong=st.integers(0, 1), shortfall=st.integers(0, 1),
          cut=st.sampled_from(["0", "0", "5.00", "half"]), steps=st.integers(1, 4))
    def advance(self, request, damaged, wrong, shortfall, cut, steps):
        """Move a request along its own path (receive → inspect → refund or exchange → close), so that
        random runs reach the late states often, interleaved with everything else."""
        for _ in range(steps):
            request.refresh_from_db()
            status = request.status
            if status in (ReturnStatus.APPROVED, ReturnStatus.AWAITING_RETURN) and request.takes_goods_back:
                self.receive(request, shortfall)
            elif status == ReturnStatus.RECEIVED:
                self.inspect(request, damaged, wrong)
            elif status == ReturnStatus.INSPECTED and request.kind == ReturnKind.EXCHANGE:
                self.exchange(request)
            elif status in (ReturnStatus.INSPECTED, ReturnStatus.APPROVED):
                self.refund(request, cut)
            elif request.awaiting_manual_refund:
                self.confirm_bank_refund(request)
            elif status in (ReturnStatus.REFUNDED, ReturnStatus.EXCHANGED):
                self.providers_pay_out()
                self.close(request)
            request.refresh_from_db()
            if request.status == status and not request.awaiting_manual_refund:
                break

    @rule()
    def providers_pay_out(self):
        """What the after-commit job does: the connector pays pending refunds out."""
        for refund_id in Refund.objects.filter(status=RefundStatus.PENDING).values_list("pk", flat=True):
            refund_execute(refund_id=refund_id)
            STEPS_SEEN["payout"] += 1

    # -- invariants --------------------------------------------------------------------------------
    @invariant()
    def refunded_never_exceeds_paid(self):
        paid = dict(Payment.objects.filter(status=PaymentState.SUCCEEDED).values("order_id")
                    .annotate(s=Sum("amount")).values_list("order_id", "s"))
        asked = dict(Refund.objects.filter(~Q(status=RefundStatus.WITHDRAWN)).values("order_id")
                     .annotate(s=Sum("amount")).values_list("order_id", "s"))
        waiting = dict(ReturnRequest.objects.filter(awaiting_manual_refund=True).values("order_id")
                       .annotate(s=Sum("refund_amount")).values_list("order_id", "s"))
        for order in Order.objects.all():
            assert order.refunded_amount <= order.paid_amount, order.number
            total = asked.get(order.pk, 0) + waiting.get(order.pk, 0)
            assert total <= paid.get(order.pk, 0), (order.number, total, paid.get(order.pk))
        by_order = dict(ReturnRequest.objects.values("order_id").annotate(s=Sum("refund_amount"))
                        .values_list("order_id", "s"))
        for order_id, refunded in by_order.items():
            assert refunded <= paid.get(order_id, 0)

    @invariant()
    def restocked_never_exceeds_shipped(self):
        booked = defaultdict(int)
        for row in ReturnLine.objects.values("order_line_id").annotate(r=Sum("quantity_restocked"),
                                                                       q=Sum("quantity_quarantined")):
            booked[row["order_line_id"]] = row["r"] + row["q"]
        ledger = defaultdict(int)
        issued = defaultdict(int)
        for move in StockMovement.objects.filter(order_line__isnull=False).values(
                "order_line_id", "kind", "on_hand_delta", "quarantined_delta"):
            if move["kind"] == MovementKind.RETURN:
                ledger[move["order_line_id"]] += move["on_hand_delta"] + move["quarantined_delta"]
            elif move["kind"] == MovementKind.ISSUE:
                issued[move["order_line_id"]] -= move["on_hand_delta"]
        for line in OrderLine.objects.all():
            assert booked[line.pk] == line.quantity_returned == ledger[line.pk], line.pk
            assert line.quantity_returned <= line.quantity_shipped == issued[line.pk], line.pk

    @invariant()
    def journal_balances(self):
        assert journal_problems() == []

    @invariant()
    def stock_equals_its_ledger(self):
        assert stock_drift() == []


def journal_problems() -> list[str]:
    """finance's `ledger_problems()`, with the per-entry balance recomputed in Decimal.

    On SQLite, SUM over a decimal column is a float sum, so an entry of ¥33.33-sized amounts can
    look unbalanced in SQL (209.980000000000 ≠ 209.980000000000) while it balances to the cent;
    those messages are replaced by an exact check here (reported to the finance stage).
    """
    problems = [p for p in ledger_problems() if " does not balance: " not in p]
    sums: dict[int, list[Decimal]] = defaultdict(lambda: [Decimal("0"), Decimal("0")])
    for entry_id, debit, credit in JournalLine.objects.values_list("entry_id", "debit", "credit"):
        sums[entry_id][0] += debit
        sums[entry_id][1] += credit
    problems += [f"entry {entry_id} does not balance: Dr {dr} Cr {cr}" for entry_id, (dr, cr) in sums.items()
                 if dr != cr]
    return problems


# derandomize: the seed is a digest of AftersalesMachine's source, so any edit of the class draws a
# different run (check the coverage guard below after one); the root conftest keeps the draws
# independent of what other tests imported before (Hypothesis' literal pool).
AftersalesMachine.TestCase.settings = settings(
    max_examples=25, stateful_step_count=35, deadline=None, database=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def test_three_flows_stay_in_step_under_random_after_sales():
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(AftersalesMachine, settings=AftersalesMachine.TestCase.settings)
    # The run must have exercised the flows it claims to check, not only refusals.
    for step in ("order", "ship", "request", "approve", "receive", "inspect", "refund"):
        assert STEPS_SEEN[step] > 0, (step, sorted(STEPS_SEEN.items()))
