from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BackofficeConfig(AppConfig):
    """The top floor: the application shell every role works in (navigation, home, search, order page).

    It composes the stages and the other composing apps and owns no tables."""

    name = "oms.backoffice"
    label = "backoffice"
    verbose_name = _("Back office")

    def ready(self):
        from django.apps import apps

        if apps.is_installed("oms.reports"):
            _place_report_widgets()


def _place_report_widgets() -> None:
    """Today's numbers and the role's shared dashboards on every home page whose user may see them."""
    from oms.backoffice.widgets import Widget, register
    from oms.reports.widgets import home_widgets_for

    register(Widget(key="reports", title=_("Dashboards"), template="backoffice/widgets/reports.html",
                    context=lambda request: {"html": home_widgets_for(request.user, request=request)},
                    allowed=lambda user: user.has_perm("reports.view_dashboard"), position=200, wide=True))
