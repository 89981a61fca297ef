from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.enums import Role

_VIEW = ["aftersales.view_returnrequest", "aftersales.view_returnline", "aftersales.view_qcphoto",
         "aftersales.view_returnreason", "aftersales.view_returnpolicy"]
_WORK = ["aftersales.add_returnrequest", "aftersales.change_returnrequest", "aftersales.approve_returnrequest",
         "aftersales.receive_returnrequest", "aftersales.inspect_returnrequest", "aftersales.refund_returnrequest",
         "aftersales.exchange_returnrequest", "aftersales.close_returnrequest", "aftersales.add_qcphoto"]


class AftersalesConfig(AppConfig):
    name = "aftersales"
    verbose_name = _("After-sales")
    role_permissions = {
        # Customer service raises requests for customers and notes their return parcels.
        Role.CUSTOMER_SERVICE: [*_VIEW, "aftersales.add_returnrequest", "aftersales.change_returnrequest"],
        # The after-sales team works the whole queue (a refund before shipment cancels the order as
        # part of the refund step, which its own permission guards; no general right to cancel orders).
        Role.AFTERSALES: [*_VIEW, *_WORK],
        # The warehouse receives parcels and does QC.
        Role.WAREHOUSE: [*_VIEW, "aftersales.receive_returnrequest", "aftersales.inspect_returnrequest",
                         "aftersales.add_qcphoto"],
        # Finance transfers refunds of bank-transfer and cash-on-delivery orders and confirms them.
        Role.FINANCE: [*_VIEW, "aftersales.confirm_refund"],
        Role.FINANCE_DIRECTOR: [*_VIEW, "aftersales.confirm_refund"],
        # Managers also approve requests outside the rules and keep the rules.
        Role.MANAGER: [*_VIEW, *_WORK, "aftersales.approve_exception",
                       "aftersales.confirm_refund",
                       "aftersales.add_returnreason", "aftersales.change_returnreason",
                       "aftersales.add_returnpolicy", "aftersales.change_returnpolicy"],
    }

    def ready(self):
        # How the order timeline names this stage's entries.
        from aftersales.events import AftersalesEventKind as Kind
        from orders.events import register_timeline_kinds

        register_timeline_kinds(Kind, {
            Kind.REQUESTED: pgettext_lazy("timeline", "Return requested"),
            Kind.APPROVED: pgettext_lazy("timeline", "Return approved"),
            Kind.REJECTED: pgettext_lazy("timeline", "Return rejected"),
            Kind.IN_TRANSIT: pgettext_lazy("timeline", "Return parcel sent"),
            Kind.RECEIVED: pgettext_lazy("timeline", "Return received"),
            Kind.INSPECTED: pgettext_lazy("timeline", "Return inspected"),
            Kind.REFUNDED: pgettext_lazy("timeline", "Return refunded"),
            Kind.EXCHANGED: pgettext_lazy("timeline", "Replacement sent"),
            Kind.CLOSED: pgettext_lazy("timeline", "Return closed"),
        })
