"""The shell's navigation for every page that extends `base.html`."""

from oms.backoffice.nav import navigation_for


def navigation(request):
    user = getattr(request, "user", None)
    return {"navigation": lambda: navigation_for(user)}
