from django import forms
from django.utils.translation import gettext_lazy as _

from oms.imports.readers import ACCEPT, FORMATS


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Order file"),
        help_text=FORMATS,
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )
