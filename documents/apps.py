from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    """PDF rendering and its fonts, shared by every stage that prints (finance, logistics).

    It knows nothing of orders or invoices: it turns HTML into PDF with the project's CJK font."""

    name = "documents"
    label = "documents"
    verbose_name = _("Documents")
