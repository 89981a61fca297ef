"""Admin building blocks shared by the stages."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _


class ReadOnlyAdminMixin:
    """For records only services write (ledger, journal, timeline, outbox, audit): the admin shows them,
    nobody adds, edits or deletes them there. Put it before the admin base class."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    pass


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    can_delete = False


# -- people: administrators add users and put them in role groups ------------------------------------------
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.admin import UserAdmin  # noqa: E402
from django.forms import CheckboxSelectMultiple, ModelMultipleChoiceField  # noqa: E402

User = get_user_model()


def role_label(group) -> str:
    """A role group by its name in the reader's language (groups are named by the role's code)."""
    from core.enums import Role

    return str(Role(group.name).label) if group.name in Role.values else group.name


class RoleChoiceField(ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return role_label(obj)


class RoleUserAdmin(UserAdmin):
    """Users for the administrator role, who may add people and give them roles (groups) but not make
    anyone a superuser, grant single permissions past the roles, or touch a superuser's account:
    those stay with superusers, so the role cannot raise itself above what the roles declare."""

    list_display = ["username", "first_name", "last_name", "is_active", "is_staff", "roles", "last_login"]
    list_filter = ["is_active", "is_staff", "groups"]

    @admin.display(description=_("Roles"))
    def roles(self, user):
        return "、".join(role_label(group) for group in user.groups.all())

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        # Roles as labelled checkboxes: Django's two-box picker speaks English ("Choose 组 by selecting them")
        # and would show the groups' codes.
        if db_field.name == "groups":
            kwargs.update(widget=CheckboxSelectMultiple, form_class=RoleChoiceField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_queryset(self, request):
        users = super().get_queryset(request).prefetch_related("groups")
        return users if request.user.is_superuser else users.filter(is_superuser=False)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        kept = []
        for name, options in fieldsets:
            fields = [f for f in options.get("fields", ()) if f not in ("is_superuser", "user_permissions")]
            kept.append((name, {**options, "fields": fields}))
        return kept


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, RoleUserAdmin)
