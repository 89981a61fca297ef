from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core.enums import Role

# Migration staff are managers and administrators: they run the import centre and see its history
# (administrators get every declared permission through `core.roles` anyway; listed for clarity).
_IMPORT = ["imports.run_import", "imports.view_importbatch", "imports.view_importissue",
           "imports.view_importedorder"]


class ImportsConfig(AppConfig):
    name = "oms.imports"
    label = "imports"
    verbose_name = _("Imports and exports")
    role_permissions = {
        Role.MANAGER: _IMPORT,
        Role.ADMIN: _IMPORT,
    }
