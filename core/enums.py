"""Choices that app configs need before models load."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """Back-office roles. Each is a Django group whose permissions `core.roles` keeps in sync."""

    CUSTOMER_SERVICE = "customer_service", _("Customer service")
    REVIEWER = "reviewer", _("Reviewer")
    FINANCE = "finance", _("Finance")
    FINANCE_DIRECTOR = "finance_director", _("Finance director")
    WAREHOUSE = "warehouse", _("Warehouse")
    AFTERSALES = "aftersales", _("After-sales")
    MANAGER = "manager", _("Manager")
    ADMIN = "admin", _("Administrator")
