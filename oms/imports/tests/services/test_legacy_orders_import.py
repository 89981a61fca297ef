"""The legacy order import, end to end through real files: every rule of the contract."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError
from django.utils import translation

from core.actors import SystemActor
from core.models import Sequence
from oms.imports.models import ImportedOrder
from oms.imports.services import _Importer, legacy_orders_import
from oms.imports.tests.factories import EN, ZH, products, row, table, write_csv, write_xls, write_xlsx
from orders.models import Customer, Order, OrderEvent, OrderLine, OrderSource, OrderStatus, PaymentStatus
from orders.tests.factories import create_order

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
ACTOR = SystemActor("test-import")


@pytest.fixture(autouse=True)
def catalog(stock_everything):
    # Imported open orders reserve stock (inventory, `imported_orders_reserve_stock`); these tests are
    # about the import itself, so the products come with stock.
    return products("SKU-001", "SKU-002", "SKU-003")


def run(tmp_path, rows, *, kind="csv", dry_run=False, name=None, **table_kwargs):
    data = table(rows, **table_kwargs)
    path = tmp_path / (name or f"orders.{kind}")
    {"csv": write_csv, "xlsx": write_xlsx, "xls": write_xls}[kind](path, data)
    return legacy_orders_import(path=path, dry_run=dry_run, actor=ACTOR)


def errors_of(report):
    return [(e.row, e.column, e.value, e.message) for e in report.errors]


# -- the happy path and the written records --------------------------------------------------------

@pytest.mark.parametrize("kind", ["csv", "xlsx", "xls"])
def test_imports_an_order_with_lines_in_every_file_type(tmp_path, kind):
    report = run(tmp_path, [
        row(order_number="A1", sku="SKU-001", quantity="2", unit_price="100", discount="20", shipping_fee="10",
            status="已完成", payment_method="支付宝", paid_amount="190", carrier="顺丰", tracking_number="SF1"),
        row(order_number="A1", sku="sku-002", quantity="1", unit_price="¥1,000.00", ordered_at="", customer_name="",
            phone="", province="", city="", district="", address="", shipping_fee="", status="",
            payment_method=""),
    ], kind=kind)
    assert report.as_contract() == {"rows": 2, "orders": 1, "imported": 1, "duplicates": 0, "rejected_orders": 0,
                                    "error_rows": 0, "errors": [], "sheet": report.sheet, "warnings": []}
    order = Order.objects.get()
    assert (order.channel.code, order.external_id, order.source) == ("tmall", "A1", OrderSource.IMPORT)
    assert order.status == OrderStatus.COMPLETED
    assert order.number.startswith("SO") and len(order.number) == 16
    assert (order.subtotal, order.discount_total, order.shipping_fee, order.total) == (
        Decimal("1200.00"), Decimal("20.00"), Decimal("10.00"), Decimal("1190.00"))
    assert order.paid_amount == Decimal("190.00") and order.payment_status == PaymentStatus.PARTIALLY_PAID
    assert order.payment_method == "alipay"
    assert order.ordered_at == datetime(2024, 3, 1, 10, 0, tzinfo=SH)
    assert (order.recipient, order.phone, order.province, order.city, order.district, order.address_detail) == (
        "张三", "13812341234", "浙江省", "杭州市", "西湖区", "文三路 1 号")
    lines = list(order.lines.order_by("id").values_list("sku", "quantity", "unit_price", "discount", "amount"))
    assert lines == [("SKU-001", 2, Decimal("100.00"), Decimal("20.00"), Decimal("180.00")),
                     ("SKU-002", 1, Decimal("1000.00"), Decimal("0.00"), Decimal("1000.00"))]
    record = ImportedOrder.objects.get(order=order)
    assert (record.legacy_carrier, record.legacy_tracking_number, record.source_row) == ("sf", "SF1", 2)


def test_one_imported_event_and_one_history_record_per_order(tmp_path):
    run(tmp_path, [row(order_number="A1"), row(order_number="A2")])
    assert OrderEvent.objects.count() == 2
    event = OrderEvent.objects.get(order__external_id="A1")
    assert event.kind == "imported" and event.actor_name == "test-import"
    assert "A1" in event.message and "待审核" in event.message  # stored in Chinese, the timeline's language
    assert event.data["source"] == "import" and event.data["row"] == 2
    order = Order.objects.get(external_id="A1")
    history = list(order.history.all())
    assert len(history) == 1 and history[0].history_type == "+" and history[0].total == order.total
    assert history[0].status == order.status and history[0].ordered_at == order.ordered_at


def test_numbers_come_from_the_numbering_service_gaplessly(tmp_path):
    before = create_order()
    run(tmp_path, [row(order_number=f"N{i}") for i in range(5)])
    after = create_order()
    numbers = sorted(Order.objects.values_list("number", flat=True))
    sequence = [int(n[-6:]) for n in numbers]
    assert sequence == list(range(int(before.number[-6:]), int(after.number[-6:]) + 1))
    assert Sequence.objects.get(key=before.number[:10]).value == int(after.number[-6:])


def test_a_clerks_import_names_the_clerk_on_the_timeline_and_in_the_history(tmp_path, django_user_model):
    clerk = django_user_model.objects.create_user("migrator")
    path = write_csv(tmp_path / "clerk.csv", table([row(order_number="U1")]))
    legacy_orders_import(path=path, dry_run=False, actor=clerk)
    event = OrderEvent.objects.get(order__external_id="U1")
    assert (event.actor, event.actor_name) == (clerk, "migrator")
    order = Order.objects.get(external_id="U1")
    assert order.history.get().history_user == clerk and order.customer.history.get().history_user == clerk


def test_customers_are_found_by_phone_and_name_or_created_once(tmp_path):
    existing = Customer.objects.create(name="张三", phone="13812341234")
    run(tmp_path, [row(order_number="C1"), row(order_number="C2", customer_name="李四"),
                   row(order_number="C3", customer_name="李四", phone="+86 138 1234 1234")])
    assert Order.objects.get(external_id="C1").customer == existing
    li = Customer.objects.get(name="李四")
    assert set(Order.objects.filter(customer=li).values_list("external_id", flat=True)) == {"C2", "C3"}
    [created] = li.history.all()
    assert (created.name, created.phone, created.history_type, created.history_change_reason) == (
        "李四", "13812341234", "+", "import")
    assert li.created_at is not None and Customer.objects.count() == 2


def test_rows_of_an_order_need_not_be_adjacent_and_english_headers_in_any_order(tmp_path):
    columns = list(reversed(EN))
    headers = [f"  {key.upper()} " for key in columns]
    report = run(tmp_path, [
        row(order_number="X", sku="SKU-001"), row(order_number="Y", channel="jd"),
        row(order_number="X", sku="SKU-002", customer_name="", phone="", ordered_at=""),
        row(order_number="Y", channel="京东", sku="SKU-003"),
    ], headers=headers, columns=columns)
    assert (report.rows, report.orders, report.imported) == (4, 2, 2)
    assert Order.objects.get(external_id="X").lines.count() == 2
    assert Order.objects.get(external_id="Y", channel__code="jd").lines.count() == 2


def test_same_order_number_in_two_channels_is_two_orders(tmp_path):
    report = run(tmp_path, [row(order_number="Z"), row(order_number="Z", channel="抖音")])
    assert (report.orders, report.imported) == (2, 2)


def test_blank_rows_are_ignored_and_not_counted(tmp_path):
    report = run(tmp_path, [row(order_number="B1"), {k: "" for k in EN}, {k: "  " for k in EN},
                            row(order_number="B2")])
    assert (report.rows, report.orders, report.imported) == (2, 2, 2)


def test_unknown_columns_are_one_warning(tmp_path):
    data = table([row()])
    data[0] += ["颜色", "尺码"]
    data[1] += ["红", "L"]
    path = write_csv(tmp_path / "x.csv", data)
    report = legacy_orders_import(path=path, dry_run=False, actor=ACTOR)
    assert report.imported == 1
    assert len(report.warnings) == 1 and "颜色" in report.warnings[0].message and "尺码" in report.warnings[0].message
    assert report.errors == []


def test_optional_columns_may_be_absent(tmp_path):
    required = ["order_number", "channel", "ordered_at", "customer_name", "phone", "province", "city", "address",
                "sku", "quantity", "unit_price"]
    report = run(tmp_path, [row()], columns=required)
    assert report.imported == 1
    order = Order.objects.get()
    assert (order.status, order.shipping_fee, order.district) == (OrderStatus.PENDING_REVIEW, Decimal("0.00"), "")


@pytest.mark.parametrize(("status", "expected"), [
    ("", "pending_review"), ("待审核", "pending_review"), ("待付款", "awaiting_payment"),
    ("待发货", "awaiting_shipment"), ("已取消", "cancelled"), ("awaiting_payment", "awaiting_payment"),
])
def test_statuses_enter_as_given(tmp_path, status, expected):
    run(tmp_path, [row(status=status)])
    assert Order.objects.get().status == expected


def test_order_level_values_repeated_in_other_spellings_do_not_conflict(tmp_path):
    report = run(tmp_path, [
        row(order_number="R", shipping_fee="10", phone="13812341234", channel="天猫", status="已发货",
            tracking_number="T1", carrier="顺丰"),
        row(order_number="R", shipping_fee="¥10.00", phone="+86 138-1234-1234", channel="tmall",
            status="shipped", tracking_number="T1", carrier="sf", sku="SKU-002"),
    ])
    assert report.errors == [] and report.imported == 1


# -- every error rule ------------------------------------------------------------------------------

def single_error(tmp_path, **values):
    report = run(tmp_path, [row(**values)], dry_run=True)
    assert report.rejected_orders == 1 and report.imported == 0
    return errors_of(report)


@pytest.mark.parametrize(("values", "column", "value", "message"), [
    ({"sku": "SKU-999"}, "SKU", "SKU-999", "Unknown SKU"),
    ({"sku": ""}, "SKU", "", "required"),
    ({"quantity": "0"}, "数量", "0", "positive whole number"),
    ({"quantity": "-2"}, "数量", "-2", "positive whole number"),
    ({"quantity": "1.5"}, "数量", "1.5", "positive whole number"),
    ({"quantity": ""}, "数量", "", "required"),
    ({"unit_price": "-1"}, "单价", "-1", "negative"),
    ({"unit_price": "abc"}, "单价", "abc", "Not an amount"),
    ({"unit_price": ""}, "单价", "", "required"),
    ({"discount": "-1"}, "折扣", "-1", "negative"),
    ({"discount": "200.01"}, "折扣", "200.01", "quantity × unit price"),
    ({"shipping_fee": "-5"}, "运费", "-5", "negative"),
    ({"paid_amount": "210.01"}, "已付金额", "210.01", "order total"),
    ({"paid_amount": "-1"}, "已付金额", "-1", "negative"),
    ({"channel": "拼多多"}, "渠道", "拼多多", "Unknown channel"),
    ({"ordered_at": "2024-02-30"}, "下单时间", "2024-02-30", "Not a date"),
    ({"ordered_at": ""}, "下单时间", "", "required"),
    ({"customer_name": ""}, "客户名称", "", "required"),
    ({"phone": "12345"}, "手机", "12345", "mobile or landline"),
    ({"phone": ""}, "手机", "", "This field is required."),
    ({"province": ""}, "省", "", "required"),
    ({"city": ""}, "市", "", "required"),
    ({"address": ""}, "详细地址", "", "required"),
    ({"status": "已退款"}, "状态", "已退款", "Unknown status"),
    ({"status": "部分发货"}, "状态", "部分发货", "cannot be imported"),
    ({"status": "已发货"}, "运单号", "", "tracking number is required"),
    ({"status": "已完成", "carrier": "顺丰"}, "运单号", "", "tracking number is required"),
    ({"payment_method": "信用卡"}, "支付方式", "信用卡", "Unknown payment method"),
    ({"carrier": "德邦"}, "物流公司", "德邦", "Unknown carrier"),
    ({"province": "省" * 33}, "省", "省" * 33, "At most 32 characters"),
    ({"order_number": "N" * 65}, "订单号", "N" * 65, "At most 64 characters"),
])
def test_error_rules(tmp_path, values, column, value, message):
    errors = single_error(tmp_path, **values)
    assert len(errors) == 1, errors
    row_number, got_column, got_value, got_message = errors[0]
    assert (row_number, got_column, got_value) == (2, column, value)
    assert message in got_message


def test_missing_order_number_rejects_the_row_as_an_order_of_its_own(tmp_path):
    report = run(tmp_path, [row(order_number=""), row(order_number=" ")], dry_run=True)
    assert (report.orders, report.rejected_orders) == (2, 2)
    assert [(e.row, e.column) for e in report.errors] == [(2, "订单号"), (3, "订单号")]


def test_conflicting_order_level_values_are_an_error_on_the_later_row(tmp_path):
    report = run(tmp_path, [
        row(order_number="K", customer_name="张三"),
        row(order_number="K", customer_name="李四", sku="SKU-002"),
        row(order_number="K", customer_name="", shipping_fee="20", sku="SKU-003"),
    ], dry_run=True)
    assert report.rejected_orders == 1
    assert errors_of(report) == [
        (3, "客户名称", "李四", "Differs from “张三” on row 2 of the same order."),
        (4, "运费", "20", "Differs from “10” on row 2 of the same order."),
    ]
    assert report.error_rows == 2


def test_the_column_is_named_as_written_in_the_file(tmp_path):
    columns = EN
    headers = [f" {key.upper()}" for key in EN]
    report = run(tmp_path, [row(sku="NOPE")], headers=headers, columns=columns, dry_run=True)
    assert errors_of(report)[0][:2] == (2, "SKU")
    report = run(tmp_path, [row(quantity="x")], headers=[h.strip().lower() for h in headers], columns=columns,
                 dry_run=True)
    assert errors_of(report)[0][:2] == (2, "quantity")


def test_messages_follow_the_users_language(tmp_path):
    with translation.override("zh-hans"):
        report = run(tmp_path, [row(quantity="abc")], dry_run=True)
    assert report.errors[0].message == "必须是正整数。"


def test_row_numbers_are_excel_rows_with_blank_rows_counted(tmp_path):
    report = run(tmp_path, [row(order_number="E1"), {k: "" for k in EN}, row(order_number="E2", sku="BAD")],
                 dry_run=True)
    assert [e.row for e in report.errors] == [4]


# -- atomic per order, idempotent, dry run ---------------------------------------------------------

def test_an_order_with_one_bad_line_is_rejected_whole_and_others_are_imported(tmp_path):
    report = run(tmp_path, [
        row(order_number="G1"), row(order_number="BAD", sku="SKU-001"), row(order_number="G2"),
        row(order_number="BAD", sku="SKU-404"),
    ])
    assert report.as_contract()["imported"] == 2 and report.rejected_orders == 1 and report.error_rows == 1
    assert set(Order.objects.values_list("external_id", flat=True)) == {"G1", "G2"}
    assert not OrderLine.objects.filter(order__external_id="BAD").exists()
    assert report.imported + report.duplicates + report.rejected_orders == report.orders


def test_importing_the_same_file_twice_imports_nothing_twice(tmp_path):
    rows = [row(order_number="I1"), row(order_number="I2"), row(order_number="I3", sku="NOPE")]
    first = run(tmp_path, rows)
    snapshot = list(Order.objects.order_by("id").values_list("number", "total", "updated_at"))
    second = run(tmp_path, rows)
    assert (first.imported, first.duplicates, first.rejected_orders) == (2, 0, 1)
    assert (second.imported, second.duplicates, second.rejected_orders) == (0, 2, 1)
    assert list(Order.objects.order_by("id").values_list("number", "total", "updated_at")) == snapshot
    assert OrderEvent.objects.count() == 2


def test_an_order_that_came_from_the_api_with_other_lines_is_a_conflict_and_untouched(tmp_path):
    api_order = create_order(channel_code="tmall")
    report = run(tmp_path, [row(order_number=api_order.external_id, channel="天猫", quantity="9")])
    assert (report.imported, report.duplicates, report.rejected_orders) == (0, 0, 1)
    assert report.errors[0].row == 2 and report.errors[0].message.startswith("Conflict: this order is already in OMS")
    api_order.refresh_from_db()
    assert api_order.source == OrderSource.API and api_order.lines.get().quantity == 2


def test_dry_run_writes_nothing_and_reports_the_same(tmp_path):
    rows = [row(order_number="D1"), row(order_number="D2", sku="NOPE"), row(order_number="D3")]
    sequences = Sequence.objects.count()
    dry = run(tmp_path, rows, dry_run=True)
    assert Order.objects.count() == Customer.objects.count() == OrderEvent.objects.count() == 0
    assert Sequence.objects.count() == sequences
    real = run(tmp_path, rows)
    assert dry.as_contract() == real.as_contract()


def test_an_order_created_meanwhile_is_counted_as_duplicate_and_the_rest_imported(tmp_path, monkeypatch):
    """A race with the API: the batch insert hits the unique key, the batch is redone order by order."""
    taken = create_order(channel_code="tmall")
    monkeypatch.setattr(_Importer, "_existing_keys", lambda self, keys: set())
    report = run(tmp_path, [row(order_number="M1"), row(order_number=taken.external_id), row(order_number="M2")])
    assert (report.imported, report.duplicates, report.rejected_orders) == (2, 1, 0)
    assert set(Order.objects.filter(source="import").values_list("external_id", flat=True)) == {"M1", "M2"}
    numbers = sorted(int(n[-6:]) for n in Order.objects.values_list("number", flat=True))
    assert numbers == list(range(numbers[0], numbers[0] + 3))  # the failed attempt gave its numbers back


def test_small_batches_give_the_same_result(tmp_path):
    rows = [row(order_number=f"S{i % 7}", sku=f"SKU-00{1 + i % 3}") for i in range(40)]
    path = write_csv(tmp_path / "s.csv", table(rows))
    report = legacy_orders_import(path=path, dry_run=False, actor=ACTOR, batch_orders=2)
    assert (report.rows, report.orders, report.imported) == (40, 7, 7)
    assert OrderLine.objects.count() == 40


def test_progress_is_reported_up_to_all_rows(tmp_path):
    seen = []
    path = write_csv(tmp_path / "p.csv", table([row(order_number=f"P{i}") for i in range(30)]))
    legacy_orders_import(path=path, dry_run=True, actor=ACTOR, batch_orders=4,
                         progress=lambda phase, done, total: seen.append((phase, done, total)))
    assert seen[-1] == ("checking", 30, 30)


# -- the stages that own stock and money catch up with open orders -------------------------------------

def test_open_orders_are_handed_to_the_stages_historical_ones_are_not(tmp_path, monkeypatch):
    received = []

    def catch_up(importer, open_ids):
        # inside the batch's transaction: the orders and their lines are there
        assert all(OrderLine.objects.filter(order_id=pk).exists() for pk in open_ids)
        received.append((importer.actor, sorted(Order.objects.filter(pk__in=open_ids)
                                                .values_list("external_id", flat=True))))

    monkeypatch.setattr(_Importer, "_open_orders_imported", catch_up)
    run(tmp_path, [row(order_number="O1", status="待付款"), row(order_number="O2", status="已完成",
                                                              tracking_number="T"),
                   row(order_number="O3", status="待发货", paid_amount="210"), row(order_number="O4",
                                                                                 status="已取消")])
    assert received == [(ACTOR, ["O1", "O3"])]


def test_a_failing_stage_rolls_its_batch_back(tmp_path, monkeypatch):
    def catch_up(importer, open_ids):
        raise IntegrityError("stock could not be reserved")

    monkeypatch.setattr(_Importer, "_open_orders_imported", catch_up)
    report = run(tmp_path, [row(order_number="F1", status="待付款")])
    assert Order.objects.count() == 0 and report.imported == 0


def test_an_order_the_database_refuses_is_rejected_with_the_reason_not_counted_as_a_duplicate(tmp_path, monkeypatch):
    """The batch is redone order by order; the one that still fails, and is not in OMS, is reported."""
    def catch_up(importer, open_ids):
        if Order.objects.filter(pk__in=open_ids, external_id="F2").exists():
            raise IntegrityError('insert or update on table "inventory_reservation" violates foreign key\nDETAIL: x')

    monkeypatch.setattr(_Importer, "_open_orders_imported", catch_up)
    report = run(tmp_path, [row(order_number="F1", status="待付款"), row(order_number="F2", status="待付款"),
                            row(order_number="F3", status="待付款")])
    assert (report.imported, report.duplicates, report.rejected_orders) == (2, 0, 1)
    assert set(Order.objects.values_list("external_id", flat=True)) == {"F1", "F3"}
    [problem] = report.errors
    assert (problem.row, problem.column, problem.value) == (3, "订单号", "F2")
    assert "violates foreign key" in problem.message and "DETAIL" not in problem.message
    numbers = sorted(int(n[-6:]) for n in Order.objects.values_list("number", flat=True))
    assert numbers == [numbers[0], numbers[0] + 1]  # the refused order's number went back


def test_headers_in_chinese_are_the_contract_names():
    assert ZH[:20] == ["订单号", "渠道", "下单时间", "客户名称", "手机", "省", "市", "区", "详细地址", "SKU", "数量",
                       "单价", "折扣", "运费", "状态", "支付方式", "已付金额", "物流公司", "运单号", "备注"]
    # then the project's optional invoice columns (docs/imports.md), none of them required
    assert ZH[20:] == ["发票类型", "发票抬头", "税号", "开票地址电话", "开户行及账号"]
