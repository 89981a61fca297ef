"""Admin building blocks shared by the stages."""

from django.contrib import admin


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
