"""`GET /api/v1/orders/{number}/documents/invoice.pdf` (contract api-v1.md, "Catalog and documents").

Token authentication and scope checks come from the API's defaults (`required_scopes` is read by
`oms.api.permissions.HasTokenScopes`). A token bound to a channel sees only that channel's orders.
Logistics adds `packing-slip` and `shipping-label` here.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import NotFound, PermissionDenied
from finance.selectors import invoice_for_document
from finance.services.printing import invoices_render_file
from oms.api.schema import BAD_REQUEST, FORBIDDEN_SCOPE_OR_CHANNEL, UNAUTHORIZED
from orders.models import Order


class PDFRenderer(BaseRenderer):
    """Lets clients send `Accept: application/pdf`; the view returns the PDF bytes itself."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class InvoicePdfView(APIView):
    required_scopes = ["orders:read"]
    renderer_classes = [JSONRenderer, PDFRenderer]

    def finalize_response(self, request, response, *args, **kwargs):
        # Error bodies are JSON whatever the client accepted.
        if isinstance(response, Response):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    @extend_schema(
        summary="Invoice PDF of an order",
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="the invoice"),
                   400: BAD_REQUEST, 401: UNAUTHORIZED, 403: FORBIDDEN_SCOPE_OR_CHANNEL,
                   404: OpenApiResponse(description="unknown order, or no invoice issued yet")},
    )
    def get(self, request, number: str):
        order = Order.objects.filter(number=number).first()
        if order is None:
            raise NotFound(_("Unknown order %(number)s.") % {"number": number})
        channel_id = getattr(request.auth, "channel_id", None)
        if channel_id is not None and channel_id != order.channel_id:
            raise PermissionDenied()
        invoice = invoice_for_document(order=order)
        rendered = invoices_render_file(invoice_ids=[invoice.pk], output="pdf")
        response = HttpResponse(rendered.content, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{rendered.filename}"'
        return response
