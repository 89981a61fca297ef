"""POST /api/v1/orders with the optional `invoice` object: the channel's invoice request (发票抬头),
checked as the back office's VAT form checks it, stored on the order and used when the invoice is issued."""

import json

import pytest

from finance.models import Invoice
from oms.api.tests.factories import order_payload
from oms.workflow import follow_ups
from orders.models import Order

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stock_everything")]

URL = "/api/v1/orders"
VALID_ID = "91330100MA2B3C4D5N"
SPECIAL = {"type": "special", "title": "杭州西湖科技有限公司", "tax_id": VALID_ID,
           "address_phone": "杭州市西湖区文三路 1 号 0571-88881234",
           "bank_account": "工商银行杭州分行 1202020209000012345"}


def post(client, body):
    return client.post(URL, data=json.dumps(body), content_type="application/json")


def test_a_special_invoice_request_is_stored_and_issued_with_the_buyers_details(api):
    response = post(api, order_payload(invoice=SPECIAL))
    assert response.status_code == 201, response.json()
    assert "invoice" not in response.json()  # the order representation is the contract's, unchanged
    order = Order.objects.get()
    assert order.invoice_request == SPECIAL
    follow_ups.run(order.pk)
    invoice = Invoice.objects.get(order=order)
    assert (invoice.invoice_type, invoice.buyer_name, invoice.buyer_tax_id) == ("special", SPECIAL["title"], VALID_ID)
    assert invoice.buyer_bank_account == SPECIAL["bank_account"]


def test_an_ordinary_request_needs_only_the_title_and_type_defaults_to_ordinary(api):
    response = post(api, order_payload(invoice={"title": "个人", "tax_id": None}))
    assert response.status_code == 201, response.json()
    assert Order.objects.get().invoice_request == {"type": "normal", "title": "个人", "tax_id": "",
                                                   "address_phone": "", "bank_account": ""}


def test_without_invoice_or_with_null_nothing_changes(api):
    assert post(api, order_payload()).status_code == 201
    assert post(api, order_payload(invoice=None)).status_code == 201
    assert [o.invoice_request for o in Order.objects.all()] == [{}, {}]


def test_a_special_request_without_details_is_refused_with_field_paths_and_nothing_is_stored(api):
    body = order_payload(invoice={"type": "special", "title": "某公司", "tax_id": "1234"})
    body["lines"][0]["quantity"] = "2"  # a type error elsewhere is reported in the same 400
    response = post(api, body)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"lines.0.quantity", "invoice.tax_id", "invoice.address_phone", "invoice.bank_account"}
    assert "1234" in " ".join(errors["invoice.tax_id"])
    assert Order.objects.count() == 0


def test_a_bad_tax_id_alone_is_a_400_on_an_otherwise_valid_order(api):
    response = post(api, order_payload(invoice={"title": "某公司", "tax_id": "91330100MA2B3C4D5X"}))
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"invoice.tax_id"}
    assert Order.objects.count() == 0


def test_unknown_keys_and_wrong_types_in_invoice_are_refused_like_everywhere_else(api):
    response = post(api, order_payload(invoice={"title": 123, "type": "vat", "colour": "red"}))
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"invoice.title", "invoice.type", "invoice.colour"}
    response = post(api, order_payload(coupon="X"))  # the contract's unknown-field handling stays
    assert response.status_code == 400 and set(response.json()["errors"]) == {"coupon"}


def test_the_schema_documents_the_optional_invoice(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    create = schema["components"]["schemas"]["OrderCreateRequest"]
    assert "invoice" in create["properties"] and "invoice" not in create.get("required", [])
    invoice = schema["components"]["schemas"]["InvoiceInRequest"]
    assert "InvoiceTypeEnum" in schema["components"]["schemas"]
    assert invoice["required"] == ["title"]
    assert set(invoice["properties"]) == {"type", "title", "tax_id", "address_phone", "bank_account"}
