"""REST API v1: an order's shipping documents as PDF (contract "Catalog and documents").

`GET /api/v1/orders/{number}/documents/packing-slip.pdf` and `…/shipping-label.pdf`: 404 with a
JSON error body while the document does not exist yet (a packing slip once the order has a
shipment, a label once a shipment has a waybill number). `PdfDocumentView` is generic: a view only
says how to render its document for an order.
"""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework.generics import GenericAPIView
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer

from logistics.documents import order_labels_pdf, order_packing_slip_pdf
from oms.api.access import order_for_token
from oms.api.order_views import ORDER_NUMBER
from oms.api.schema import FORBIDDEN_SCOPE_OR_CHANNEL, UNAUTHORIZED, error, scoped
from oms.api.scopes import Scope

DOCUMENT_NOT_FOUND = error("No order with this number, or the document does not exist yet "
                           "(`document_not_available`).")


class JsonErrorsOnly(BaseContentNegotiation):
    """Whatever the client accepts (`application/pdf`, `*/*`), errors are the contract's JSON body.

    The PDF itself is an `HttpResponse` and bypasses the renderers, so there is nothing to negotiate.
    """

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class PdfDocumentView(GenericAPIView):
    required_scopes = (Scope.ORDERS_READ,)
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JsonErrorsOnly
    document_name = ""

    def render_document(self, order) -> bytes:  # pragma: no cover - interface
        raise NotImplementedError

    def get(self, request, number: str):
        order = order_for_token(request.auth, number)
        response = HttpResponse(self.render_document(order), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{order.number}-{self.document_name}.pdf"'
        return response


def _document_schema(operation_id: str, summary: str, description: str):
    return scoped(
        Scope.ORDERS_READ, operation_id=operation_id, summary=summary, description=description,
        parameters=[ORDER_NUMBER],
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF."),
                   401: UNAUTHORIZED, 403: FORBIDDEN_SCOPE_OR_CHANNEL, 404: DOCUMENT_NOT_FOUND},
    )


class OrderPackingSlipView(PdfDocumentView):
    document_name = "packing-slip"

    @_document_schema(
        "orders_packing_slip", "Packing slip (PDF)",
        "One page per shipment of the order (A5), Chinese text with an embedded CJK font. 404 until the order has "
        "a shipment, i.e. until it is released for shipment.")
    def get(self, request, number: str):
        return super().get(request, number)

    def render_document(self, order) -> bytes:
        return order_packing_slip_pdf(order=order)


class OrderShippingLabelView(PdfDocumentView):
    document_name = "shipping-label"

    @_document_schema(
        "orders_shipping_label", "Shipping labels (PDF)",
        "One 100 × 150 mm label per shipment that has a tracking number: the tracking number as a Code128 barcode, "
        "sender, recipient (phone masked) and the cash to collect on delivery. 404 until a shipment has a tracking "
        "number.")
    def get(self, request, number: str):
        return super().get(request, number)

    def render_document(self, order) -> bytes:
        return order_labels_pdf(order=order)
