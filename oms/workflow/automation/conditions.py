"""Conditions: `rule-engine` expressions over a typed context built from the order. Never `eval`.

The context's fields and types are fixed (`FIELDS`); a rule naming another field, or comparing a
field with a value of the wrong type, is rejected when it is saved, with the position of the mistake.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

import rule_engine
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.regions import canonical_province

T = rule_engine.DataType

# name → (type, description shown to administrators)
FIELDS: dict[str, tuple[object, object]] = {
    "amount": (T.FLOAT, gettext_lazy("order total in yuan")),
    "paid_amount": (T.FLOAT, gettext_lazy("amount paid in yuan")),
    "channel": (T.STRING, gettext_lazy("channel code, e.g. douyin")),
    "province": (T.STRING, gettext_lazy("province, full name, e.g. 新疆维吾尔自治区")),
    "city": (T.STRING, gettext_lazy("city")),
    "line_count": (T.FLOAT, gettext_lazy("number of order lines")),
    "quantity": (T.FLOAT, gettext_lazy("number of items")),
    "payment_method": (T.STRING, gettext_lazy("payment method code, e.g. alipay, cod")),
    "is_cod": (T.BOOLEAN, gettext_lazy("cash on delivery")),
    "status": (T.STRING, gettext_lazy("order status code")),
    "source": (T.STRING, gettext_lazy("order source: api, admin, import")),
    "customer_tags": (T.ARRAY(T.STRING), gettext_lazy("the customer's tags (none yet: always empty)")),
    "needs_qc": (T.BOOLEAN, gettext_lazy("some product needs quality control")),
    "skus": (T.ARRAY(T.STRING), gettext_lazy("the lines' SKUs")),
    "weight": (T.FLOAT, gettext_lazy("total weight in kg")),
}

CONTEXT = rule_engine.Context(type_resolver=rule_engine.type_resolver_from_dict(
    {name: type_ for name, (type_, _label) in FIELDS.items()}))


@dataclass
class ConditionError(Exception):
    message: str
    position: int | None = None  # 0-based offset in the expression

    def __str__(self) -> str:
        if self.position is None:
            return self.message
        return _("%(message)s (at character %(position)d)") % {"message": self.message,
                                                                "position": self.position + 1}


def compile_condition(text: str) -> rule_engine.Rule | None:
    """The compiled rule (None for an empty condition: every order); raises `ConditionError`."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return rule_engine.Rule(text, context=CONTEXT)
    except rule_engine.errors.RuleSyntaxError as exc:
        token = getattr(exc, "token", None)
        position = token.lexpos if token is not None else len(text)
        raise ConditionError(_("Syntax error"), position) from None
    except rule_engine.errors.SymbolResolutionError as exc:
        match = re.search(rf"(?<![\w.]){re.escape(exc.symbol_name)}(?!\w)", text)
        message = _("Unknown field “%(name)s”") % {"name": exc.symbol_name}
        if exc.suggestion:
            message += _("; did you mean “%(suggestion)s”?") % {"suggestion": exc.suggestion}
        raise ConditionError(message, match.start() if match else None) from None
    except rule_engine.errors.EvaluationError as exc:  # type mismatch found while compiling
        raise ConditionError(_("Invalid expression: %(error)s") % {"error": exc.message}) from None
    except rule_engine.errors.EngineError as exc:
        raise ConditionError(_("Invalid expression: %(error)s") % {"error": exc.message}) from None


def order_context(order) -> dict:
    """The typed facts a condition sees. Reads the order's lines with their products (one query
    unless prefetched) and its channel's code (one more unless loaded): automation runs this on
    every shipment plan, so it stays at two queries whatever the number of lines."""
    if "lines" in getattr(order, "_prefetched_objects_cache", {}):
        lines = list(order.lines.all())
    else:
        lines = list(order.lines.select_related("product"))
    products = [line.product for line in lines if line.product_id]
    weight = sum((Decimal(p.weight_kg or 0) * line.quantity
                  for line in lines if line.product_id for p in [line.product]), Decimal("0"))
    return {
        "amount": Decimal(order.total),
        "paid_amount": Decimal(order.paid_amount),
        "channel": _channel_code(order),
        "province": canonical_province(order.province) or (order.province or ""),
        "city": order.city or "",
        "line_count": Decimal(len(lines)),
        "quantity": Decimal(sum(line.quantity for line in lines)),
        "payment_method": order.payment_method or "",
        "is_cod": order.payment_method == "cod",
        "status": order.status,
        "source": order.source,
        "customer_tags": (),  # customers have no tags yet (CONTEXT says so); nothing to read
        "needs_qc": any(p.needs_qc for p in products),
        "skus": tuple(line.sku for line in lines),
        "weight": weight,
    }


def _channel_code(order) -> str:
    from orders.models import Channel, Order

    if Order.channel.is_cached(order):
        return order.channel.code
    return Channel.objects.filter(pk=order.channel_id).values_list("code", flat=True).get()
