"""REST API v1: `GET /api/v1/products` (contract "Catalog and documents")."""

from __future__ import annotations

from rest_framework.generics import GenericAPIView

from catalog.api.serializers import ProductOutSerializer
from catalog.selectors import product_list
from oms.api.pagination import ProductPagination
from oms.api.schema import FORBIDDEN_SCOPE, UNAUTHORIZED, error, scoped
from oms.api.scopes import Scope


class ProductListView(GenericAPIView):
    required_scopes = (Scope.STOCK_READ,)
    serializer_class = ProductOutSerializer
    pagination_class = ProductPagination

    def get_queryset(self):
        return product_list()

    @scoped(
        Scope.STOCK_READ, summary="List products",
        description="Every product, active or not, by SKU; 100 a page, cursor pagination: follow `next` until null.",
        responses={200: ProductOutSerializer(many=True), 400: error("Bad `cursor` or `limit`."),
                   401: UNAUTHORIZED, 403: FORBIDDEN_SCOPE},
    )
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
