"""The navigation, built from what the user may do.

Each entry names a URL and the test that shows it; a group with one visible entry becomes a plain
link. A URL that is not installed is left out silently, so an app can be removed without editing
this list. Upper apps add entries with `register()` (e.g. reports) from their `AppConfig.ready()`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core.enums import Role
from core.roles import user_has_role


def perm(name: str) -> Callable:
    return lambda user: user.has_perm(name)


def is_administrator(user) -> bool:
    return user.is_superuser or user_has_role(user, Role.ADMIN)


def _may_approve(user) -> bool:
    """Reviewers' roles approve; anyone else only while an approval level waits for them."""
    from oms.workflow.automation.approvals import approvals_waiting_count

    return user.has_perm("orders.review_order") or approvals_waiting_count(user) > 0


@dataclass(frozen=True)
class NavEntry:
    group: str
    label: str | Promise
    url_name: str
    allowed: Callable
    key: str = ""


@dataclass
class NavLink:
    key: str
    label: str
    url: str


@dataclass
class NavGroup:
    key: str
    label: str
    links: list[NavLink] = field(default_factory=list)


GROUPS: dict[str, Promise] = {
    "orders": _("Orders"),
    "warehouse": _("Warehouse"),
    "finance": _("Finance"),
    "aftersales": _("After-sales"),
    "reports": _("Reports"),
    "data": _("Data"),
    "admin": _("Administration"),
}

ENTRIES: list[NavEntry] = [
    NavEntry("orders", _("Review workbench"), "workflow:review-queue", perm("orders.review_order"), "review"),
    NavEntry("orders", _("Approvals inbox"), "workflow:approvals", _may_approve, "approvals"),
    NavEntry("orders", _("All orders"), "admin:orders_order_changelist",
             lambda u: u.is_staff and u.has_perm("orders.view_order"), "orders"),
    NavEntry("warehouse", _("Packing station"), "logistics:packing", perm("logistics.pack_shipment"), "packing"),
    NavEntry("warehouse", _("Wave picking"), "logistics:waves", perm("logistics.add_pickwave"), "waves"),
    NavEntry("warehouse", _("Shipments"), "logistics:shipments", perm("logistics.view_shipment"), "shipments"),
    NavEntry("warehouse", _("QC queue"), "logistics:qc-queue", perm("logistics.inspect_qualitycheck"), "qc"),
    NavEntry("warehouse", _("Shipping exceptions"), "logistics:exceptions", perm("logistics.change_shipment"),
             "exceptions"),
    NavEntry("warehouse", _("Return receiving"), "aftersales:receiving", perm("aftersales.receive_returnrequest"),
             "receiving"),
    NavEntry("warehouse", _("Stock"), "inventory:stock-overview", perm("inventory.view_stock"), "stock"),
    NavEntry("finance", _("Invoice print centre"), "finance:print-centre", perm("finance.print_invoice"),
             "print-centre"),
    NavEntry("finance", _("Refund approvals"), "finance:refund-approvals", perm("finance.approve_refund"),
             "refund-approvals"),
    NavEntry("finance", _("Receivables aging"), "finance:receivables", perm("finance.view_receivables"),
             "receivables"),
    NavEntry("aftersales", _("After-sales queue"), "aftersales:queue", perm("aftersales.view_returnrequest"),
             "aftersales"),
    NavEntry("aftersales", _("New after-sales request"), "aftersales:create", perm("aftersales.add_returnrequest"),
             "aftersales-new"),
    NavEntry("reports", _("Reports and dashboards"), "reports:home", perm("reports.view_dashboard"), "reports"),
    NavEntry("data", _("Import centre"), "imports:centre", perm("imports.run_import"), "imports"),
    NavEntry("admin", _("Administration"), "admin:index", is_administrator, "admin"),
    NavEntry("admin", _("Automation rules"), "admin:workflow_automationrule_changelist", is_administrator,
             "automation-rules"),
    NavEntry("admin", _("Process map"), "admin:workflow_automationrule_process", is_administrator, "process-map"),
]


def register(entry: NavEntry) -> None:
    """Add an entry (from an upper app's `ready()`); an entry with the same key is replaced."""
    ENTRIES[:] = [e for e in ENTRIES if not (entry.key and e.key == entry.key)] + [entry]


def navigation_for(user) -> list[NavGroup]:
    if not user or not user.is_authenticated:
        return []
    groups: dict[str, NavGroup] = {}
    for entry in ENTRIES:
        if not entry.allowed(user):
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        label = str(GROUPS.get(entry.group, entry.group))
        group = groups.setdefault(entry.group, NavGroup(key=entry.group, label=label))
        group.links.append(NavLink(key=entry.key or entry.url_name, label=str(entry.label), url=url))
    order = list(GROUPS)
    return sorted(groups.values(), key=lambda g: order.index(g.key) if g.key in order else len(order))
