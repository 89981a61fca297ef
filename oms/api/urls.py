"""API v1: one place that lists every endpoint; each stage's serializers live with the stage."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from oms.api.document_views import InvoicePdfView
from oms.api.order_views import OrderCancelView, OrderDetailView, OrderEventsView, OrderListCreateView
from oms.api.product_views import ProductListView
from oms.api.return_views import OrderReturnDetailView, OrderReturnParcelView, OrderReturnsView
from oms.api.shipping_documents import OrderPackingSlipView, OrderShippingLabelView
from oms.api.stock_views import StockView
from oms.integrations.shipping import CarrierWebhookView, WmsWebhookView
from oms.integrations.views import PaymentWebhookView

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(permission_classes=[], authentication_classes=[]), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema", permission_classes=[],
                                                 authentication_classes=[]), name="docs"),
    path("v1/orders", OrderListCreateView.as_view(), name="order-list"),
    path("v1/orders/<str:number>", OrderDetailView.as_view(), name="order-detail"),
    path("v1/orders/<str:number>/events", OrderEventsView.as_view(), name="order-events"),
    path("v1/orders/<str:number>/cancel", OrderCancelView.as_view(), name="order-cancel"),
    path("v1/orders/<str:number>/returns", OrderReturnsView.as_view(), name="order-returns"),
    path("v1/orders/<str:number>/returns/<str:rma>", OrderReturnDetailView.as_view(), name="order-return-detail"),
    path("v1/orders/<str:number>/returns/<str:rma>/parcel", OrderReturnParcelView.as_view(),
         name="order-return-parcel"),
    path("v1/products", ProductListView.as_view(), name="product-list"),
    path("v1/stock", StockView.as_view(), name="stock"),
    path("v1/orders/<str:number>/documents/invoice.pdf", InvoicePdfView.as_view(), name="order-invoice-pdf"),
    path("v1/orders/<str:number>/documents/packing-slip.pdf", OrderPackingSlipView.as_view(),
         name="order-packing-slip"),
    path("v1/orders/<str:number>/documents/shipping-label.pdf", OrderShippingLabelView.as_view(),
         name="order-shipping-label"),
    path("v1/webhooks/payments/<slug:provider>", PaymentWebhookView.as_view(), name="webhook-payments"),
    path("v1/webhooks/wms/<slug:warehouse>", WmsWebhookView.as_view(), name="webhook-wms"),
    path("v1/webhooks/carriers/<slug:carrier>", CarrierWebhookView.as_view(), name="webhook-carriers"),
]
