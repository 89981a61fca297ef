"""What a user may do with an order, as links to the screens that do it (each screen calls its own
service and checks the permission again). Shown in the order page's header."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from logistics.models import IN_WAREHOUSE_STATUSES
from orders.models import OrderStatus


@dataclass
class Action:
    key: str
    label: str
    url: str
    primary: bool = False


def _url(name, *args, query=None) -> str | None:
    try:
        url = reverse(name, args=args)
    except NoReverseMatch:
        return None
    return f"{url}?{urlencode(query)}" if query else url


def order_actions(*, page, user) -> list[Action]:
    order = page.order
    found: list[Action] = []

    def add(key, label, url, primary=False):
        if url:
            found.append(Action(key=key, label=str(label), url=url, primary=primary))

    if user.has_perm("orders.review_order") and order.status in (OrderStatus.ON_HOLD, OrderStatus.PENDING_REVIEW):
        add("review", _("Review"), _url("workflow:review-detail", order.number), primary=True)
    if user.has_perm("logistics.pack_shipment"):
        for shipment in page.shipments:
            if shipment.status in IN_WAREHOUSE_STATUSES:
                add(f"pack-{shipment.number}", _("Pack %(number)s") % {"number": shipment.number},
                    _url("logistics:packing-shipment", shipment.number), primary=True)
    if user.has_perm("finance.view_payment"):
        add("funds", _("Funds and invoices"), _url("finance:order-funds", order.number))
    if (user.has_perm("aftersales.add_returnrequest") and order.paid_amount > order.refunded_amount
            and order.status != OrderStatus.CANCELLED):
        add("aftersales", _("New after-sales request"), _url("aftersales:create", query={"order": order.number}))
    if user.is_staff and user.has_perm("orders.change_order"):
        add("admin", _("Edit in administration"), _url("admin:orders_order_change", order.pk))
    return found
