from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from oms.core.enums import Role


class WorkflowConfig(AppConfig):
    name = "oms.workflow"
    label = "workflow"
    verbose_name = _("Workflow")
    role_permissions = {
        Role.REVIEWER: ["workflow.view_reviewrule"],
        Role.MANAGER: ["workflow.view_reviewrule", "workflow.change_reviewrule", "workflow.add_reviewrule"],
    }

    def ready(self):
        # Importing the checks module registers the built-in review checks; steps and payments the stages'
        # review steps (reserve stock, issue the invoice).
        from oms.core import hooks
        from oms.workflow import checks, payments, steps  # noqa: F401
        from oms.workflow.jobs import enqueue_backorder_retry

        # More sellable stock: retry the backorder queue in a background job after commit.
        hooks.stock_replenished.register(enqueue_backorder_retry)
