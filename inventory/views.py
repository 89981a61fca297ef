"""Warehouse clerk screens: stock overview, receipts, adjustments, transfers, stocktake import.

Each view parses its form, calls one service and renders; domain errors go back onto the form.
"""

from __future__ import annotations

import base64
import csv
import io
import uuid

import tablib
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.errors import DomainError
from core.feedback import report_domain_error
from inventory.forms import (
    AdjustmentForm,
    ReceiptForm,
    ReceiptLineFormSet,
    StockFilterForm,
    StocktakeUploadForm,
    TransferForm,
    apply_domain_errors,
)
from inventory.models import Warehouse
from inventory.selectors import expired_lot_count, low_stock_count, stock_list
from inventory.services import ReceiptLine, stock_adjust, stock_receive, stock_transfer, stocktake_import

PAGE_SIZE = 50
SESSION_KEY = "inventory.stocktake_upload"


@login_required
@permission_required("inventory.view_stock", raise_exception=True)
def stock_overview(request):
    form = StockFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = stock_list(search=filters.get("q") or "", warehouse=filters.get("warehouse"),
                    low_only=bool(filters.get("low")))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "inventory/stock_overview.html", {
        "form": form, "page": page, "query": query.urlencode(),
        "low_count": low_stock_count(), "expired_count": expired_lot_count(),
    })


@login_required
@permission_required("inventory.receive_stock", raise_exception=True)
@require_http_methods(["GET", "POST"])
def receipt_create(request):
    form = ReceiptForm(request.POST or None)
    formset = ReceiptLineFormSet(request.POST or None, prefix="lines")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        lines = [ReceiptLine(sku=f["sku"], quantity=f["quantity"], batch_number=f.get("batch_number") or "",
                             expiry_date=f.get("expiry_date"), bin_code=f.get("bin_code") or "",
                             unit_cost=f.get("unit_cost"))
                 for f in formset.cleaned_data if f]
        try:
            receipt = stock_receive(warehouse=form.cleaned_data["warehouse"], lines=lines, actor=request.user,
                                    reference=form.cleaned_data["reference"], note=form.cleaned_data["note"])
        except DomainError as exc:
            _line_errors_to_formset(exc, formset, form)
        else:
            messages.success(request, _("Receipt %(number)s booked: %(count)s line(s) into %(warehouse)s.")
                             % {"number": receipt.number, "count": len(lines), "warehouse": receipt.warehouse})
            return redirect("inventory:stock-overview")
    return render(request, "inventory/receipt_form.html", {"form": form, "formset": formset})


def _line_errors_to_formset(exc, formset, form):
    rows = [i for i, f in enumerate(formset.cleaned_data) if f]
    for path, messages_ in (exc.errors or {}).items():
        parts = path.split(".")
        if parts[0] == "lines" and len(parts) == 3 and int(parts[1]) < len(rows):
            line_form = formset.forms[rows[int(parts[1])]]
            name = {"bin": "bin_code"}.get(parts[2], parts[2])
            for message in messages_:
                line_form.add_error(name if name in line_form.fields else None, message)
        else:
            for message in messages_:
                form.add_error(path if path in form.fields else None, message)
    if not exc.errors:
        form.add_error(None, str(exc))


@login_required
@permission_required("inventory.adjust_stock", raise_exception=True)
@require_http_methods(["GET", "POST"])
def adjustment_create(request):
    form = AdjustmentForm(request.POST or None, initial={"sku": request.GET.get("sku", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            adjustment = stock_adjust(warehouse=data["warehouse"], sku=data["sku"],
                                      quantity_change=data["quantity_change"], reason=data["reason"],
                                      actor=request.user)
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, _("Adjustment %(number)s booked.") % {"number": adjustment.number})
            return redirect("inventory:stock-overview")
    return render(request, "inventory/simple_form.html", {
        "form": form, "title": _("Stock adjustment"),
        "intro": _("Correct sellable stock with a reason. Reserved stock cannot be adjusted away."),
    })


@login_required
@permission_required("inventory.transfer_stock", raise_exception=True)
@require_http_methods(["GET", "POST"])
def transfer_create(request):
    form = TransferForm(request.POST or None, initial={"sku": request.GET.get("sku", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            transfer = stock_transfer(source=data["source"], destination=data["destination"], sku=data["sku"],
                                      quantity=data["quantity"], reason=data["reason"], actor=request.user)
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, _("Transfer %(number)s booked.") % {"number": transfer.number})
            return redirect("inventory:stock-overview")
    return render(request, "inventory/simple_form.html", {
        "form": form, "title": _("Stock transfer"),
        "intro": _("Move available stock between warehouses; lots keep their batch, receipt date and expiry."),
    })


def _read_sheet(name: str, content: bytes) -> tablib.Dataset:
    if name.lower().endswith(".xlsx"):
        return tablib.Dataset().load(content, format="xlsx")
    text = content.decode("utf-8-sig", errors="replace")
    return tablib.Dataset().load(text, format="csv")


@login_required
@permission_required("inventory.count_stock", raise_exception=True)
@require_http_methods(["GET", "POST"])
def stocktake_import_view(request):
    """Step 1: upload → dry run shown as a preview. Step 2: confirm → the same file is applied."""
    if request.method == "POST" and request.POST.get("step") == "confirm":
        return _stocktake_confirm(request)
    form = StocktakeUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        content = upload.read()
        try:
            dataset = _read_sheet(upload.name, content)
            preview = stocktake_import(warehouse=form.cleaned_data["warehouse"], dataset=dataset,
                                       actor=request.user, dry_run=True, note=form.cleaned_data["note"])
        except DomainError as exc:
            apply_domain_errors(form, exc)
        except Exception:  # noqa: BLE001 - an unreadable spreadsheet is bad input, not a server error
            form.add_error("file", _("The file could not be read as a spreadsheet."))
        else:
            token = uuid.uuid4().hex
            request.session[SESSION_KEY] = {
                "token": token, "name": upload.name, "content": base64.b64encode(content).decode(),
                "warehouse": form.cleaned_data["warehouse"].code, "note": form.cleaned_data["note"],
            }
            return render(request, "inventory/stocktake_preview.html", {"preview": preview, "token": token})
    return render(request, "inventory/stocktake_upload.html", {"form": form})


def _stocktake_confirm(request):
    stored = request.session.get(SESSION_KEY)
    if not stored or stored.get("token") != request.POST.get("token"):
        messages.error(request, _("The uploaded sheet has expired; upload it again."))
        return redirect("inventory:stocktake-import")
    dataset = _read_sheet(stored["name"], base64.b64decode(stored["content"]))
    try:
        result = stocktake_import(warehouse=stored["warehouse"], dataset=dataset, actor=request.user,
                                  dry_run=False, note=stored["note"])
    except DomainError as exc:
        # The stock changed since the preview (or the sheet is bad): show the fresh preview.
        report_domain_error(request, exc)
        preview = stocktake_import(warehouse=stored["warehouse"], dataset=_read_sheet(
            stored["name"], base64.b64decode(stored["content"])), actor=request.user, dry_run=True)
        return render(request, "inventory/stocktake_preview.html", {"preview": preview, "token": stored["token"]})
    request.session.pop(SESSION_KEY, None)
    changed = len(result.changed_rows)
    messages.success(request, _("Stocktake %(number)s applied: %(changed)s of %(total)s SKUs changed.")
                     % {"number": result.stocktake.number, "changed": changed, "total": len(result.rows)})
    return redirect(reverse("inventory:stock-overview") + f"?warehouse={stored['warehouse']}")


@login_required
@permission_required("inventory.count_stock", raise_exception=True)
def stocktake_template(request):
    """A count sheet for one warehouse: every SKU stocked there, with an empty `counted` column."""
    warehouse = Warehouse.objects.filter(code=request.GET.get("warehouse", "")).first()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"stocktake-{warehouse.code if warehouse else 'template'}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["sku", "counted", "name"])
    if warehouse is not None:
        for stock in stock_list(warehouse=warehouse):
            writer.writerow([stock.product.sku, "", stock.product.name])
    response.write("\ufeff" + buffer.getvalue())  # BOM: Excel opens UTF-8 Chinese correctly
    return response
