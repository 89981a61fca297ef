"""REST API v1: `GET /api/v1/stock?sku=…[&sku=…]` (contract "Stock"). Parse, call one selector, render.

A token bound to a channel sees that channel's available-to-promise (`inventory.models.ChannelStockRule`:
a share and/or a cap of what is available); `on_hand` and `reserved` are the same for everyone.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, inline_serializer
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from catalog.selectors import normalise_sku, products_by_sku
from core.errors import ValidationFailed
from inventory.api.serializers import StockLevelSerializer, StockQuerySerializer
from inventory.selectors import stock_levels
from oms.api.schema import BAD_REQUEST, FORBIDDEN_SCOPE, UNAUTHORIZED, scoped
from oms.api.scopes import Scope

SKU = OpenApiParameter("sku", str, many=True, required=True, explode=True,
                       description="A SKU; repeat for several (`?sku=SKU-001&sku=SKU-002`, at most 100). "
                                   "Case does not matter.")


class StockView(GenericAPIView):
    required_scopes = (Scope.STOCK_READ,)
    serializer_class = StockLevelSerializer

    @scoped(
        Scope.STOCK_READ, summary="Stock per SKU and warehouse", parameters=[SKU],
        description="One row per SKU and active warehouse that stocks it (a SKU stocked nowhere has no rows). "
                    "`available` = on hand − reserved − safety stock, never below zero; for a token bound to a "
                    "channel it is that channel's available-to-promise (a share and/or a cap per warehouse).",
        responses={
            200: inline_serializer("StockList", {"results": StockLevelSerializer(many=True)}),
            400: BAD_REQUEST, 401: UNAUTHORIZED, 403: FORBIDDEN_SCOPE,
        },
        examples=[OpenApiExample("stock", response_only=True, status_codes=["200"], value={"results": [
            {"sku": "SKU-001", "warehouse": "SH01", "on_hand": 10, "reserved": 2, "available": 8}]})],
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
        channel = request.auth.channel if request.auth.channel_id else None
        rows = stock_levels(skus=skus, channel=channel)
        return Response({"results": self.get_serializer(rows, many=True).data})
