from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core.enums import Role


class CatalogConfig(AppConfig):
    name = "catalog"
    label = "catalog"
    verbose_name = _("Catalog")
    role_permissions = {
        Role.CUSTOMER_SERVICE: ["catalog.view_product"],
        Role.REVIEWER: ["catalog.view_product"],
        Role.WAREHOUSE: ["catalog.view_product"],
        Role.FINANCE: ["catalog.view_product"],
        Role.AFTERSALES: ["catalog.view_product"],
        Role.MANAGER: ["catalog.view_product", "catalog.add_product", "catalog.change_product",
                       # the category tree is part of the catalogue the manager keeps
                       "catalog.view_category", "catalog.add_category", "catalog.change_category"],
    }
