"""`manage.py import_orders FILE [--dry-run] [--json]`: the contract's JSON object and exit codes."""

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from oms.imports.models import ImportBatch, ImportIssue
from oms.imports.tests.factories import EN, products, row, table, write_csv, write_xlsx
from orders.models import Order

pytestmark = pytest.mark.django_db
CONTRACT_KEYS = ["rows", "orders", "imported", "duplicates", "rejected_orders", "error_rows", "errors", "sheet",
                 "warnings"]
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def catalog():
    return products("SKU-001", "SKU-002")


def run_command(*args):
    out, err = StringIO(), StringIO()
    call_command("import_orders", *args, "--language", "en", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def mixed_file(tmp_path):
    rows = [
        row(order_number="J1"), row(order_number="J1", sku="SKU-002"),
        row(order_number="J2", sku="SKU-999"), row(order_number="J2", quantity="0", sku="SKU-002"),
        row(order_number="J3"),
    ]
    data = table(rows)
    data[0].append("颜色")
    for values in data[1:]:
        values.append("红")
    return write_csv(tmp_path / "mixed.csv", data)


def test_json_has_exactly_the_contract_keys_and_counts(mixed_file):
    out, err = run_command(str(mixed_file), "--json")
    result = json.loads(out)
    assert list(result) == CONTRACT_KEYS
    assert {k: result[k] for k in CONTRACT_KEYS[:-3]} == {
        "rows": 5, "orders": 3, "imported": 2, "duplicates": 0, "rejected_orders": 1, "error_rows": 2}
    assert result["errors"] == [
        {"row": 4, "column": "SKU", "value": "SKU-999", "message": "Unknown SKU “SKU-999”."},
        {"row": 5, "column": "数量", "value": "0", "message": "Must be a positive whole number."},
    ]
    assert result["imported"] + result["duplicates"] + result["rejected_orders"] == result["orders"]
    assert "颜色" in err  # the unknown column warning goes to stderr, stdout stays one JSON object
    assert [w["column"] for w in result["warnings"]] == ["颜色"]  # … and into the JSON summary
    assert out.count("\n") <= 1


def test_second_run_counts_duplicates_and_the_run_is_in_the_history(mixed_file):
    run_command(str(mixed_file), "--json")
    out, _ = run_command(str(mixed_file), "--json")
    result = json.loads(out)
    assert (result["imported"], result["duplicates"], result["rejected_orders"]) == (0, 2, 1)
    assert Order.objects.count() == 2
    batches = ImportBatch.objects.order_by("id")
    assert [(b.mode, b.status, b.imported, b.duplicates) for b in batches] == [
        ("import", "done", 2, 0), ("import", "done", 0, 2)]
    assert ImportIssue.objects.filter(batch=batches[0], kind="error").count() == 2


def test_dry_run_writes_nothing_and_counts_what_would_be_imported(mixed_file):
    out, _ = run_command(str(mixed_file), "--dry-run", "--json")
    assert json.loads(out)["imported"] == 2
    assert Order.objects.count() == 0 and ImportBatch.objects.count() == 0


def test_plain_summary(mixed_file):
    out, _ = run_command(str(mixed_file), "--dry-run")
    assert "5 rows, 3 orders" in out and "would be imported: 2" in out and "row 4 · SKU" in out


def test_xlsx_file(tmp_path):
    path = write_xlsx(tmp_path / "o.xlsx", table([row(order_number="X1")]))
    out, _ = run_command(str(path), "--json")
    assert json.loads(out)["imported"] == 1


@pytest.mark.parametrize("case", ["missing file", "missing column", "wrong type"])
def test_unreadable_file_exits_1_with_one_json_object(tmp_path, case):
    if case == "missing file":
        path = tmp_path / "nope.xlsx"
    elif case == "missing column":
        path = write_csv(tmp_path / "c.csv", table([row()], columns=[k for k in EN if k != "sku"]))
    else:
        path = tmp_path / "o.xlsx"
        path.write_text("订单号,渠道\n", encoding="utf-8")
    out = StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("import_orders", str(path), "--json", "--language", "en", stdout=out, stderr=StringIO())
    assert exc.value.returncode == 1
    result = json.loads(out.getvalue())
    assert list(result) == CONTRACT_KEYS and result["rows"] == 0 and len(result["errors"]) == 1
    assert Order.objects.count() == 0 and ImportBatch.objects.count() == 0


def test_exit_status_of_the_real_process(tmp_path):
    """The shell sees 0 for a read file (even with rejected orders) and 1 for an unreadable one."""
    db = tmp_path / "cmd.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "DJANGO_SETTINGS_MODULE": "oms.settings"}
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    good = write_csv(tmp_path / "g.csv", table([row(sku="NOT-IN-CATALOG")]))
    done = subprocess.run([python, "manage.py", "import_orders", str(good), "--json"], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["rejected_orders"] == 1
    missing = subprocess.run([python, "manage.py", "import_orders", str(tmp_path / "none.csv"), "--json"], cwd=ROOT,
                             env=env, capture_output=True, text=True)
    assert missing.returncode == 1
    assert json.loads(missing.stdout)["errors"][0]["row"] is None


def test_workers_import_a_large_file_into_a_sqlite_file(tmp_path):
    """The default database: two forked workers take turns writing (SQLite has one writer at a time)."""
    db = tmp_path / "workers.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "DJANGO_SETTINGS_MODULE": "oms.settings",
           "OMS_IMPORT_WORKERS": "2", "OMS_IMPORT_BATCH_ORDERS": "5"}
    python = sys.executable

    def shell(code: str) -> str:
        return subprocess.run([python, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, check=True,
                              capture_output=True, text=True).stdout

    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    shell("from catalog.models import Product; from inventory.tests.factories import stock_up; "
          "stock_up(Product.objects.create(sku='W-1', name='W', price=10), 25)")
    rows = [row(order_number=f"W{i:03d}", sku="W-1", quantity="x" if i % 9 == 0 else "1", unit_price="10",
                shipping_fee="0", status="待发货", paid_amount="10", phone=f"1390000{i % 6:04d}",
                customer_name=f"客户{i % 6}") for i in range(60)]
    path = write_csv(tmp_path / "w.csv", table(rows))
    done = subprocess.run([python, "manage.py", "import_orders", str(path), "--json"], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["imported"], result["rejected_orders"]) == (53, 7)
    assert [e["row"] for e in result["errors"]] == sorted(e["row"] for e in result["errors"])
    counts = shell("from orders.models import Order, Customer; from inventory.models import Stock; "
                   "from inventory.selectors import stock_drift; s = Stock.objects.get(); "
                   "print(Order.objects.count(), Customer.objects.count(), "
                   "Order.objects.filter(status='awaiting_shipment').count(), s.reserved, len(stock_drift()))")
    assert counts.splitlines()[-1].split() == ["53", "6", "25", "25", "0"]
