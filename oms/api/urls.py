"""API v1: one place that lists every endpoint; each stage's serializers live with the stage."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from oms.api.stock_views import ProductListView, StockView

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(permission_classes=[], authentication_classes=[]), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema", permission_classes=[],
                                                 authentication_classes=[]), name="docs"),
    path("v1/stock", StockView.as_view(), name="stock"),
    path("v1/products", ProductListView.as_view(), name="products"),
]
