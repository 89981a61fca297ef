from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from oms.core.enums import Role

_VIEW = ["integrations.view_inboundevent", "integrations.view_inboundattempt"]


class IntegrationsConfig(AppConfig):
    name = "oms.integrations"
    label = "integrations"
    verbose_name = _("Integrations")
    role_permissions = {
        Role.FINANCE: _VIEW,
        Role.FINANCE_DIRECTOR: _VIEW,
        Role.MANAGER: [*_VIEW, "integrations.view_webhooksender", "integrations.retry_inboundevent"],
    }

    def ready(self):
        # Each webhook kind registers its handler with the inbox; payments are handled here,
        # warehouses and carriers by the logistics integration when it lands.
        from oms.integrations import payments  # noqa: F401
