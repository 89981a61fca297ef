from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.enums import Role

_VIEW = ["inventory.view_stock", "inventory.view_warehouse", "inventory.view_lot", "inventory.view_bin",
         "inventory.view_stockmovement", "inventory.view_reservation"]
_CLERK = ["inventory.receive_stock", "inventory.adjust_stock", "inventory.transfer_stock", "inventory.count_stock",
          "inventory.view_stocktake", "inventory.view_stocktakeline", "inventory.view_warehousepriority",
          "inventory.change_stock"]
_SETUP = ["inventory.add_warehouse", "inventory.change_warehouse", "inventory.add_bin", "inventory.change_bin",
          "inventory.view_warehousepriority", "inventory.add_warehousepriority",
          "inventory.change_warehousepriority", "inventory.delete_warehousepriority",
          "inventory.view_channelstockrule", "inventory.add_channelstockrule", "inventory.change_channelstockrule",
          "inventory.delete_channelstockrule"]


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = _("Inventory")
    nav_label = _("Stock")  # the main navigation link (templates/_nav.html)
    role_permissions = {
        Role.CUSTOMER_SERVICE: ["inventory.view_stock", "inventory.view_warehouse"],
        Role.REVIEWER: ["inventory.view_stock", "inventory.view_warehouse", "inventory.view_reservation"],
        Role.FINANCE: ["inventory.view_stock", "inventory.view_warehouse", "inventory.view_stockmovement"],
        Role.FINANCE_DIRECTOR: ["inventory.view_stock", "inventory.view_warehouse",
                                "inventory.view_stockmovement"],
        Role.WAREHOUSE: [*_VIEW, *_CLERK],
        Role.AFTERSALES: ["inventory.view_stock", "inventory.view_warehouse", "inventory.view_lot"],
        Role.MANAGER: [*_VIEW, *_CLERK, *_SETUP],
    }

    def ready(self):
        # Cancelling (or rejecting) an order releases its reservations in the same transaction.
        from core import hooks
        from inventory.handlers import release_stock_of_cancelled_order

        hooks.order_cancelled.register(release_stock_of_cancelled_order)

        # How the order timeline names this stage's entries.
        from inventory.events import StockEventKind as Kind
        from orders.events import register_timeline_kinds

        register_timeline_kinds(Kind, {
            Kind.RESERVED: pgettext_lazy("timeline", "Stock reserved"),
            Kind.RELEASED: pgettext_lazy("timeline", "Stock released"),
        })
