from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.enums import Role

_VIEW = ["logistics.view_shipment", "logistics.view_shipmentline", "logistics.view_trackingevent",
         "logistics.view_pickwave"]


class LogisticsConfig(AppConfig):
    name = "logistics"
    verbose_name = _("Logistics")
    role_permissions = {
        Role.WAREHOUSE: [*_VIEW, "logistics.pack_shipment", "logistics.ship_shipment", "logistics.change_shipment",
                         "logistics.add_pickwave", "logistics.view_qualitycheck", "logistics.inspect_qualitycheck"],
        Role.CUSTOMER_SERVICE: [*_VIEW],
        Role.REVIEWER: [*_VIEW],
        Role.FINANCE: [*_VIEW],
        Role.AFTERSALES: [*_VIEW],
        Role.MANAGER: [*_VIEW, "logistics.pack_shipment", "logistics.ship_shipment", "logistics.change_shipment",
                       "logistics.add_pickwave", "logistics.view_qualitycheck", "logistics.inspect_qualitycheck"],
    }

    def ready(self):
        from core import hooks
        from logistics import handlers

        # Registered after the inventory stage's handlers (INSTALLED_APPS order): on cancel, stock
        # is released and shipments withdrawn in the same transaction.
        hooks.order_status_changed.register(handlers.create_shipments_when_releasable,
                                             many=handlers.create_shipments_when_releasable_many)
        hooks.order_cancelled.register(handlers.cancel_shipments)
        hooks.order_address_changed.register(handlers.update_shipments_address)

        # How the order timeline names this stage's entries.
        from logistics.events import LogisticsEventKind as Kind
        from orders.events import register_timeline_kinds

        register_timeline_kinds(Kind, {
            Kind.SHIPMENTS_CREATED: pgettext_lazy("timeline", "Shipments planned"),
            Kind.PICKING_STARTED: pgettext_lazy("timeline", "Picking started"),
            Kind.SHIPMENT_PACKED: pgettext_lazy("timeline", "Parcel packed"),
            Kind.SHIPMENT_SHIPPED: pgettext_lazy("timeline", "Parcel shipped"),
            Kind.TRACKING: pgettext_lazy("timeline", "Carrier tracking"),
            Kind.SHIPMENT_RETURNED: pgettext_lazy("timeline", "Returned to sender"),
            Kind.CARRIER_CHANGED: pgettext_lazy("timeline", "Carrier changed"),
            Kind.QC_REQUESTED: pgettext_lazy("timeline", "QC required"),
            Kind.QC_PASSED: pgettext_lazy("timeline", "QC passed"),
            Kind.QC_FAILED: pgettext_lazy("timeline", "QC failed"),
        })
