from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core.enums import Role


class ApiConfig(AppConfig):
    name = "oms.api"
    label = "api"
    verbose_name = _("API")
    # Tokens are handed out by administrators only (the admin role gets every declared permission).
    role_permissions = {
        Role.ADMIN: ["api.view_apitoken", "api.add_apitoken", "api.change_apitoken", "api.view_ordersubmission"],
    }
