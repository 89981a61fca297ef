"""Filters of the manual review queue (django-filter), applied by `selectors.order_list_for_review`."""

from __future__ import annotations

import django_filters
from django import forms
from django.db import connection
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from oms.workflow.checks import HOLD_REASON_LABELS
from orders.models import Channel, OrderPriority


class AssignedChoice:
    ME = "me"
    UNASSIGNED = "unassigned"
    MY_TEAM = "my_team"  # routed to a team (role) the user is in


class SortChoice:
    OLDEST = "oldest"
    NEWEST = "newest"
    AMOUNT_DESC = "amount_desc"
    AMOUNT_ASC = "amount_asc"
    ORDERED = "ordered"


SORTS = {
    SortChoice.OLDEST: ("created_at", "id"),
    SortChoice.NEWEST: ("-created_at", "-id"),
    SortChoice.AMOUNT_DESC: ("-total", "id"),
    SortChoice.AMOUNT_ASC: ("total", "id"),
    SortChoice.ORDERED: ("ordered_at", "id"),
}
DEFAULT_SORT = SortChoice.OLDEST


def with_hold_reason(queryset, code: str):
    """Orders whose `hold_reasons` list contains `code`."""
    if connection.features.supports_json_field_contains:
        return queryset.filter(hold_reasons__contains=[code])
    # SQLite has no JSON containment; the stored list is text, each code quoted.
    return queryset.annotate(_reasons_text=Cast("hold_reasons", TextField())).filter(
        _reasons_text__contains=f'"{code}"')


def hold_reason_choices():
    return [(code, label) for code, label in HOLD_REASON_LABELS.items()]


class ReviewQueueFilter(django_filters.FilterSet):
    channel = django_filters.ModelChoiceFilter(
        queryset=Channel.objects.order_by("code"), label=_("Channel"), empty_label=_("All channels"))
    reason = django_filters.ChoiceFilter(
        choices=hold_reason_choices, method="filter_reason", label=_("Hold reason"), empty_label=_("All reasons"))
    total_min = django_filters.NumberFilter(
        field_name="total", lookup_expr="gte", label=_("Amount from"),
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "placeholder": "¥"}))
    total_max = django_filters.NumberFilter(
        field_name="total", lookup_expr="lte", label=_("Amount to"),
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "placeholder": "¥"}))
    ordered = django_filters.DateFromToRangeFilter(
        field_name="ordered_at", label=_("Ordered between"),
        widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"}))
    assigned = django_filters.ChoiceFilter(
        choices=[(AssignedChoice.ME, _("Assigned to me")), (AssignedChoice.MY_TEAM, _("Assigned to my team")),
                 (AssignedChoice.UNASSIGNED, _("Unassigned"))],
        method="filter_assigned", label=_("Assignee"), empty_label=_("Anyone"))
    priority = django_filters.ChoiceFilter(choices=OrderPriority.choices, label=_("Priority"),
                                           empty_label=_("Any priority"))
    tag = django_filters.CharFilter(field_name="tags__name", lookup_expr="exact", label=_("Tag"), distinct=True)
    sort = django_filters.ChoiceFilter(
        choices=[(SortChoice.OLDEST, _("Waiting longest first")), (SortChoice.NEWEST, _("Newest first")),
                 (SortChoice.AMOUNT_DESC, _("Amount, highest first")),
                 (SortChoice.AMOUNT_ASC, _("Amount, lowest first")),
                 (SortChoice.ORDERED, _("Order date"))],
        method="sort_by", label=_("Sort"), empty_label=None)

    def __init__(self, data=None, *args, user=None, **kwargs):
        self.user = user
        super().__init__(data, *args, **kwargs)

    def filter_reason(self, queryset, name, value):
        return with_hold_reason(queryset, value) if value else queryset

    def filter_assigned(self, queryset, name, value):
        if value == AssignedChoice.ME:
            return queryset.filter(assigned_to=self.user) if self.user is not None else queryset.none()
        if value == AssignedChoice.UNASSIGNED:
            return queryset.filter(assigned_to__isnull=True)
        if value == AssignedChoice.MY_TEAM:
            if self.user is None:
                return queryset.none()
            teams = list(self.user.groups.values_list("name", flat=True))
            return queryset.filter(assigned_team__in=teams)
        return queryset

    def sort_by(self, queryset, name, value):
        return queryset.order_by(*SORTS.get(value, SORTS[DEFAULT_SORT]))

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("sort"):
            queryset = queryset.order_by(*SORTS[DEFAULT_SORT])
        return queryset
