"""REST API v1: orders (contract `contracts/api-v1.md`, "Orders"). Parse, call one service, render."""

from __future__ import annotations

import re

from django.urls import reverse
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from core.errors import ValidationFailed
from oms.api.access import ensure_token_channel, order_for_token, token_sees_pii
from oms.api.pagination import OrderPagination
from oms.api.parsing import parse_order_payload
from oms.api.representation import OrderOutSerializer, order_created_for_api, order_for_api, order_list_for_api
from oms.api.schema import (
    BAD_REQUEST,
    FORBIDDEN_SCOPE_OR_CHANNEL,
    NOT_FOUND,
    UNAUTHORIZED,
    error,
    scoped,
)
from oms.api.scopes import Scope
from oms.api.services import api_order_submit, request_hash
from orders.api.filters import OrderApiFilter
from orders.api.selectors import order_events_for_api
from orders.api.serializers import OrderCancelSerializer, OrderCreateSerializer, OrderEventOutSerializer
from orders.services import order_cancel

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
_IDEMPOTENCY_KEY_RE = re.compile(r"^[\x21-\x7e]{1,255}$")

ORDER_NUMBER = OpenApiParameter("number", str, OpenApiParameter.PATH, description="Order number, e.g. "
                                "SO20261124000001.")
LOCATION = OpenApiParameter("Location", str, OpenApiParameter.HEADER, response=[200, 201],
                            description="URL of the order.")
REPLAYED = OpenApiParameter(REPLAYED_HEADER, str, OpenApiParameter.HEADER, response=[200], enum=["true"],
                            description="Present (`true`) when this answer repeats an earlier request's order.")
IDEMPOTENCY_KEY = OpenApiParameter(
    IDEMPOTENCY_HEADER, str, OpenApiParameter.HEADER, required=False, pattern=r"^[\x21-\x7e]{1,255}$",
    description=(
        "Optional client-chosen key (1–255 visible ASCII characters), scoped to the token. The same key with "
        "the same body answers 200 with the first request's order and `Idempotent-Replayed: true`; the same key "
        "with a different body answers 409 `idempotency_conflict`. Requests are also idempotent on "
        "(channel, external_id) without a key: same body → 200 replay, different body → 409 `duplicate_order`."
    ),
)
CONTRACT_EXAMPLE = {
    "channel": "tmall", "external_id": "TM20261124000001", "ordered_at": "2026-11-24T10:15:00+08:00",
    "customer": {"name": "张三", "phone": "13812341234", "email": "zs@example.com"},
    "shipping_address": {"recipient": "张三", "phone": "13812341234", "province": "浙江省", "city": "杭州市",
                         "district": "西湖区", "detail": "文三路100号", "postal_code": "310000"},
    "lines": [{"sku": "SKU-001", "quantity": 2, "unit_price": "199.00", "discount": "0.00"}],
    "shipping_fee": "10.00",
    "payment": {"method": "alipay", "paid_amount": "408.00", "transaction_id": "2026112422001"},
    "note": "请尽快发货",
}


class TokenViewMixin:
    """Serializer context with the token's PII right; orders queryset limited to a bound channel."""

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["pii"] = token_sees_pii(self.request.auth) if self.request.auth else False
        return context

    def render_order(self, order, **kwargs) -> Response:
        return Response(OrderOutSerializer(order, context=self.get_serializer_context()).data, **kwargs)


class OrderListCreateView(TokenViewMixin, GenericAPIView):
    required_scopes = {"GET": (Scope.ORDERS_READ,), "POST": (Scope.ORDERS_WRITE,)}
    serializer_class = OrderOutSerializer
    pagination_class = OrderPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = OrderApiFilter

    def get_queryset(self):
        token = self.request.auth
        return order_list_for_api(channel_id=token.channel_id if token else None)

    @scoped(
        Scope.ORDERS_READ,
        summary="List orders",
        description=(
            "Newest first (by creation time), 100 a page, cursor pagination: follow `next` until it is null. "
            "Filters combine; a bad filter value is a 400 naming the parameter. A channel-bound token sees only its "
            "channel's orders, and `channel=` another channel is a 403. Phones and e-mails are masked unless the "
            "token has `pii:read`."
        ),
        responses={200: OrderOutSerializer(many=True), 400: BAD_REQUEST, 401: UNAUTHORIZED,
                   403: FORBIDDEN_SCOPE_OR_CHANNEL},
    )
    def get(self, request):
        channel = request.query_params.get("channel")
        if channel:
            ensure_token_channel(request.auth, channel)
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @scoped(
        Scope.ORDERS_WRITE,
        summary="Create an order",
        description=(
            "Creates the order and reviews it at once, so the answer's status may already be `awaiting_payment`, "
            "`awaiting_shipment` or `on_hold`. `total = Σ(quantity × unit_price − discount) + shipping_fee`; a "
            "payment whose `paid_amount` equals the total confirms payment, any other amount sends the order to "
            "manual review.\n\n"
            "Types are strict: quantities are JSON integers, money is a string with at most two decimals, "
            "`ordered_at` needs a UTC offset, unknown keys are refused. Optional: `customer.email`, "
            "`shipping_address.district`, `shipping_address.postal_code`, `lines[].discount`, `payment`, `note`, "
            "`invoice` (omit them or send null). Every bad field is named at once; nothing is stored on any error."
            "\n\n`invoice` is the buyer's invoice request (发票抬头): `type` `normal` (普通发票, the default) or "
            "`special` (增值税专用发票), `title`, `tax_id`, `address_phone`, `bank_account`. It is checked as finance "
            "checks an invoice before issuing it: a special invoice needs the taxpayer ID, registered address and "
            "phone, and bank and account; a taxpayer ID must be an 18-character unified social credit code (check "
            "digit included) or the 15/17/20 characters of older registrations. Errors are named "
            "`invoice.tax_id` and so on. The invoice issued for the order carries these details; the order "
            "representation does not repeat them.\n\n"
            "Idempotent on (channel, external_id) and on the `Idempotency-Key` header; see the header's description."
        ),
        parameters=[IDEMPOTENCY_KEY, LOCATION, REPLAYED],
        request=OrderCreateSerializer,
        examples=[OpenApiExample("Contract example", value=CONTRACT_EXAMPLE, request_only=True)],
        responses={
            201: OpenApiResponse(OrderOutSerializer, description="Created."),
            200: OpenApiResponse(OrderOutSerializer, description="Replay of an earlier identical request "
                                                                 "(`Idempotent-Replayed: true`)."),
            400: BAD_REQUEST,
            401: UNAUTHORIZED,
            403: error("The token lacks `orders:write`, or is bound to another channel than `channel`."),
            409: error("`idempotency_conflict`: the Idempotency-Key was used with another body; `duplicate_order`: "
                       "this channel order exists with another body."),
        },
    )
    def post(self, request):
        token = request.auth
        key = request.headers.get(IDEMPOTENCY_HEADER, "")
        if IDEMPOTENCY_HEADER in request.headers and not _IDEMPOTENCY_KEY_RE.match(key):
            raise ValidationFailed(errors={IDEMPOTENCY_HEADER: [
                _("Must be 1 to 255 visible ASCII characters.")]})
        payload = request.data
        channel = payload.get("channel") if isinstance(payload, dict) else None
        if isinstance(channel, str):
            ensure_token_channel(token, channel)
        parsed = parse_order_payload(payload)
        result = api_order_submit(token=token, data=parsed.data, payment=parsed.payment,
                                  request_hash=request_hash(payload), idempotency_key=key, actor=request.user)
        order = order_for_api(number=result.order.number) if result.replayed else order_created_for_api(result.order)
        headers = {"Location": request.build_absolute_uri(reverse("api:order-detail", args=[order.number]))}
        if result.replayed:
            headers[REPLAYED_HEADER] = "true"
        return self.render_order(order, status=status.HTTP_200_OK if result.replayed else status.HTTP_201_CREATED,
                                 headers=headers)


class OrderDetailView(TokenViewMixin, GenericAPIView):
    required_scopes = (Scope.ORDERS_READ,)
    serializer_class = OrderOutSerializer

    @scoped(Scope.ORDERS_READ, summary="Get an order", parameters=[ORDER_NUMBER],
            responses={200: OrderOutSerializer, 401: UNAUTHORIZED, 403: FORBIDDEN_SCOPE_OR_CHANNEL,
                       404: NOT_FOUND})
    def get(self, request, number: str):
        return self.render_order(order_for_token(request.auth, number))


class OrderEventsView(TokenViewMixin, GenericAPIView):
    required_scopes = (Scope.ORDERS_READ,)
    serializer_class = OrderEventOutSerializer

    @scoped(
        Scope.ORDERS_READ, summary="The order's timeline", operation_id="orders_events",
        description="Every event, oldest first: status changes, payments, goods movements, notes. Messages are in "
                    "Chinese; phones and e-mails in messages and data are masked unless the token has `pii:read`.",
        parameters=[ORDER_NUMBER],
        responses={200: OrderEventOutSerializer(many=True), 401: UNAUTHORIZED, 403: FORBIDDEN_SCOPE_OR_CHANNEL,
                   404: NOT_FOUND},
    )
    def get(self, request, number: str):
        order = order_for_token(request.auth, number)
        return Response(self.get_serializer(order_events_for_api(order=order), many=True).data)


class OrderCancelView(TokenViewMixin, GenericAPIView):
    required_scopes = (Scope.ORDERS_WRITE,)
    serializer_class = OrderCancelSerializer

    @scoped(
        Scope.ORDERS_WRITE, summary="Cancel an order", operation_id="orders_cancel",
        description="Cancels an order that has not shipped; reserved stock is released and payments refunded by the "
                    "stages that hold them. Once an order has shipped (or is already cancelled or completed) the "
                    "answer is 409 `invalid_transition`.",
        parameters=[ORDER_NUMBER],
        request=OrderCancelSerializer,
        responses={200: OrderOutSerializer, 400: BAD_REQUEST, 401: UNAUTHORIZED, 403: FORBIDDEN_SCOPE_OR_CHANNEL,
                   404: NOT_FOUND,
                   409: error("`invalid_transition`: the order can no longer be cancelled.", OpenApiExample(
                       "invalid_transition", value={"type": "invalid_transition",
                                                    "detail": "Cannot cancel while the status is “已发货”."},
                       response_only=True, status_codes=["409"]))},
    )
    def post(self, request, number: str):
        order = order_for_token(request.auth, number)
        serializer = OrderCancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order_cancel(order=order, actor=request.user, reason=serializer.validated_data["reason"])
        return self.render_order(order_for_api(number=number))
