"""Roles as Django groups.

Each app declares what each role may do in its AppConfig as `role_permissions`, a mapping of role to
permission names (`"orders.review_order"`). `sync_roles()` creates one group per role and gives it
exactly the declared permissions, so adding an app adds its permissions to the right groups
without editing this module. Administrators can still add people to groups in the admin.
"""

from __future__ import annotations

from collections import defaultdict

from django.apps import apps as global_apps
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from core.models import Role

# Core's own share: only managers and administrators see unmasked PII by default.
CORE_ROLE_PERMISSIONS = {
    Role.MANAGER: ["core.view_customer_pii"],
    # administrators add people and give them roles; groups themselves are synced from code, so viewed only
    Role.ADMIN: ["core.view_customer_pii", "auth.view_user", "auth.add_user", "auth.change_user",
                 "auth.view_group"],
}


def declared_role_permissions() -> dict[str, set[str]]:
    declared: dict[str, set[str]] = defaultdict(set)
    for config in global_apps.get_app_configs():
        for role, perms in getattr(config, "role_permissions", {}).items():
            declared[str(role)].update(perms)
    for role, perms in CORE_ROLE_PERMISSIONS.items():
        declared[str(role)].update(perms)
    return declared


def group_for(role: Role | str) -> Group:
    return Group.objects.get(name=str(role))


@transaction.atomic
def sync_roles() -> dict[str, int]:
    declared = declared_role_permissions()
    all_declared = set().union(*declared.values()) if declared else set()
    perms_by_name = {}
    for perm in Permission.objects.select_related("content_type"):
        perms_by_name[f"{perm.content_type.app_label}.{perm.codename}"] = perm
    # The administrator role gets every declared permission plus whatever others declare.
    declared[str(Role.ADMIN)] |= all_declared
    counts = {}
    for role in Role:
        group, _ = Group.objects.get_or_create(name=str(role.value))
        wanted = [perms_by_name[name] for name in sorted(declared.get(str(role.value), ())) if name in perms_by_name]
        group.permissions.set(wanted)
        counts[role.value] = len(wanted)
    return counts


def sync_roles_after_migrate(sender, using="default", apps=None, **kwargs):
    # post_migrate is sent once per app; permissions of an app exist only after its own emission,
    # so the groups are synced on the last app's.
    last = list(global_apps.get_app_configs())[-1]
    if using != "default" or sender.label != last.label:
        return
    sync_roles()


def user_role_names(user) -> frozenset[str]:
    """The user's roles (group names), read once per user object — a request's navigation asks
    several times; like Django's own permission cache, a change shows from the next request."""
    if not user or not user.is_authenticated:
        return frozenset()
    names = getattr(user, "_oms_role_names", None)
    if names is None:
        names = frozenset(user.groups.values_list("name", flat=True))
        user._oms_role_names = names
    return names


def user_has_role(user, role: Role | str) -> bool:
    if not user or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return str(role) in user_role_names(user)
