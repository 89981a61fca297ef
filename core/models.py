from django.db import models
from django.utils.translation import gettext_lazy as _

from core.enums import Role  # noqa: F401  (re-exported)


class Sequence(models.Model):
    """A named counter (`SO20261124`, `INV-2026`). Incremented under a row lock, so gapless."""

    key = models.CharField(_("key"), max_length=64, unique=True)
    value = models.PositiveBigIntegerField(_("last value"), default=0)

    class Meta:
        verbose_name = _("number sequence")
        verbose_name_plural = _("number sequences")

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


class CorePermissions(models.Model):
    """Holder for project-wide permissions that belong to no single model."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("view_customer_pii", _("Can view unmasked customer phones and e-mails"))]

    def __str__(self) -> str:
        return "core permissions"
