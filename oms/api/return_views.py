"""REST API v1: return requests of an order (after-sales). Parse, call one service, render.

`POST /api/v1/orders/{number}/returns` raises a return, exchange or refund without return;
`GET` lists the order's requests and `GET …/returns/{rma}` reads one (its status). The channel's
after-sales ID (`external_id`) makes creation idempotent. Same auth, scopes and error body as the
orders API; a channel-bound token only reaches its channel's orders (403 otherwise).
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from aftersales.api.serializers import ReturnCreateSerializer, ReturnParcelSerializer, ReturnRequestOutSerializer
from aftersales.selectors import return_request_for_order, return_request_list
from aftersales.services import return_request_register_parcel, return_request_submit
from oms.api.access import order_for_token
from oms.api.schema import (
    BAD_REQUEST,
    FORBIDDEN_SCOPE_OR_CHANNEL,
    UNAUTHORIZED,
    error,
    scoped,
)
from oms.api.scopes import Scope
from orders.models import Order

REPLAYED_HEADER = "Idempotent-Replayed"
ORDER_NUMBER = OpenApiParameter("number", str, OpenApiParameter.PATH, description="Order number, e.g. "
                                "SO20261124000001.")
RMA_NUMBER = OpenApiParameter("rma", str, OpenApiParameter.PATH, description="RMA number, e.g. RMA20261126000001.")
NOT_FOUND = error("No order with this number, or no such request on it.", OpenApiExample(
    "not_found", value={"type": "not_found", "detail": "Not found."}, response_only=True, status_codes=["404"]))
EXAMPLE = {"kind": "return", "reason": "quality", "description": "洗后褪色", "external_id": "TMRF20261126001",
           "lines": [{"sku": "SKU-001", "quantity": 1}]}
RULES_400 = error(
    "Bad input or a request the after-sales rules refuse: units never shipped or already returned "
    "(`lines.0.quantity`), a SKU not on the order (`lines.0.sku`), an unknown reason, an exchange for a dearer "
    "SKU, nothing shipped yet for a return or exchange, a cancelled order, a late request where the policy "
    "refuses them. Every problem is named at once; nothing is stored.",
    OpenApiExample("too_many", value={"type": "validation_error", "detail": "The request breaks the after-sales "
                                                                            "rules.",
                                      "errors": {"lines.0.quantity": ["Only 1 of SKU-001 can still be returned "
                                                                      "(shipped 2, already returned or asked for "
                                                                      "1)."]}},
                   response_only=True, status_codes=["400"]))


def _order(request, number: str) -> Order:
    return order_for_token(request.auth, number)


class OrderReturnsView(GenericAPIView):
    required_scopes = {"GET": (Scope.ORDERS_READ,), "POST": (Scope.ORDERS_WRITE,)}
    serializer_class = ReturnRequestOutSerializer

    @scoped(Scope.ORDERS_READ, summary="List an order's return requests", operation_id="orders_returns_list",
            description="Every return, exchange and refund request of the order, oldest first.",
            parameters=[ORDER_NUMBER],
            responses={200: ReturnRequestOutSerializer(many=True), 401: UNAUTHORIZED,
                       403: FORBIDDEN_SCOPE_OR_CHANNEL, 404: NOT_FOUND})
    def get(self, request, number: str):
        order = _order(request, number)
        rows = return_request_list(order=order).order_by("created_at", "pk")
        return Response(ReturnRequestOutSerializer(rows, many=True).data)

    @scoped(
        Scope.ORDERS_WRITE, summary="Raise a return, exchange or refund request", operation_id="orders_returns_create",
        description=(
            "Checked against the after-sales rules at once. Within the rules the request is `requested` (or already "
            "`approved` where the policy approves automatically). Late requests (after the return window counted "
            "from delivery) and refunds without return above the approval threshold are stored with "
            "`needs_approval: true` and the reasons, and wait for a manager. A refund without return before "
            "anything shipped cancels the order once approved (`before_shipment: true`).\n\n"
            "Idempotent on `external_id`: the same ID with the same request answers 200 with the stored request and "
            "`Idempotent-Replayed: true`; with other contents, 409 `idempotency_conflict`."
        ),
        parameters=[ORDER_NUMBER, OpenApiParameter("Location", str, OpenApiParameter.HEADER, response=[200, 201],
                                                   description="URL of the request.")],
        request=ReturnCreateSerializer,
        examples=[OpenApiExample("Return after a quality problem", value=EXAMPLE, request_only=True)],
        responses={
            201: OpenApiResponse(ReturnRequestOutSerializer, description="Created."),
            200: OpenApiResponse(ReturnRequestOutSerializer, description="Replay of the same `external_id`."),
            400: RULES_400, 401: UNAUTHORIZED, 403: FORBIDDEN_SCOPE_OR_CHANNEL, 404: NOT_FOUND,
            409: error("`idempotency_conflict`: this `external_id` was used for another request on this order."),
        },
    )
    def post(self, request, number: str):
        order = _order(request, number)
        serializer = ReturnCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = return_request_submit(
            order=order, kind=data["kind"], reason=data["reason"], lines=ReturnCreateSerializer.line_inputs(data),
            description=data.get("description") or "", channel_ref=data.get("external_id") or "",
            return_carrier=data.get("return_carrier") or "",
            return_tracking_number=data.get("return_tracking_number") or "", actor=request.user)
        rma = return_request_for_order(order=order, number=result.request.number)
        headers = {"Location": request.build_absolute_uri(reverse("api:order-return-detail",
                                                                  args=[order.number, rma.number]))}
        if result.replayed:
            headers[REPLAYED_HEADER] = "true"
        return Response(ReturnRequestOutSerializer(rma).data, headers=headers,
                        status=status.HTTP_200_OK if result.replayed else status.HTTP_201_CREATED)


class OrderReturnDetailView(GenericAPIView):
    required_scopes = (Scope.ORDERS_READ,)
    serializer_class = ReturnRequestOutSerializer

    @scoped(Scope.ORDERS_READ, summary="Get a return request (its status)", operation_id="orders_returns_retrieve",
            description="`status`: `requested` → `approved` / `rejected` → `awaiting_return` → `received` → "
                        "`inspected` → `refunded` / `exchanged` → `closed`. A refund without return goes "
                        "`approved` → `refunded`. Lines show what was received and how QC judged it.",
            parameters=[ORDER_NUMBER, RMA_NUMBER],
            responses={200: ReturnRequestOutSerializer, 401: UNAUTHORIZED, 403: FORBIDDEN_SCOPE_OR_CHANNEL,
                       404: NOT_FOUND})
    def get(self, request, number: str, rma: str):
        order = _order(request, number)
        return Response(ReturnRequestOutSerializer(return_request_for_order(order=order, number=rma)).data)


class OrderReturnParcelView(GenericAPIView):
    required_scopes = (Scope.ORDERS_WRITE,)
    serializer_class = ReturnParcelSerializer

    @scoped(Scope.ORDERS_WRITE, summary="Register the customer's return parcel", operation_id="orders_returns_parcel",
            description="The customer sent the goods back: the carrier and waybill number let the warehouse find the "
                        "parcel. Moves an `approved` request to `awaiting_return`; on `awaiting_return` it corrects "
                        "the waybill. Otherwise 409 `invalid_transition`.",
            parameters=[ORDER_NUMBER, RMA_NUMBER], request=ReturnParcelSerializer,
            responses={200: ReturnRequestOutSerializer, 400: BAD_REQUEST, 401: UNAUTHORIZED,
                       403: FORBIDDEN_SCOPE_OR_CHANNEL, 404: NOT_FOUND,
                       409: error("`invalid_transition`: not approved yet, already received, or a refund without "
                                  "return.")})
    def post(self, request, number: str, rma: str):
        order = _order(request, number)
        found = return_request_for_order(order=order, number=rma)
        serializer = ReturnParcelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return_request_register_parcel(request=found, carrier=serializer.validated_data.get("carrier") or "",
                                       tracking_number=serializer.validated_data["tracking_number"],
                                       actor=request.user)
        return Response(ReturnRequestOutSerializer(return_request_for_order(order=order, number=rma)).data)

