"""API token scopes (contract: `orders:read`, `orders:write`, `stock:read`, `pii:read`)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    ORDERS_READ = "orders:read", _("Read orders")
    ORDERS_WRITE = "orders:write", _("Create and cancel orders")
    STOCK_READ = "stock:read", _("Read stock and products")
    PII_READ = "pii:read", _("See unmasked phones and e-mails")


# What a token gets when nobody says otherwise; `pii:read` is never a default.
DEFAULT_SCOPES = (Scope.ORDERS_READ.value, Scope.ORDERS_WRITE.value, Scope.STOCK_READ.value)
