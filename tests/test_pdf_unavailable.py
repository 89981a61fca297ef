"""Screens and the API on a server without the CJK font: a 503 that says why, never a traceback."""

import pytest

from core.enums import Role
from documents import fonts, render
from logistics.tests.factories import product, released_order, shipments_of
from oms.api.tests.factories import bearer, make_token

pytestmark = pytest.mark.django_db

MISSING_FONT = {"path": "/nonexistent/NotoSansCJK-Regular.ttc", "family": "Noto Sans Mono CJK SC"}


@pytest.fixture(autouse=True)
def no_cjk_font(tmp_path, monkeypatch):
    library = fonts.FontLibrary(font_dir=tmp_path, source=MISSING_FONT)
    monkeypatch.setattr(fonts, "font_library", lambda: library)
    monkeypatch.setattr(render, "font_library", lambda: library)
    return library


def test_a_pdf_screen_answers_503_with_the_reason(client, make_user):
    client.force_login(make_user("packer", Role.WAREHOUSE))
    [shipment] = shipments_of(released_order([(product(), 1, "10.00")]))
    response = client.get(f"/logistics/shipments/{shipment.number}/packing-slip.pdf", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 503
    body = response.content.decode()
    assert "fonts-noto-cjk" in body and "Traceback" not in body


def test_the_documents_api_answers_503_in_the_error_shape(client):
    order = released_order([(product(), 1, "10.00")])
    _token, raw = make_token()
    response = client.get(f"/api/v1/orders/{order.number}/documents/packing-slip.pdf",
                          HTTP_ACCEPT="application/pdf", **bearer(raw))
    assert response.status_code == 503
    assert response.json()["type"] == "pdf_unavailable" and "fonts-noto-cjk" in response.json()["detail"]
