"""Inbound webhook endpoints. Signed, not token-authenticated: parse, call the inbox, answer."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from oms.integrations import inbox, signing
from oms.integrations.payments import PaymentEventSerializer

ACK = inline_serializer("WebhookAck", {"status": serializers.ChoiceField(choices=["accepted", "duplicate"]),
                                       "event_id": serializers.CharField()})


class WebhookView(APIView):
    """Base view: `kind` names the registered inbox handler; the URL names the sender."""

    kind = ""
    sender_kwarg = "sender"
    authentication_classes: list = []
    permission_classes: list = []

    def get_authenticate_header(self, request):
        return "OMS-Signature"  # keeps DRF from turning our 401 into a 403

    def post(self, request, **kwargs):
        sender = kwargs[self.sender_kwarg]
        try:
            receipt = inbox.receive(kind=self.kind, sender=sender, body=request.body,
                                    signature=request.headers.get(signing.HEADER))
        except inbox.Unauthorized:
            raise exceptions.AuthenticationFailed(_("Missing, invalid or expired webhook signature."))
        return Response({"status": "duplicate" if receipt.duplicate else "accepted",
                         "event_id": receipt.event.event_id})


class PaymentWebhookView(WebhookView):
    kind = "payments"
    sender_kwarg = "provider"

    @extend_schema(
        summary="Payment provider notification",
        description="Signed with `X-OMS-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<body>\">`. "
                    "A repeated event_id is acknowledged with 200 and changes nothing.",
        request=PaymentEventSerializer,
        parameters=[OpenApiParameter("X-OMS-Signature", str, OpenApiParameter.HEADER, required=True)],
        responses={200: ACK, 400: OpenApiResponse(description="invalid body"),
                   401: OpenApiResponse(description="bad, missing or stale signature"),
                   404: OpenApiResponse(description="unknown order")},
        auth=[],
    )
    def post(self, request, **kwargs):
        return super().post(request, **kwargs)
