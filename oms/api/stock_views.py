"""`GET /api/v1/stock` and `GET /api/v1/products` (scope `stock:read`).

Token authentication and the scope check come from the REST framework settings; views only declare
`required_scopes`. A token bound to a channel (`request.auth.channel`) sees that channel's
available-to-promise (`inventory.models.ChannelStockRule`).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory.api.serializers import StockLevelSerializer, StockQuerySerializer
from inventory.selectors import stock_levels
from oms.catalog.api.serializers import ProductSerializer
from oms.catalog.selectors import normalise_sku, product_list, products_by_sku
from oms.core.errors import ValidationFailed


def token_channel(request):
    """The channel the calling token is bound to, or None."""
    return getattr(request.auth, "channel", None)


class StockView(APIView):
    required_scopes = ["stock:read"]

    @extend_schema(
        operation_id="stock_list",
        parameters=[OpenApiParameter("sku", str, many=True, required=True, explode=True,
                                     description="SKU to look up; repeat for several (at most 100).")],
        responses=inline_serializer("StockList", {"results": StockLevelSerializer(many=True)}),
    )
    def get(self, request):
        query = StockQuerySerializer(data={"sku": request.query_params.getlist("sku")})
        query.is_valid(raise_exception=True)
        skus = query.validated_data["sku"]
        known = products_by_sku(skus)
        unknown = {f"sku.{i}": [_("Unknown SKU “%(sku)s”.") % {"sku": sku}]
                   for i, sku in enumerate(skus) if normalise_sku(sku) not in known}
        if unknown:
            raise ValidationFailed(errors=unknown)
        rows = stock_levels(skus=skus, channel=token_channel(request))
        return Response({"results": StockLevelSerializer(rows, many=True).data})


class ProductCursorPagination(CursorPagination):
    page_size = 100
    ordering = "sku"

    def get_paginated_response(self, data):
        return Response({"results": data, "next": self.get_next_link()})

    def get_paginated_response_schema(self, schema):
        return {"type": "object", "required": ["results", "next"],
                "properties": {"results": schema, "next": {"type": "string", "nullable": True, "format": "uri"}}}


class ProductListView(APIView):
    required_scopes = ["stock:read"]
    pagination_class = ProductCursorPagination

    @extend_schema(operation_id="product_list", responses=ProductSerializer(many=True),
                   parameters=[OpenApiParameter("cursor", str, required=False)])
    def get(self, request):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(product_list(), request, view=self)
        return paginator.get_paginated_response(ProductSerializer(page, many=True).data)
