from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core.enums import Role

_VIEW = ["orders.view_order", "orders.view_orderline", "orders.view_customer", "orders.view_channel",
         "orders.view_orderevent"]


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")
    role_permissions = {
        Role.CUSTOMER_SERVICE: [*_VIEW, "orders.change_order", "orders.change_customer", "orders.add_customer",
                                "orders.cancel_order"],
        Role.REVIEWER: [*_VIEW, "orders.review_order", "orders.change_order", "orders.cancel_order"],
        Role.FINANCE: [*_VIEW],
        Role.FINANCE_DIRECTOR: [*_VIEW, "orders.review_order"],
        Role.WAREHOUSE: ["orders.view_order", "orders.view_orderline"],
        Role.AFTERSALES: [*_VIEW],
        Role.MANAGER: [*_VIEW, "orders.review_order", "orders.cancel_order", "orders.change_order",
                       "orders.change_channel", "orders.add_channel"],
    }
