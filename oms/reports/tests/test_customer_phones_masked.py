"""The customer analysis shows phones masked, on the page and in its exports, to anyone who may see
reports but not personal data (issue 17); whole to those with `core.view_customer_pii`."""

import io
import zipfile

import openpyxl
import pytest
from django.urls import reverse

from core.enums import Role

pytestmark = pytest.mark.django_db
PHONE, MASKED = "13812341234", "138****1234"  # the world's one customer


def _export_cells(client, fmt: str) -> str:
    response = client.get(reverse("reports:customers"), {"export": fmt})
    assert response.status_code == 200
    if fmt == "xlsx":
        book = openpyxl.load_workbook(io.BytesIO(response.content))
        return " ".join(str(c.value) for sheet in book.worksheets for line in sheet.iter_rows() for c in line)
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    return " ".join(archive.read(name).decode("utf-8-sig") for name in archive.namelist())


def test_a_reports_role_without_the_pii_permission_sees_masked_phones_on_page_and_export(world, client, make_user):
    director = make_user("director", Role.FINANCE_DIRECTOR)  # may see reports, not personal data
    client.force_login(director)
    page = client.get(reverse("reports:customers")).content.decode()
    assert MASKED in page and PHONE not in page
    for fmt in ("xlsx", "csv"):
        cells = _export_cells(client, fmt)
        assert MASKED in cells and PHONE not in cells, fmt


def test_a_pii_role_sees_them_whole(world, client, manager):
    client.force_login(manager)
    assert PHONE in client.get(reverse("reports:customers")).content.decode()
    for fmt in ("xlsx", "csv"):
        assert PHONE in _export_cells(client, fmt), fmt
