"""Warehouses and carriers: shipping instructions out (outbox), WMS and tracking webhooks in (inbox).

Out: the logistics stage fires `hooks.shipping_instruction` when a shipment of a WMS-run warehouse
is planned or withdrawn; `write_shipping_instruction` puts it in the outbox in that transaction.

In (contract api-v1.md):
- `POST /api/v1/webhooks/wms/{warehouse}` — `{"event_id", "order_number", "event": picked|packed|shipped,
  "carrier", "tracking_number", "weight_kg", "lines": [{"sku", "quantity"}]}`; `lines` ships part of
  the order (all it holds in that warehouse when omitted);
- `POST /api/v1/webhooks/carriers/{carrier}` — `{"event_id", "tracking_number", "status":
  in_transit|out_for_delivery|delivered|exception, "occurred_at", "location", "description"}`.

Both are signed and stored before processing by the inbox (`oms.integrations.inbox`); an unknown
warehouse, carrier, order or tracking number is a 404. Processing goes through the logistics
services and is idempotent: a WMS `shipped` for a parcel that already left, or a tracking report
seen before, changes nothing.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers

from core import hooks
from core.errors import NotFound, ValidationFailed
from inventory.models import Warehouse
from logistics.models import IN_WAREHOUSE_STATUSES, Carrier, Shipment, TrackingStatus
from logistics.selectors import shipment_by_tracking
from logistics.services import ReportedLine, WmsEvent, shipment_track, wms_report
from oms.integrations import inbox, signing
from oms.integrations.models import WebhookKind
from oms.integrations.outbox import outbox_write
from oms.integrations.views import ACK, WebhookView
from orders.models import Order


# -- out: shipping instructions ---------------------------------------------------------------------------
def write_shipping_instruction(payload: hooks.ShippingInstruction) -> None:
    shipment = payload.shipment
    outbox_write(kind=WebhookKind.WMS, destination=shipment.warehouse.code,
                 topic=f"shipping_instruction.{payload.action}", message_id=payload.payload["instruction_id"],
                 payload=payload.payload, key=shipment.number, order_number=shipment.order.number)


# -- in: WMS reports ----------------------------------------------------------------------------------------
class WmsLineSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    quantity = serializers.IntegerField(min_value=1)


class WmsEventSerializer(serializers.Serializer):
    event_id = serializers.CharField(max_length=100)
    order_number = serializers.CharField(max_length=32)
    event = serializers.ChoiceField(choices=WmsEvent.ALL)
    carrier = serializers.ChoiceField(choices=Carrier.values, required=False, allow_blank=True, default="")
    tracking_number = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    weight_kg = serializers.DecimalField(max_digits=8, decimal_places=3, min_value=Decimal("0.001"), required=False,
                                         allow_null=True, default=None)
    lines = WmsLineSerializer(many=True, required=False, allow_null=True, default=None)

    def validate(self, data):
        if data["event"] == WmsEvent.SHIPPED and not data["tracking_number"].strip():
            raise serializers.ValidationError({"tracking_number": _("A shipped parcel needs its tracking number.")})
        if data["lines"] == []:
            raise serializers.ValidationError({"lines": _("Leave lines out to ship everything, or name some.")})
        return data


def resolve_wms(data: dict) -> None:
    order = Order.objects.filter(number=data["order_number"]).first()
    if order is None:
        raise NotFound(_("Unknown order %(number)s.") % {"number": data["order_number"]})
    if data["lines"]:
        skus = {line.sku.upper() for line in order.lines.all()}
        errors = {f"lines.{i}.sku": [_("%(sku)s is not in order %(order)s.") % {"sku": line["sku"],
                                                                                "order": order.number}]
                  for i, line in enumerate(data["lines"]) if line["sku"].strip().upper() not in skus}
        if errors:
            raise ValidationFailed(errors=errors)


def handle_wms(event, data: dict, actor) -> None:
    warehouse = Warehouse.objects.get(code=event.sender)
    order = Order.objects.get(number=data["order_number"])
    lines = [ReportedLine(sku=line["sku"], quantity=line["quantity"]) for line in data["lines"]] \
        if data["lines"] else None
    wms_report(order=order, warehouse=warehouse, event=data["event"], carrier=data["carrier"],
               tracking_number=data["tracking_number"], weight_kg=data["weight_kg"], lines=lines, actor=actor)


# -- in: carrier tracking -------------------------------------------------------------------------------------
class CarrierEventSerializer(serializers.Serializer):
    event_id = serializers.CharField(max_length=100)
    tracking_number = serializers.CharField(max_length=64)
    status = serializers.ChoiceField(choices=TrackingStatus.values)
    occurred_at = serializers.DateTimeField()
    location = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    description = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class NotShippedYet(Exception):
    """A carrier scanned a parcel whose `shipped` report has not arrived yet: retried with back-off."""


def resolve_carrier(data: dict) -> None:
    # The view checked the number against the carrier in the URL; the inbox knows only the body.
    if not Shipment.objects.filter(tracking_number=data["tracking_number"].strip()).exists():
        raise NotFound(_("Unknown tracking number %(number)s.") % {"number": data["tracking_number"]})


def handle_carrier(event, data: dict, actor) -> None:
    shipment = shipment_by_tracking(carrier=event.sender, tracking_number=data["tracking_number"])
    if shipment is None:
        raise NotFound(_("Unknown tracking number %(number)s.") % {"number": data["tracking_number"]})
    if shipment.status in IN_WAREHOUSE_STATUSES:
        raise NotShippedYet(f"{shipment.number} has not been reported shipped yet")
    # A delivery becomes `order.delivered` through the `shipment_delivered` hook (also for one confirmed by hand).
    shipment_track(shipment=shipment, status=data["status"], occurred_at=data["occurred_at"],
                   location=data["location"], description=data["description"], source=data["event_id"], actor=actor)


inbox.register_handler(inbox.WebhookHandler(kind=WebhookKind.WMS, serializer=WmsEventSerializer,
                                            resolve=resolve_wms, handle=handle_wms))
inbox.register_handler(inbox.WebhookHandler(kind=WebhookKind.CARRIERS, serializer=CarrierEventSerializer,
                                            resolve=resolve_carrier, handle=handle_carrier))


# -- views ----------------------------------------------------------------------------------------------------
class _KnownSenderWebhookView(WebhookView):
    """Checks the signature first (401), then what the URL and body name (404), then hands over to the inbox."""

    def check_known(self, sender: str, payload) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def post(self, request, **kwargs):
        sender = kwargs[self.sender_kwarg]
        if len(sender) > inbox.SENDER_MAX_LENGTH or "\x00" in sender:
            raise NotFound(_("Unknown webhook sender."))
        try:
            signing.verify(header=request.headers.get(signing.HEADER), body=request.body,
                           secrets=inbox.secrets_for(self.kind, sender),
                           tolerance=settings.OMS_WEBHOOK_TOLERANCE_SECONDS)
        except (signing.SignatureError, inbox.Unauthorized):
            pass  # the inbox answers 401
        else:
            try:
                payload = inbox.parse_body(request.body)
            except ValidationFailed:
                payload = None  # the inbox answers 400
            self.check_known(sender, payload)
        return super().post(request, **kwargs)


SIGNATURE = OpenApiParameter("X-OMS-Signature", str, OpenApiParameter.HEADER, required=True,
                             description="`t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<raw body>\">`.")


class WmsWebhookView(_KnownSenderWebhookView):
    kind = WebhookKind.WMS
    sender_kwarg = "warehouse"

    def check_known(self, sender: str, payload) -> None:
        if not Warehouse.objects.filter(code=sender).exists():
            raise NotFound(_("Unknown warehouse “%(code)s”.") % {"code": sender})

    @extend_schema(
        summary="Warehouse (WMS) report", operation_id="webhooks_wms",
        description="A warehouse management system reports `picked`, `packed` or `shipped` (with carrier, tracking "
                    "number and weight) for an order's parcels in warehouse `{warehouse}`. `lines` ships part of "
                    "the order; without it, everything the order holds in that warehouse ships. Signed, stored "
                    "before processing; a repeated event_id is acknowledged with 200 and changes nothing.",
        request=WmsEventSerializer, parameters=[SIGNATURE],
        responses={200: ACK, 400: OpenApiResponse(description="invalid body"),
                   401: OpenApiResponse(description="bad, missing or stale signature"),
                   404: OpenApiResponse(description="unknown warehouse or order")},
        auth=[],
    )
    def post(self, request, **kwargs):
        return super().post(request, **kwargs)


class CarrierWebhookView(_KnownSenderWebhookView):
    kind = WebhookKind.CARRIERS
    sender_kwarg = "carrier"

    def check_known(self, sender: str, payload) -> None:
        if sender not in Carrier.values:
            raise NotFound(_("Unknown carrier “%(code)s”.") % {"code": sender})
        number = payload.get("tracking_number") if isinstance(payload, dict) else None
        if isinstance(number, str) and number.strip() and "\x00" not in number and shipment_by_tracking(carrier=sender,
                                                                                tracking_number=number) is None:
            raise NotFound(_("Unknown tracking number %(number)s.") % {"number": number})

    @extend_schema(
        summary="Carrier tracking report", operation_id="webhooks_carriers",
        description="A carrier (`sf`, `zto`, `yto`, `sto`, `yunda`, `jd`, `ems`) reports `in_transit`, "
                    "`out_for_delivery`, `delivered` or `exception` for a tracking number. When every shipment of "
                    "an order is delivered the order becomes `completed`. Signed, stored before processing; a "
                    "repeated event_id is acknowledged with 200 and changes nothing.",
        request=CarrierEventSerializer, parameters=[SIGNATURE],
        responses={200: ACK, 400: OpenApiResponse(description="invalid body"),
                   401: OpenApiResponse(description="bad, missing or stale signature"),
                   404: OpenApiResponse(description="unknown carrier or tracking number")},
        auth=[],
    )
    def post(self, request, **kwargs):
        return super().post(request, **kwargs)
