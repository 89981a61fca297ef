from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BackofficeConfig(AppConfig):
    """The top floor: the application shell every role works in (navigation, home, search, order page).

    It composes the stages and the other composing apps and owns no tables."""

    name = "oms.backoffice"
    label = "backoffice"
    verbose_name = _("Back office")
