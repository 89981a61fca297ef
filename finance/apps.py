from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.enums import Role

_VIEW = ["finance.view_payment", "finance.view_refund", "finance.view_journalentry", "finance.view_journalline",
         "finance.view_invoice", "finance.view_invoiceline", "finance.view_recognisedline",
         "finance.view_refundapproval"]
_CLERK = [*_VIEW, "finance.record_payment", "finance.request_refund", "finance.issue_invoice",
          "finance.void_invoice", "finance.print_invoice", "finance.view_receivables", "finance.view_printjob"]


class FinanceConfig(AppConfig):
    name = "finance"
    verbose_name = _("Finance")
    role_permissions = {
        Role.FINANCE: _CLERK,
        Role.FINANCE_DIRECTOR: [*_CLERK, "finance.approve_refund"],
        Role.MANAGER: [*_VIEW, "finance.view_receivables"],
        Role.AFTERSALES: ["finance.view_payment", "finance.view_refund", "finance.view_invoice",
                          "finance.request_refund"],
        Role.CUSTOMER_SERVICE: ["finance.view_payment", "finance.view_invoice"],
    }

    def ready(self):
        from core import hooks
        from finance.services.cancellation import on_order_cancelled

        # A cancelled order gets its money back through the payment connector, with reversing
        # entries in the journal, and its invoice voided by a credit note.
        hooks.order_cancelled.register(on_order_cancelled)

        # How the order timeline names this stage's entries.
        from finance.events import FinanceEventKind as Kind
        from orders.events import register_timeline_kinds

        register_timeline_kinds(Kind, {
            Kind.PAYMENT_FAILED: pgettext_lazy("timeline", "Payment failed"),
            Kind.REFUND_REQUESTED: pgettext_lazy("timeline", "Refund requested"),
            Kind.REFUND_COMPLETED: pgettext_lazy("timeline", "Refund paid out"),
            Kind.REFUND_FAILED: pgettext_lazy("timeline", "Refund failed"),
            Kind.REFUND_WITHDRAWN: pgettext_lazy("timeline", "Refund withdrawn"),
            Kind.REFUND_APPROVAL_REQUESTED: pgettext_lazy("timeline", "Refund awaiting approval"),
            Kind.REFUND_APPROVED: pgettext_lazy("timeline", "Refund approved"),
            Kind.REFUND_REJECTED: pgettext_lazy("timeline", "Refund rejected"),
            Kind.REVENUE_RECOGNISED: pgettext_lazy("timeline", "Revenue recognised"),
            Kind.REVENUE_REVERSED: pgettext_lazy("timeline", "Revenue reversed"),
            Kind.INVOICE_ISSUED: pgettext_lazy("timeline", "Invoice issued"),
            Kind.INVOICE_VOIDED: pgettext_lazy("timeline", "Invoice voided"),
        })
