"""Built-in automatic review checks. Each reads the order and returns hold reasons; none writes.

Reason messages are lazy (`timeline_message`): the held event renders them in the timeline's language.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.fieldcrypto import blind_index_lookups
from core.phones import normalise_phone
from core.regions import canonical_province
from oms.workflow.registry import review_check
from orders.events import TimelineJoin, timeline_message
from orders.models import Order, OrderStatus, PaymentMethod
from orders.services import HoldReason


class HoldCode:
    CUSTOMER_INCOMPLETE = "customer_incomplete"
    INVALID_PHONE = "invalid_phone"
    INVALID_ADDRESS = "invalid_address"
    LARGE_AMOUNT = "large_amount"
    DUPLICATE_SUSPECTED = "duplicate_suspected"
    PAYMENT_MISMATCH = "payment_mismatch"
    STOCK_SHORTAGE = "stock_shortage"
    PROMOTION_INVALID = "promotion_invalid"


HOLD_REASON_LABELS = {
    HoldCode.CUSTOMER_INCOMPLETE: _("Incomplete customer information"),
    HoldCode.INVALID_PHONE: _("Invalid phone number"),
    HoldCode.INVALID_ADDRESS: _("Address anomaly"),
    HoldCode.LARGE_AMOUNT: _("Large amount"),
    HoldCode.DUPLICATE_SUSPECTED: _("Suspected duplicate order"),
    HoldCode.PAYMENT_MISMATCH: _("Payment amount mismatch"),
    HoldCode.STOCK_SHORTAGE: _("Stock shortage"),
    HoldCode.PROMOTION_INVALID: _("Promotion invalid"),
}


@review_check(HoldCode.CUSTOMER_INCOMPLETE, name=_("Customer information complete"),
              default_params={"require_email": False}, position=10)
def check_customer_complete(order: Order, params: dict) -> list[HoldReason]:
    customer = order.customer
    missing = [label for label, value in ((pgettext_lazy("missing field", "name"), customer.name),
                                           (pgettext_lazy("missing field", "phone"), customer.phone),
                                           (pgettext_lazy("missing field", "recipient"), order.recipient))
               if not (value or "").strip()]
    if params.get("require_email") and not customer.email:
        missing.append(pgettext_lazy("missing field", "e-mail"))
    if missing:
        return [HoldReason(HoldCode.CUSTOMER_INCOMPLETE,
                           timeline_message(_("Customer information incomplete: %(fields)s"),
                                            {"fields": TimelineJoin("、", missing)}))]
    return []


@review_check(HoldCode.INVALID_PHONE, name=_("Phone numbers valid"), position=20)
def check_phone_valid(order: Order, params: dict) -> list[HoldReason]:
    bad = [p for p in {order.phone, order.customer.phone} if normalise_phone(p) is None]
    if bad:
        return [HoldReason(HoldCode.INVALID_PHONE,
                           timeline_message(_("Invalid phone number: %(phones)s"), {"phones": ", ".join(bad)}))]
    return []


@review_check(HoldCode.INVALID_ADDRESS, name=_("Shipping address valid"),
              default_params={"min_detail_length": 4, "blocked_keywords": ["测试", "test"]}, position=30)
def check_address_valid(order: Order, params: dict) -> list[HoldReason]:
    problems = []
    if canonical_province(order.province) is None:
        problems.append(timeline_message(_("unknown province “%(province)s”"), {"province": order.province}))
    if not order.city.strip():
        problems.append(_("city missing"))
    if len(order.address_detail.strip()) < int(params.get("min_detail_length", 4)):
        problems.append(_("street address too short"))
    lowered = order.address_detail.lower()
    for word in params.get("blocked_keywords", []):
        if word and word.lower() in lowered:
            problems.append(timeline_message(_("address contains “%(word)s”"), {"word": word}))
    if problems:
        return [HoldReason(HoldCode.INVALID_ADDRESS,
                           timeline_message(_("Address anomaly: %(problems)s"),
                                            {"problems": TimelineJoin("；", problems)}))]
    return []


@review_check(HoldCode.LARGE_AMOUNT, name=_("Large amount"), default_params={"threshold": "50000.00"}, position=40)
def check_large_amount(order: Order, params: dict) -> list[HoldReason]:
    threshold = Decimal(str(params.get("threshold", "50000.00")))
    if order.total > threshold:
        return [HoldReason(HoldCode.LARGE_AMOUNT,
                           timeline_message(_("Order total ¥%(total)s is over ¥%(threshold)s."),
                                            {"total": f"{order.total:,.2f}", "threshold": f"{threshold:,.2f}"}),
                           {"total": f"{order.total:.2f}", "threshold": f"{threshold:.2f}"})]
    return []


@review_check(HoldCode.DUPLICATE_SUSPECTED, name=_("Duplicate order suspicion"), default_params={"window_hours": 24},
              position=50)
def check_duplicate_suspected(order: Order, params: dict) -> list[HoldReason]:
    window = timedelta(hours=float(params.get("window_hours", 24)))
    # Phone and address are encrypted: candidates by the phone's blind index and the amount, then
    # the (few) candidates' addresses compared once decrypted.
    candidates = (
        Order.objects.filter(phone_index__in=blind_index_lookups("phone", order.phone), total=order.total,
                             ordered_at__gte=order.ordered_at - window, ordered_at__lte=order.ordered_at + window)
        .exclude(pk=order.pk)
        .exclude(status=OrderStatus.CANCELLED)
        .order_by("pk")
        .values_list("number", "address_detail")[:50]
    )
    twins = [number for number, address in candidates if address == order.address_detail][:5]
    if twins:
        return [HoldReason(HoldCode.DUPLICATE_SUSPECTED,
                           timeline_message(_("Same phone, address and amount as %(numbers)s."),
                                            {"numbers": ", ".join(twins)}),
                           {"similar_orders": twins})]
    return []


@review_check(HoldCode.PAYMENT_MISMATCH, name=_("Payment matches total"), position=60)
def check_payment_match(order: Order, params: dict) -> list[HoldReason]:
    if order.payment_method == PaymentMethod.COD or order.paid_amount == 0:
        return []
    if order.paid_amount != order.total:
        return [HoldReason(HoldCode.PAYMENT_MISMATCH,
                           timeline_message(_("Paid ¥%(paid)s but the order total is ¥%(total)s."),
                                            {"paid": f"{order.paid_amount:,.2f}", "total": f"{order.total:,.2f}"}),
                           {"paid": f"{order.paid_amount:.2f}", "total": f"{order.total:.2f}"})]
    return []
