"""Input of the review workbench: every decision carries a comment."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from orders.services import ADDRESS_FIELDS

PAGE_SIZES = (20, 50, 100)


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=pgettext_lazy("decision", "Comment"), max_length=500, strip=True,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60,
                                     "placeholder": _("Why? (required, shown on the timeline)")}),
        error_messages={"required": _("A comment is required.")},
    )


class BulkApproveForm(CommentForm):
    orders = forms.TypedMultipleChoiceField(coerce=int, error_messages={"required": _("Select at least one order.")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any id is acceptable here; the service decides per order and reports refusals.
        self.fields["orders"].valid_value = lambda value: str(value).isdigit()


class AddressForm(CommentForm):
    """The shipping address of an order. The phone is only pre-filled for users who may see it;
    left empty it stays as it is."""

    recipient = forms.CharField(label=_("Recipient"), max_length=100)
    phone = forms.CharField(label=_("Recipient phone"), max_length=32, required=False)
    province = forms.CharField(label=_("Province"), max_length=32)
    city = forms.CharField(label=_("City"), max_length=32)
    district = forms.CharField(label=_("District"), max_length=32, required=False)
    address_detail = forms.CharField(label=_("Street address"), max_length=255)
    postal_code = forms.CharField(label=_("Postal code"), max_length=12, required=False)

    field_order = [*ADDRESS_FIELDS, "comment"]

    def __init__(self, *args, order, can_view_pii: bool, **kwargs):
        initial = {name: getattr(order, name) for name in ADDRESS_FIELDS}
        if not can_view_pii:
            initial["phone"] = ""
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.order = order
        self.fields["phone"].widget.attrs["placeholder"] = _("Leave empty to keep the current number")

    def clean(self):
        cleaned = super().clean()
        changes = {}
        for name in ADDRESS_FIELDS:
            if name not in cleaned:
                continue
            value = cleaned[name]
            if name == "phone" and not value:
                continue
            if value != getattr(self.order, name):
                changes[name] = value
        if not changes and not self.errors:
            raise forms.ValidationError(_("Nothing was changed."))
        self.changes = changes
        return cleaned


def page_size(raw) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return PAGE_SIZES[0]
    return value if value in PAGE_SIZES else PAGE_SIZES[0]


_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")  # ISO: what a date input takes


class DelegationForm(forms.Form):
    """Delegate my approvals to a colleague while I am away (both days included)."""

    delegate = forms.ModelChoiceField(label=_("Delegate to"), queryset=None)
    starts_on = forms.DateField(label=pgettext_lazy("period", "From"), widget=_DATE)
    ends_on = forms.DateField(label=pgettext_lazy("period", "To"), widget=_DATE)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        from django.contrib.auth import get_user_model

        self.fields["delegate"].queryset = (get_user_model().objects.filter(is_active=True, is_staff=True)
                                            .exclude(pk=user.pk).order_by("username"))
