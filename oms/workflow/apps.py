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
        # Importing the checks module registers the built-in review checks.
        import oms.workflow.payments  # noqa: F401  (registers the `issue_invoice` review step)
        from oms.workflow import checks  # noqa: F401
