"""Import centre: who may use it, upload → dry run → report → import, background jobs and progress."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from core.enums import Role
from core.fieldcrypto import looks_encrypted
from oms.imports import services
from oms.imports.models import ImportBatch, ImportIssue
from oms.imports.tests.factories import EN, ZH, encrypted_workbook_bytes, products, row, table, write_csv
from orders.models import Order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def catalog():
    return products("SKU-001", "SKU-002")


@pytest.fixture
def client(client, django_capture_on_commit_callbacks):
    """The test's transaction never commits: run what a POST schedules for after its commit."""
    post = client.post

    def post_and_commit(*args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return post(*args, **kwargs)

    client.post = post_and_commit
    return client


@pytest.fixture
def staff(client, manager):
    client.force_login(manager)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def csv_upload(tmp_path, rows, name="orders.csv"):
    path = write_csv(tmp_path / name, table(rows))
    return SimpleUploadedFile(name, path.read_bytes(), content_type="text/csv")


def upload(client, file):
    return client.post(reverse("imports:upload"), {"file": file})


GOOD_AND_BAD = [row(order_number="W1"), row(order_number="W2", sku="SKU-404", note="=HYPERLINK(\"http://x\")"),
                row(order_number="W3")]


def test_anonymous_users_are_sent_to_login(client):
    response = client.get(reverse("imports:centre"))
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.CUSTOMER_SERVICE, Role.WAREHOUSE, Role.FINANCE])
def test_other_roles_may_not_import(client, make_user, role):
    client.force_login(make_user("someone", role))
    assert client.get(reverse("imports:centre")).status_code == 403
    assert client.post(reverse("imports:upload")).status_code == 403


def test_managers_and_administrators_may(client, make_user):
    for role in (Role.MANAGER, Role.ADMIN):
        client.force_login(make_user(f"u-{role}", role))
        assert client.get(reverse("imports:centre")).status_code == 200


def test_template_download_explains_both_header_languages_with_an_example(staff):
    response = staff.get(reverse("imports:template"))
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    orders, guide = workbook.worksheets
    assert [c.value for c in orders[1]] == ZH
    assert orders.max_row == 2 and orders.cell(row=2, column=1).value
    explained = {(r[0].value, r[1].value) for r in guide.iter_rows(min_row=2) if r[1].value}
    assert set(zip(ZH, EN, strict=True)) <= explained


def test_the_template_example_row_imports_as_is(staff, tmp_path):
    response = staff.get(reverse("imports:template"))
    path = tmp_path / "template.xlsx"
    path.write_bytes(response.content)
    report = services.legacy_orders_import(path=path, dry_run=True, actor=None)
    assert (report.orders, report.imported, report.errors) == (1, 1, [])


def test_upload_runs_a_dry_run_and_shows_the_report(staff, tmp_path):
    response = upload(staff, csv_upload(tmp_path, GOOD_AND_BAD))
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("imports:detail", args=[batch.pk])
    assert (batch.mode, batch.status, batch.imported, batch.rejected_orders, batch.error_rows) == (
        "dry_run", "done", 2, 1, 1)
    assert Order.objects.count() == 0
    page = staff.get(response["Location"])
    content = page.content.decode()
    assert "Dry run finished" in content and "SKU-404" in content and "Import 2 orders" in content
    assert batch.created_by.username == "manager" and batch.file_name == "orders.csv"


def test_import_after_the_dry_run_and_then_not_again(staff, tmp_path):
    upload(staff, csv_upload(tmp_path, GOOD_AND_BAD))
    batch = ImportBatch.objects.get()
    response = staff.post(reverse("imports:run", args=[batch.pk]), {"mode": "import"})
    assert response.status_code == 302
    batch.refresh_from_db()
    assert (batch.mode, batch.status, batch.imported, batch.rejected_orders) == ("import", "done", 2, 1)
    assert batch.dry_run_summary["imported"] == 2
    assert set(Order.objects.values_list("external_id", flat=True)) == {"W1", "W3"}
    assert Order.objects.filter(import_record__batch=batch).count() == 2
    again = staff.post(reverse("imports:run", args=[batch.pk]), {"mode": "import"}, follow=True)
    assert "imported already" in again.content.decode()
    assert Order.objects.count() == 2


def test_import_needs_a_dry_run_that_found_orders(staff, tmp_path):
    upload(staff, csv_upload(tmp_path, [row(sku="SKU-404")]))
    batch = ImportBatch.objects.get()
    response = staff.post(reverse("imports:run", args=[batch.pk]), {"mode": "import"}, follow=True)
    assert "Run a dry run first" in response.content.decode()
    assert Order.objects.count() == 0


@pytest.mark.parametrize(("name", "content", "message"), [
    ("orders.pdf", b"%PDF-1.4", "is not a spreadsheet"),
    ("orders.xlsx", "订单号,渠道\nA,天猫\n".encode(), "Required columns are missing"),  # read as the CSV it is
    ("orders.csv", b"", "The submitted file is empty"),
    ("secret.xlsx", encrypted_workbook_bytes(), "protected with a password"),
    ("cols.csv", "订单号,渠道\nA,天猫\n".encode(), "Required columns are missing"),
])
def test_bad_files_are_refused_with_a_message_and_nothing_is_written(staff, name, content, message):
    response = upload(staff, SimpleUploadedFile(name, content))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert ImportBatch.objects.count() == 0 and Order.objects.count() == 0


def test_huge_file_is_refused(staff, tmp_path, settings):
    settings.OMS_IMPORT_MAX_BYTES = 200
    response = upload(staff, csv_upload(tmp_path, [row()] * 10))
    assert response.status_code == 400 and "files of at most" in response.content.decode()
    assert ImportBatch.objects.count() == 0


def test_large_files_run_as_a_job_and_progress_survives_a_reload(staff, tmp_path, settings, monkeypatch):
    settings.OMS_IMPORT_INLINE_MAX_BYTES = 10
    queued = []
    monkeypatch.setattr(services.batches, "enqueue_import_job", queued.append)
    upload(staff, csv_upload(tmp_path, [row(order_number=f"Q{i}") for i in range(12)]))
    batch = ImportBatch.objects.get()
    assert queued == [batch.pk] and batch.status == "queued"
    page = staff.get(reverse("imports:detail", args=[batch.pk])).content.decode()
    assert 'id="progress-card"' in page
    progress = staff.get(reverse("imports:progress", args=[batch.pk])).json()
    assert (progress["status"], progress["active"], progress["percent"]) == ("queued", True, 0)
    # a worker picks the job up …
    ImportBatch.objects.filter(pk=batch.pk).update(status="running", rows_done=6, rows_total=12, phase="checking")
    progress = staff.get(reverse("imports:progress", args=[batch.pk])).json()
    assert (progress["rows_done"], progress["rows_total"], progress["percent"]) == (6, 12, 50)
    assert "6 of 12 rows" in staff.get(reverse("imports:detail", args=[batch.pk])).content.decode()
    ImportBatch.objects.filter(pk=batch.pk).update(status="queued")
    services.import_batch_execute(batch_id=batch.pk)
    progress = staff.get(reverse("imports:progress", args=[batch.pk])).json()
    assert (progress["status"], progress["percent"], progress["active"]) == ("done", 100, False)


def test_the_job_runs_through_django_q(staff, tmp_path, settings, monkeypatch):
    """django-q2 in synchronous mode runs the real task function by its dotted path."""
    from django_q.conf import Conf

    settings.OMS_IMPORT_INLINE_MAX_BYTES = 10
    monkeypatch.setattr(Conf, "SYNC", True)
    upload(staff, csv_upload(tmp_path, [row(order_number="DQ1")]))
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.imported) == ("done", 1)


def test_a_job_that_runs_twice_does_its_work_once(staff, tmp_path):
    upload(staff, csv_upload(tmp_path, [row(order_number="ONCE")]))
    batch = ImportBatch.objects.get()
    assert services.import_batch_execute(batch_id=batch.pk) is None  # already done: a retried job is a no-op


def test_report_downloads_escape_formulas(staff, tmp_path):
    upload(staff, csv_upload(tmp_path, [row(order_number="=cmd|' /C calc'!A0", sku="@SUM(1+1)")]))
    batch = ImportBatch.objects.get()
    xlsx = staff.get(reverse("imports:report", args=[batch.pk, "xlsx"]))
    assert xlsx.status_code == 200 and xlsx["Content-Disposition"].endswith('.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    values = [cell.value for line in sheet.iter_rows() for cell in line]
    assert "'@SUM(1+1)" in values and "'=cmd|' /C calc'!A0" in values
    assert all(cell.data_type != "f" for line in sheet.iter_rows() for cell in line)
    csv_text = staff.get(reverse("imports:report", args=[batch.pk, "csv"])).content.decode("utf-8-sig")
    assert "'@SUM(1+1)" in csv_text and ",=" not in csv_text and ",@" not in csv_text
    assert csv_text.splitlines()[0] == "Row,Column,Value,Message,Order number,Type"


def test_history_lists_who_when_file_and_results(staff, tmp_path):
    upload(staff, csv_upload(tmp_path, GOOD_AND_BAD, name="第一批.csv"))
    page = staff.get(reverse("imports:centre")).content.decode()
    assert "第一批.csv" in page and "manager" in page


def test_detail_page_lists_errors_paginated(staff, tmp_path):
    rows = [row(order_number=f"P{i}", sku="NOPE") for i in range(120)]
    upload(staff, csv_upload(tmp_path, rows))
    batch = ImportBatch.objects.get()
    assert ImportIssue.objects.filter(batch=batch, kind="error").count() == 120
    first = staff.get(reverse("imports:detail", args=[batch.pk])).content.decode()
    second = staff.get(reverse("imports:detail", args=[batch.pk]) + "?page=2").content.decode()
    assert "Page 1 of 2" in first and first.count("<td>NOPE</td>") == 0 and first.count(">NOPE<") == 100
    assert second.count(">NOPE<") == 20


def test_chinese_page(client, manager, tmp_path):
    client.force_login(manager)
    upload(client, csv_upload(tmp_path, GOOD_AND_BAD))
    batch = ImportBatch.objects.get()
    page = client.get(reverse("imports:detail", args=[batch.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "预检" in page
    assert ImportIssue.objects.get(batch=batch).message.startswith("未知")


def test_history_and_report_pages_cost_a_constant_number_of_queries(staff, tmp_path, make_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(url):
        with CaptureQueriesContext(connection) as captured:
            assert staff.get(url).status_code == 200
        return len(captured)

    upload(staff, csv_upload(tmp_path, [row(order_number=f"H0-{n}", sku="NOPE") for n in range(5)], name="f0.csv"))
    small = ImportBatch.objects.latest("id")
    centre, detail = queries(reverse("imports:centre")), queries(reverse("imports:detail", args=[small.pk]))
    for i in range(1, 12):
        staff.force_login(make_user(f"uploader{i}", Role.MANAGER))
        upload(staff, csv_upload(tmp_path, [row(order_number=f"H{i}-{n}", sku="NOPE") for n in range(30)],
                                 name=f"f{i}.csv"))
    big = ImportBatch.objects.latest("id")
    assert queries(reverse("imports:centre")) == centre
    assert queries(reverse("imports:detail", args=[big.pk])) == detail
    assert centre <= 9 and detail <= 9  # with the shell's one question: is the user an administrator?


def test_the_centre_and_the_template_list_the_accepted_formats(staff):
    content = staff.get(reverse("imports:centre")).content.decode()
    assert 'accept=".xlsx,.xlsm,.xlsb,.xls,.ods,.csv"' in content
    assert "Accepted files:" in content and ".xlsb" in content and ".ods" in content
    workbook = openpyxl.load_workbook(io.BytesIO(staff.get(reverse("imports:template")).content))
    notes = [r[0].value for r in workbook.worksheets[1].iter_rows() if r[0].value]
    assert any(str(n).startswith("Accepted files:") and ".xlsm" in str(n) for n in notes)


def test_the_report_shows_how_the_file_was_read(staff, tmp_path):
    data = [["2024 年订单导出"]] + table([row(order_number="R1"), row(order_number="R1", sku="SKU-002")])
    data[0] += [""] * (len(data[1]) - 1)
    data[1].append("颜色")
    for values in data[2:]:
        values.append("红")
    path = write_csv(tmp_path / "titled.csv", data)
    response = upload(staff, SimpleUploadedFile("titled.csv", path.read_bytes()))
    content = staff.get(response["Location"]).content.decode()
    warnings = content.split('id="warnings"')[1].split("</ul>")[0]
    assert "The header is in row 2" in warnings and "Unknown columns are ignored: 颜色" in warnings
    assert "None" not in warnings


def test_rejected_cells_are_encrypted_at_rest_and_shown_whole_to_the_importer(staff, tmp_path):
    upload(staff, csv_upload(tmp_path, [row(order_number="B1", phone="1381234")]))
    batch = ImportBatch.objects.get()
    issue = ImportIssue.objects.get(batch=batch, kind="error")
    assert issue.value == "1381234" and issue.message
    with connection.cursor() as cursor:
        cursor.execute("SELECT value, message FROM imports_importissue WHERE id = %s", [issue.pk])
        value, message = cursor.fetchone()
    assert looks_encrypted(value) and looks_encrypted(message) and "1381234" not in value + message
    assert ">1381234<" in staff.get(reverse("imports:detail", args=[batch.pk])).content.decode()
    csv_text = staff.get(reverse("imports:report", args=[batch.pk, "csv"])).content.decode("utf-8-sig")
    assert ",1381234," in csv_text
