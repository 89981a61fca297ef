from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core.enums import Role

# Managers and administrators read every report; the other roles see the dashboards shared with them.
_REPORTS = ["reports.view_reports", "reports.view_dashboard", "reports.add_dashboard", "reports.change_dashboard",
            "reports.delete_dashboard", "reports.add_subscription", "reports.view_subscription",
            "reports.change_subscription", "reports.delete_subscription"]
_DASHBOARDS = ["reports.view_dashboard"]


class ReportsConfig(AppConfig):
    name = "oms.reports"
    label = "reports"
    verbose_name = _("Reports and dashboards")
    default_auto_field = "django.db.models.BigAutoField"
    role_permissions = {
        Role.MANAGER: _REPORTS,
        Role.ADMIN: _REPORTS,
        Role.FINANCE_DIRECTOR: _REPORTS,
        Role.FINANCE: _DASHBOARDS,
        Role.REVIEWER: _DASHBOARDS,
        Role.CUSTOMER_SERVICE: _DASHBOARDS,
        Role.WAREHOUSE: _DASHBOARDS,
        Role.AFTERSALES: _DASHBOARDS,
    }
