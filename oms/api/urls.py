"""API v1: one place that lists every endpoint; each stage's serializers live with the stage."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from oms.api.document_views import InvoicePdfView
from oms.integrations.views import PaymentWebhookView

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(permission_classes=[], authentication_classes=[]), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema", permission_classes=[],
                                                 authentication_classes=[]), name="docs"),
    path("v1/orders/<str:number>/documents/invoice.pdf", InvoicePdfView.as_view(), name="order-invoice-pdf"),
    path("v1/webhooks/payments/<slug:provider>", PaymentWebhookView.as_view(), name="webhook-payments"),
]
