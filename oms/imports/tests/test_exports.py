"""Formula escaping in every exported sheet; admin import (with dry run) and export of products,
customers and orders."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog.models import Product
from catalog.tests.factories import ProductFactory
from core.enums import Role
from oms.imports.exports import escape_formula, write_csv, write_xlsx
from oms.imports.resources import OrderExportResource
from orders.models import Customer
from orders.tests.factories import create_order

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("value", "expected"), [
    ("=1+1", "'=1+1"), ("+86 138", "'+86 138"), ("-cmd", "'-cmd"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("=HYPERLINK(\"http://evil\")", "'=HYPERLINK(\"http://evil\")"),
    ("-5.00", "-5.00"), ("+3", "+3"), ("普通备注", "普通备注"), ("a=b", "a=b"), ("", ""), (5, 5), (None, None),
    (Decimal("-1.00"), Decimal("-1.00")),
])
def test_escape_formula(value, expected):
    assert escape_formula(value) == expected


def test_written_sheets_hold_no_formula():
    rows = [["=1+1", "@x", "-y", "+z", 12, "ok"]]
    sheet = openpyxl.load_workbook(io.BytesIO(write_xlsx(["=h"], rows))).active
    assert sheet["A1"].value == "'=h"
    assert [c.value for c in sheet[2]] == ["'=1+1", "'@x", "'-y", "'+z", 12, "ok"]
    assert all(c.data_type != "f" for line in sheet.iter_rows() for c in line)
    text = write_csv(["h"], rows).decode("utf-8")
    assert text.startswith("\ufeff") and "'=1+1,'@x,'-y,'+z,12,ok" in text


# -- order export --------------------------------------------------------------------------------

def test_order_export_escapes_and_masks_for_users_without_pii(make_user):
    order = create_order(note="=HYPERLINK(\"http://evil\",\"点我\")")
    clerk = make_user("clerk", Role.CUSTOMER_SERVICE)
    data = OrderExportResource(user=clerk).export()
    exported = dict(zip(data.headers, data[0], strict=True))
    assert exported["order number"] == order.number
    assert exported["recipient phone"] == "138****1234"
    assert exported["address"] == "浙江省杭州市西湖区文三****"  # the street is personal: masked too
    from oms.imports.resources import SafeXLSX

    sheet = openpyxl.load_workbook(io.BytesIO(SafeXLSX().export_data(data))).active
    notes = [c.value for c in sheet[2] if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert notes == ["'=HYPERLINK(\"http://evil\",\"点我\")"]


def test_order_export_shows_phones_to_managers(manager):
    create_order()
    data = OrderExportResource(user=manager).export()
    exported = dict(zip(data.headers, data[0], strict=True))
    assert exported["recipient phone"] == "13812341234"
    assert exported["address"].startswith("浙江省杭州市西湖区文三路")


def test_admin_order_export_follows_the_list_filter_and_escapes(admin_client):
    keep = create_order(channel_code="jd", note="@SUM(1)")
    create_order(channel_code="tmall", note="other")
    url = reverse("admin:orders_order_export") + f"?channel__id__exact={keep.channel_id}"
    page = admin_client.get(url)
    assert page.status_code == 200
    form = page.context["form"]
    xlsx_index = next(value for value, label in form.fields["format"].choices if str(label).lower() == "xlsx")
    fields = {f"orderexportresource_{name}": "on" for name in OrderExportResource._meta.fields}
    response = admin_client.post(url, {"format": xlsx_index, "resource": 0, **fields})
    assert response.status_code == 200, response.content[:500]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2 and keep.number in rows[1] and "'@SUM(1)" in rows[1]


# -- product and customer import with dry run ------------------------------------------------------

def _admin_import(client, url_name, content: bytes, name="data.csv"):
    url = reverse(url_name)
    page = client.get(url)
    formats = page.context["form"].fields["format"].choices
    csv_index = next(value for value, label in formats if str(label).lower() == "csv")
    preview = client.post(url, {"format": csv_index, "import_file": SimpleUploadedFile(name, content), "resource": 0})
    assert preview.status_code == 200
    return preview


def test_product_import_previews_as_a_dry_run_then_imports(admin_client):
    ProductFactory(sku="SKU-OLD", name="旧名称", price=Decimal("5.00"))
    content = ("sku,name,price,tax_rate,weight_kg,barcode,needs_qc,active\n"
               " sku-old ,新名称,6.00,0.130,0.1,,0,1\nsku-new,新商品,9.90,0.130,0.2,,1,1\n").encode("utf-8-sig")
    preview = _admin_import(admin_client, "admin:catalog_product_import", content)
    result = preview.context["result"]
    assert not result.has_errors() and not result.has_validation_errors()
    assert Product.objects.get(sku="SKU-OLD").name == "旧名称" and not Product.objects.filter(sku="SKU-NEW").exists()
    confirm = preview.context["confirm_form"]
    done = admin_client.post(reverse("admin:catalog_product_process_import"), confirm.initial, follow=True)
    assert done.status_code == 200
    assert Product.objects.get(sku="SKU-OLD").name == "新名称"
    assert Product.objects.get(sku="SKU-NEW").needs_qc is True


def test_customer_import_checks_phones(admin_client):
    content = "id,name,phone,email,company_name,tax_id\n,王五,+86 139-0000-0000,,,\n,赵六,12345,,,\n".encode()
    preview = _admin_import(admin_client, "admin:orders_customer_import", content)
    result = preview.context["result"]
    assert result.has_errors() or result.has_validation_errors()
    assert Customer.objects.count() == 0


def test_customer_import_stores_canonical_phone(admin_client):
    content = "id,name,phone,email,company_name,tax_id\n,王五,+86 139-0000-0000,w@example.com,,\n".encode()
    preview = _admin_import(admin_client, "admin:orders_customer_import", content)
    admin_client.post(reverse("admin:orders_customer_process_import"), preview.context["confirm_form"].initial)
    assert Customer.objects.get().phone == "13900000000"


def test_only_users_who_may_add_and_change_products_may_import_them(client, make_user):
    user = make_user("viewer", Role.REVIEWER, is_staff=True)
    from django.contrib.auth.models import Permission

    user.user_permissions.add(Permission.objects.get(codename="view_product"))
    client.force_login(user)
    assert client.get(reverse("admin:catalog_product_import")).status_code == 403
