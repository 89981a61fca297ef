"""Conditions: every operator class on the typed context; mistakes refused with their position."""

from decimal import Decimal

import pytest

from catalog.tests.factories import ProductFactory
from core.errors import ValidationFailed
from oms.workflow.automation.conditions import ConditionError, compile_condition, order_context
from oms.workflow.automation.fast import fast_matcher, to_python
from oms.workflow.automation.models import AutomationRule
from oms.workflow.automation.services import rule_validate
from orders.tests.factories import create_order

pytestmark = pytest.mark.django_db

CONTEXT = {"amount": Decimal("2500.00"), "paid_amount": Decimal("0"), "channel": "douyin",
           "province": "新疆维吾尔自治区", "city": "乌鲁木齐市", "line_count": Decimal(2), "quantity": Decimal(3),
           "payment_method": "cod", "is_cod": True, "status": "pending_review", "source": "api",
           "customer_tags": ("vip",), "needs_qc": False, "skus": ("SKU-1", "SKU-2"), "weight": Decimal("1.5")}


@pytest.mark.parametrize(("expression", "expected"), [
    # comparison
    ("amount > 2000", True), ("amount >= 2500", True), ("amount < 2500", False), ("weight <= 1.5", True),
    # equality
    ('channel == "douyin"', True), ('channel != "douyin"', False),
    # boolean logic
    ('amount > 2000 and channel == "douyin"', True), ('amount > 9000 or is_cod', True), ("not is_cod", False),
    # regular expressions
    ('province =~ "^新疆"', True), ('province !~ "^新疆"', False),
    # membership
    ('"vip" in customer_tags', True), ('"SKU-3" in skus', False), ('channel in ["douyin", "tmall"]', True),
    # arithmetic and a ternary
    ("amount - paid_amount > 2000", True), ("(line_count > 1 ? quantity : 0) == 3", True),
])
def test_operators(expression, expected):
    rule = compile_condition(expression)
    assert rule.matches(CONTEXT) is expected
    # The closures the engine evaluates give rule-engine's answer, without falling back to it.
    assert to_python(rule.statement.expression)(CONTEXT) == expected
    assert fast_matcher(rule)(CONTEXT) is expected


@pytest.mark.parametrize("expression", [
    'channel == "tmall"', 'channel != "tmall"', "amount == 2500", "amount == 2500.0", "is_cod == true",
    'province =~ "新疆"', 'province =~~ "疆"', 'province !~~ "疆"', '"疆" in province', "not needs_qc and is_cod",
    "-amount < 0", "amount * 2 > 4000", "amount / 2 == 1250", "weight % 1 == 0.5", "amount // 1000 == 2",
    '"vip" in customer_tags and "SKU-1" in skus', "line_count >= 2 and quantity <= 3",
])
def test_closures_agree_with_rule_engine(expression):
    rule = compile_condition(expression)
    for context in (CONTEXT, {**CONTEXT, "channel": "tmall", "province": "浙江省", "amount": Decimal("10"),
                              "is_cod": False, "customer_tags": (), "needs_qc": True}):
        assert fast_matcher(rule)(context) is rule.matches(context), context


def test_empty_condition_matches_every_order():
    assert compile_condition("  ") is None


@pytest.mark.parametrize(("expression", "position"), [
    ("amount > ", 8),           # ends too soon: the position is the end (of the stripped text)
    ("amount > > 3", 9),        # the stray token
    ('channel == "douyin" and and', 24),
])
def test_syntax_error_has_position(expression, position):
    with pytest.raises(ConditionError) as exc:
        compile_condition(expression)
    assert exc.value.position == position
    assert str(position + 1) in _zh(exc.value)


def test_unknown_field_is_named_with_position_and_suggestion():
    with pytest.raises(ConditionError) as exc:
        compile_condition('channel == "douyin" and amout > 3')
    assert exc.value.position == 24
    assert "amout" in exc.value.message and "amount" in exc.value.message


def test_type_mismatch_is_refused():
    with pytest.raises(ConditionError):
        compile_condition('amount > "lots"')


def test_service_refuses_bad_condition_and_actions():
    rule = AutomationRule(name="x", trigger="created", condition="amount >", actions=[{"type": "explode"}])
    with pytest.raises(ValidationFailed) as exc:
        rule_validate(rule)
    assert set(exc.value.errors) == {"condition", "actions"}


@pytest.mark.usefixtures("stock_everything")
def test_context_from_an_order():
    product = ProductFactory(needs_qc=True, weight_kg=Decimal("0.500"))
    order = create_order(channel_code="douyin", province="新疆", lines=[(product, 3, "1000.00")],
                         payment_method="cod")
    context = order_context(order)
    assert context["channel"] == "douyin"
    assert context["province"] == "新疆维吾尔自治区"
    assert context["line_count"] == 1 and context["quantity"] == 3
    assert context["needs_qc"] is True and context["is_cod"] is True
    assert context["weight"] == Decimal("1.500")
    assert context["amount"] == order.total
    assert context["customer_tags"] == ()


@pytest.mark.usefixtures("stock_everything")
@pytest.mark.parametrize("lines", [1, 6])
def test_context_costs_two_queries_whatever_the_number_of_lines(lines, django_assert_num_queries):
    """The lines with their products, and the channel's code: automation builds it on every shipment
    plan (a follow-up job per order), so it must not read each line's product on its own."""
    from orders.models import Order

    order = create_order(lines=[(ProductFactory(needs_qc=i == lines - 1), 1, "10.00") for i in range(lines)])
    order = Order.objects.get(pk=order.pk)  # as a job loads it: nothing related cached
    with django_assert_num_queries(2):
        context = order_context(order)
    assert context["line_count"] == lines and context["needs_qc"] is True


def _zh(exc):
    from django.utils import translation

    with translation.override("zh-hans"):
        return str(exc)
