from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core.enums import Role


class WorkflowConfig(AppConfig):
    name = "oms.workflow"
    label = "workflow"
    verbose_name = _("Workflow")
    role_permissions = {
        Role.REVIEWER: ["workflow.view_reviewrule"],
        Role.MANAGER: ["workflow.view_reviewrule", "workflow.change_reviewrule", "workflow.add_reviewrule"],
    }

    def ready(self):
        # Importing these modules registers the built-in review checks and the stages' review steps:
        # `reserve_stock` (inventory, position 10), `issue_invoice` (finance, position 90).
        import oms.workflow.payments  # noqa: F401  (registers the `issue_invoice` review step)
        from core import hooks
        from oms.workflow import checks, steps  # noqa: F401
        from oms.workflow.jobs import enqueue_backorder_retry

        # More sellable stock: retry the backorder queue in a background job after commit.
        hooks.stock_replenished.register(enqueue_backorder_retry)

        # Automation rules (issue 19): shipped / completed / cancelled are status changes made by
        # lower stages (logistics, orders); their rules run from this one hook handler.
        from oms.workflow.automation.engine import fire_on_status_change, register_labels

        hooks.order_status_changed.register(fire_on_status_change)

        # Orders released inside `follow_ups.after_commit()` (every request, the workflow's services)
        # record their invoice and shipments as follow-ups; customer notifications are follow-ups too.
        from oms.workflow import follow_ups

        hooks.order_status_changed.register(follow_ups.on_status_change)
        hooks.customer_notification_requested.register(follow_ups.on_notification)
        register_labels()
        # Delivered, shipment planned, return requested, refunded: from the stages' own hooks.
        from oms.workflow.automation import triggers

        triggers.register()
        # A failed quality check (logistics) holds the order with this reason; survey answers on the timeline.
        from oms.workflow.automation.steps import register_step_labels

        register_step_labels()
