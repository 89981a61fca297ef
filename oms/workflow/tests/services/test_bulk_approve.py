import pytest

from core.enums import Role
from oms.workflow.services import bulk_approve
from oms.workflow.tests.factories import held_for_address, held_for_large_amount
from orders.models import OrderStatus

# Review reserves stock (inventory's `reserve_stock` step); these tests are about something else, so
# every product made by ProductFactory comes with stock.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stock_everything")]


def test_each_order_is_decided_on_its_own(reviewer):
    ok_1, ok_2 = held_for_address(), held_for_address()
    big = held_for_large_amount()
    result = bulk_approve(orders=[big, ok_2, ok_1], actor=reviewer, comment="批量通过")
    assert sorted(result.succeeded) == sorted([ok_1.number, ok_2.number])
    assert list(result.failed) == [big.number]
    assert str(Role.FINANCE_DIRECTOR.label) in result.failed[big.number]
    for order, status in ((ok_1, OrderStatus.AWAITING_PAYMENT), (ok_2, OrderStatus.AWAITING_PAYMENT),
                          (big, OrderStatus.ON_HOLD)):
        order.refresh_from_db()
        assert order.status == status


def test_an_order_already_moved_is_reported_not_raised(reviewer):
    order = held_for_address()
    bulk_approve(orders=[order], actor=reviewer, comment="first")
    result = bulk_approve(orders=[order], actor=reviewer, comment="again")
    assert result.succeeded == [] and order.number in result.failed


def test_still_on_hold_names_the_reason_not_its_code(reviewer):
    from oms.workflow import registry
    from orders.services import HoldReason

    registry.review_step("test_short", position=1)(lambda order, actor: [HoldReason("stock_shortage", "缺货")])
    try:
        order = held_for_address()
        result = bulk_approve(orders=[order], actor=reviewer, comment="ok")
    finally:
        registry._STEPS.pop("test_short")
    assert "stock_shortage" not in result.failed[order.number]


def test_comment_required_for_every_order(reviewer):
    order = held_for_address()
    result = bulk_approve(orders=[order], actor=reviewer, comment="")
    assert order.number in result.failed
