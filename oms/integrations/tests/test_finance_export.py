"""Journal vouchers for the accounting software: a month of demo data balances to the journal to the cent."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone
from openpyxl import load_workbook

from core.actors import SYSTEM
from finance.invariants import ledger_problems
from finance.models import JournalEntry, JournalLine
from oms.integrations.finance_export import HEADER, voucher_export_create
from oms.integrations.models import ExportedVoucher

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_month():
    call_command("demo_data", orders=40, stdout=io.StringIO())
    assert ledger_problems() == []
    months = sorted({timezone.localtime(at).date().replace(day=1)
                     for at in JournalEntry.objects.values_list("posted_at", flat=True)})
    return months


def xlsx_rows(export):
    sheet = load_workbook(io.BytesIO(bytes(export.content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER
    return rows[1:]


def test_a_month_of_demo_data_balances_to_the_journal_to_the_cent(demo_month):
    exported_debit = Decimal("0.00")
    for month in demo_month:
        export = voucher_export_create(period="month", day=month, actor=SYSTEM)
        rows = xlsx_rows(export)
        debit = sum(Decimal(str(r[7])).quantize(Decimal("0.01")) for r in rows)
        credit = sum(Decimal(str(r[8])).quantize(Decimal("0.01")) for r in rows)
        assert debit == credit == export.total_debit == export.total_credit
        vouchers = {(r[1], r[2]) for r in rows}
        assert len(vouchers) == export.vouchers and {r[1] for r in rows} == {"记"}
        assert sorted(n for _, n in vouchers) == list(range(1, export.vouchers + 1))  # no gaps
        for word, number in vouchers:  # each voucher balances on its own
            lines = [r for r in rows if (r[1], r[2]) == (word, number)]
            assert sum(Decimal(str(r[7])) for r in lines) == sum(Decimal(str(r[8])) for r in lines)
        exported_debit += debit
    journal = JournalLine.objects.aggregate(d=Sum("debit"))["d"]
    assert exported_debit == journal and ExportedVoucher.objects.count() == JournalEntry.objects.count()
    exported_vouchers_are_not_exported_twice_unless_asked(demo_month)
    a_day_export_has_the_customer_as_auxiliary_item()


def exported_vouchers_are_not_exported_twice_unless_asked(demo_month):
    month = demo_month[-1]
    first = voucher_export_create(period="month", day=month, file_format="csv", include_exported=True, actor=SYSTEM)
    again = voucher_export_create(period="month", day=month, file_format="csv", actor=SYSTEM)
    assert first.vouchers > 0 and again.vouchers == 0 and again.total_debit == 0
    asked = voucher_export_create(period="month", day=month, file_format="csv", include_exported=True, actor=SYSTEM)
    assert asked.vouchers == first.vouchers
    text = bytes(asked.content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == HEADER and rows[1:] == list(csv.reader(io.StringIO(bytes(first.content).decode("utf-8-sig"))))[1:]


def a_day_export_has_the_customer_as_auxiliary_item():
    entry = JournalEntry.objects.filter(order__isnull=False, lines__account="2203").order_by("posted_at").first()
    day = timezone.localtime(entry.posted_at).date()
    export = voucher_export_create(period="day", day=day, include_exported=True, actor=SYSTEM)
    rows = xlsx_rows(export)
    advance = [r for r in rows if r[5] == "2203" and r[11] == entry.order.number]
    assert advance and advance[0][6] == "预收账款" and advance[0][9].startswith("C") and advance[0][10]
    bank = [r for r in rows if r[5] == "1002"]
    assert all(r[9] is None for r in bank)  # bank lines carry no customer
