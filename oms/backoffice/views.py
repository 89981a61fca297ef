"""The back office shell: home per role, global search, the order page, and the Chinese 403 page.

Views parse input, read through selectors and render; the actions on the order page are links to
(or forms posting to) the stages' own screens, which call their services."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.enums import Role
from finance.models import Account
from oms.backoffice.actions import order_actions
from oms.backoffice.queues import queues_for
from oms.backoffice.selectors import SEARCH_LIMIT, order_page, order_search
from oms.backoffice.widgets import widgets_for
from orders.models import OrderStatus


@require_GET
@login_required
def home(request):
    user = request.user
    queues = queues_for(user)
    return render(request, "backoffice/home.html", {
        "queues": queues, "widgets": widgets_for(request),
        "roles": [group.name for group in user.groups.all()],
    })


@require_GET
@login_required
def search(request):
    # The header's box is `find` (pages have search fields named `q` of their own); the page's is `q`.
    term = (request.GET.get("q") or request.GET.get("find") or "").strip()
    if not user_may_see_orders(request.user):
        raise PermissionDenied
    results = list(order_search(term)[:SEARCH_LIMIT + 1]) if term else []
    if len(results) == 1:
        return redirect("backoffice:order", number=results[0].number)
    return render(request, "backoffice/search.html", {
        "term": term, "results": results[:SEARCH_LIMIT], "more": len(results) > SEARCH_LIMIT,
    })


def user_may_see_orders(user) -> bool:
    return user.has_perm("orders.view_order")


@require_GET
@login_required
def order_detail(request, number: str):
    if not user_may_see_orders(request.user):
        raise PermissionDenied
    page = order_page(number=number, user=request.user)
    balances = [(Account(code).label, value) for code, value in page.balances.items() if value]
    return render(request, "backoffice/order.html", {
        "page": page, "order": page.order, "balances": balances,
        "actions": order_actions(page=page, user=request.user),
        "status_class": _STATUS_CLASS.get(page.order.status, ""),
        "assigned_team_label": Role(page.order.assigned_team).label if page.order.assigned_team else "",
    })


_STATUS_CLASS = {
    OrderStatus.ON_HOLD: "badge-warn", OrderStatus.CANCELLED: "badge-muted", OrderStatus.COMPLETED: "badge-ok",
    OrderStatus.SHIPPED: "badge-ok", OrderStatus.PENDING_REVIEW: "badge-info",
}


def login(request):
    """The admin's login screen, landing on the user's home page rather than the admin index
    (administrators reach the admin from the navigation, or by a link that carries `next`)."""
    from django.contrib import admin

    if request.method == "GET" and "next" not in request.GET:
        return redirect(f"{request.path}?next=/")
    return admin.site.login(request)


def permission_denied(request, exception=None):
    """The 403 page in the user's language, with a way back, instead of Django's bare English."""
    try:
        home_url = reverse("backoffice:home")
    except NoReverseMatch:
        home_url = "/"
    return render(request, "403.html", {"home_url": home_url, "reason": _(
        "Your role does not include this screen or action. Ask an administrator if you need it.")}, status=403)
