"""GET /api/v1/orders/{number}/documents/invoice.pdf.

Token authentication is written in the API branch at the same time, so these tests authenticate
with DRF's `force_authenticate` and a stand-in token object, and check scopes with a stand-in of
the contract's rule (the real `HasTokenScopes` reads the view's `required_scopes` the same way).
"""

import io
from dataclasses import dataclass, field

import pytest
from pypdf import PdfReader
from rest_framework.permissions import BasePermission
from rest_framework.test import APIRequestFactory, force_authenticate

from core.actors import SYSTEM
from finance.services import invoice_issue
from finance.tests.factories import make_order, paid_order
from oms.api.document_views import InvoicePdfView
from orders.models import Channel

pytestmark = pytest.mark.django_db


@dataclass
class StandInToken:
    scopes: list = field(default_factory=lambda: ["orders:read"])
    channel_id: int | None = None


class ScopesOfStandInToken(BasePermission):
    def has_permission(self, request, view):
        return request.auth is not None and set(view.required_scopes) <= set(request.auth.scopes)


@pytest.fixture
def call(monkeypatch):
    monkeypatch.setattr(InvoicePdfView, "permission_classes", [ScopesOfStandInToken])

    def do(number, token=None, accept="application/pdf"):
        request = APIRequestFactory().get(f"/api/v1/orders/{number}/documents/invoice.pdf", HTTP_ACCEPT=accept)
        if token is not None:
            force_authenticate(request, token=token)
        response = InvoicePdfView.as_view()(request, number=number)
        return response.render() if hasattr(response, "render") else response

    return do


def test_view_declares_the_contract_scope():
    assert InvoicePdfView.required_scopes == ["orders:read"]


def test_invoice_pdf_with_chinese_text(call):
    order = paid_order(customer_name="赵喆", customer_phone="13900000009")
    invoice = invoice_issue(order=order, actor=SYSTEM)
    response = call(order.number, StandInToken())
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert invoice.number in text and "赵喆" in text and "肆佰零捌元整" in text


def test_404_with_contract_body_while_no_invoice_exists(call):
    order = make_order()
    response = call(order.number, StandInToken())
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    body = response.data
    assert body["type"] == "document_not_available" and order.number in body["detail"]


def test_unknown_order_is_404(call):
    response = call("SO20990101000001", StandInToken(), accept="*/*")
    assert response.status_code == 404 and response.data["type"] == "not_found"


def test_token_without_the_scope_is_refused(call):
    order = paid_order()
    invoice_issue(order=order, actor=SYSTEM)
    assert call(order.number, StandInToken(scopes=["stock:read"])).status_code == 403


def test_token_of_another_channel_is_refused(call):
    order = paid_order()
    invoice_issue(order=order, actor=SYSTEM)
    other = Channel.objects.get(code="jd")
    response = call(order.number, StandInToken(channel_id=other.pk))
    assert response.status_code == 403 and response.data["type"] == "permission_denied"
