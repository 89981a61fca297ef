from rest_framework.permissions import BasePermission


class HasTokenScopes(BasePermission):
    def has_permission(self, request, view):
        return False
