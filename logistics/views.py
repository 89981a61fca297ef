"""Warehouse screens: shipments, wave picking, the scanner-driven packing bench, exceptions, the QC queue.

Views parse input, call one service and render; refusals from services are shown as messages (or
as JSON for the packing bench, which talks to the server on every scan).
"""

from __future__ import annotations

from csp.constants import SELF
from csp.decorators import csp_replace
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from core.errors import DocumentNotAvailable, DomainError
from core.feedback import domain_error_text, report_domain_error
from core.storage import private_file_response
from logistics import documents, selectors, services
from logistics.forms import ShipmentFilterForm, WaveFilterForm
from logistics.models import PickWave, QualityCheck, Shipment

VIEW = "logistics.view_shipment"
PACK = "logistics.pack_shipment"
SHIP = "logistics.ship_shipment"


def pdf_response(content: bytes, filename: str, *, inline: bool = True) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{filename}"'
    return response


def _selected_ids(request) -> list[int]:
    ids = []
    for raw in request.POST.getlist("shipment"):
        try:
            ids.append(int(raw))
        except ValueError:
            continue
    return ids


# -- shipments ----------------------------------------------------------------------------------------
@login_required
@permission_required(VIEW, raise_exception=True)
def shipment_list(request):
    form = ShipmentFilterForm(request.GET or None)
    filters = {}
    if form.is_valid():
        data = form.cleaned_data
        filters = {"warehouse": data["warehouse"], "status": data["status"], "carrier": data["carrier"],
                   "search": data["q"], "printed": form.printed_value()}
    page = Paginator(selectors.shipment_list(**filters), 100).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "logistics/shipment_list.html", {
        "form": form, "page": page, "query": query.urlencode(),
        "can_ship": request.user.has_perm(SHIP), "can_pack": request.user.has_perm(PACK),
    })


def _back(request):
    """Where to go after a POST: `next` only when it stays on this site (no open redirect)."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return redirect(target)
    return redirect(reverse("logistics:shipments"))


@login_required
@permission_required(PACK, raise_exception=True)  # printing marks labels printed: warehouse work, not viewing
@require_POST
def labels_batch(request):
    """Selected shipments' labels in one PDF; remembered as printed."""
    ids = _selected_ids(request)
    shipments = selectors.shipments_with_lines(ids)
    try:
        pdf = documents.labels_pdf(shipments=shipments)
    except DocumentNotAvailable:
        messages.error(request, _("None of the chosen shipments has a waybill number yet; pack them first."))
        return _back(request)
    services.labels_mark_printed(shipment_ids=ids, actor=request.user)
    return pdf_response(pdf, "labels.pdf")


@login_required
@permission_required(SHIP, raise_exception=True)
@require_POST
def handover(request):
    """The carrier picked the parcels up: ship each selected shipment (one refusal does not stop the rest)."""
    shipped, refused = [], []
    for shipment in Shipment.objects.filter(pk__in=_selected_ids(request)).order_by("pk"):
        try:
            services.shipment_ship(shipment=shipment, actor=request.user)
            shipped.append(shipment.number)
        except DomainError as exc:
            refused.append(f"{shipment.number}：{domain_error_text(exc)}")
    if shipped:
        messages.success(request, _("Handed over to the carrier: %(numbers)s") % {"numbers": "，".join(shipped)})
    for problem in refused:
        messages.error(request, problem)
    if not shipped and not refused:
        messages.warning(request, _("Choose the shipments the carrier picked up."))
    return _back(request)


@xframe_options_sameorigin  # the packing bench shows the label in a frame of its own page
@csp_replace({"frame-ancestors": [SELF]})
@login_required
@permission_required(VIEW, raise_exception=True)
def shipment_label(request, number):
    shipment = get_object_or_404(Shipment, number=number)
    try:
        pdf = documents.labels_pdf(shipments=selectors.shipments_with_lines([shipment.pk]))
    except DomainError:
        raise Http404(_("This shipment has no waybill number yet."))
    if request.user.has_perm(PACK):  # a view-only role may look at a label; only the warehouse prints
        services.labels_mark_printed(shipment_ids=[shipment.pk], actor=request.user)
    return pdf_response(pdf, f"label-{shipment.number}.pdf")


@login_required
@permission_required(VIEW, raise_exception=True)
def shipment_packing_slip(request, number):
    shipment = get_object_or_404(Shipment, number=number)
    pdf = documents.packing_slips_pdf(shipments=selectors.shipments_with_lines([shipment.pk]))
    return pdf_response(pdf, f"packing-slip-{shipment.number}.pdf")


# -- wave picking ---------------------------------------------------------------------------------------
@login_required
@permission_required(PACK, raise_exception=True)
def wave_picking(request):
    """Choose shipments by warehouse, carrier and cut-off time, then start one wave for them."""
    data = request.POST if request.method == "POST" else (request.GET or None)
    form = WaveFilterForm(data, initial={"warehouse": form_default_warehouse()})
    candidates = []
    if form.is_valid():
        warehouse, carrier, cutoff = (form.cleaned_data[k] for k in ("warehouse", "carrier", "cutoff"))
        if request.method == "POST":
            try:
                wave = services.wave_create(warehouse=warehouse, shipment_ids=_selected_ids(request), carrier=carrier,
                                            cutoff=cutoff, actor=request.user)
            except DomainError as exc:
                report_domain_error(request, exc, form=form)
            else:
                messages.success(request, _("Wave %(number)s started with %(count)s shipments.")
                                 % {"number": wave.number, "count": wave.shipments.count()})
                return redirect("logistics:wave", number=wave.number)
        candidates = list(selectors.waveable_shipments(warehouse=warehouse, carrier=carrier, cutoff=cutoff)[:1000])
    return render(request, "logistics/wave_picking.html", {
        "form": form, "candidates": candidates, "waves": selectors.wave_list()[:10],
    })


def form_default_warehouse():
    from logistics.forms import own_warehouses

    return own_warehouses().first()


@login_required
@permission_required(VIEW, raise_exception=True)
def wave_detail(request, number):
    wave = get_object_or_404(selectors.wave_list(), number=number)
    shipments = selectors.shipment_list().filter(wave=wave)
    return render(request, "logistics/wave_detail.html", {"wave": wave, "shipments": shipments})


@login_required
@permission_required(VIEW, raise_exception=True)
def wave_picking_list(request, number):
    wave = get_object_or_404(PickWave.objects.select_related("warehouse"), number=number)
    return pdf_response(documents.picking_list_pdf(wave=wave), f"picking-list-{wave.number}.pdf")


# -- packing bench -----------------------------------------------------------------------------------------
@login_required
@permission_required(PACK, raise_exception=True)
def packing(request):
    """The bench's start: scan an order (or shipment) number to open its parcel."""
    code = (request.GET.get("code") or "").strip()
    if code:
        shipment = selectors.shipment_for_packing(code=code)
        if shipment is not None:
            return redirect("logistics:packing-shipment", number=shipment.number)
        messages.error(request, _("No parcel to pack for “%(code)s” in an own warehouse.") % {"code": code})
    return render(request, "logistics/packing.html", {"shipment": None})


def _lines_state(shipment: Shipment) -> list[dict]:
    return [{"id": line.pk, "sku": line.order_line.sku, "name": line.order_line.name,
             "barcode": line.order_line.product.barcode, "quantity": line.quantity, "packed": line.quantity_packed}
            for line in shipment.lines.all()]


@login_required
@permission_required(PACK, raise_exception=True)
def packing_shipment(request, number):
    shipment = get_object_or_404(Shipment, number=number)
    shipment = selectors.packing_view(shipment=shipment)
    return render(request, "logistics/packing.html", {
        "shipment": shipment, "lines": _lines_state(shipment),
        "complete": all(line.quantity_packed >= line.quantity for line in shipment.lines.all()),
    })


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@login_required
@permission_required(PACK, raise_exception=True)
@require_POST
def packing_scan(request, number):
    shipment = get_object_or_404(Shipment, number=number)
    code = request.POST.get("code", "")
    try:
        result = services.shipment_scan(shipment=shipment, code=code, actor=request.user)
    except DomainError as exc:
        if _wants_json(request):
            return JsonResponse({"ok": False, "reason": exc.data.get("reason", exc.code),
                                 "message": domain_error_text(exc)}, status=exc.http_status)
        report_domain_error(request, exc)
        return redirect("logistics:packing-shipment", number=number)
    state = selectors.packing_view(shipment=result.shipment)
    if _wants_json(request):
        return JsonResponse({"ok": True, "complete": result.complete, "line": result.line.pk,
                             "sku": result.line.order_line.sku, "lines": _lines_state(state),
                             "status": state.status, "status_display": state.get_status_display()})
    return redirect("logistics:packing-shipment", number=number)


@login_required
@permission_required(PACK, raise_exception=True)
@require_POST
def packing_reset(request, number):
    shipment = get_object_or_404(Shipment, number=number)
    try:
        services.shipment_scan_reset(shipment=shipment, actor=request.user)
    except DomainError as exc:
        report_domain_error(request, exc)
    return redirect("logistics:packing-shipment", number=number)


@login_required
@permission_required(PACK, raise_exception=True)
@require_POST
def packing_pack(request, number):
    shipment = get_object_or_404(Shipment, number=number)
    try:
        shipment = services.shipment_pack(shipment=shipment, weight_kg=request.POST.get("weight_kg"),
                                          packages=request.POST.get("packages") or 1, actor=request.user)
    except DomainError as exc:
        if _wants_json(request):
            return JsonResponse({"ok": False, "reason": exc.code, "message": domain_error_text(exc)},
                                status=exc.http_status)
        report_domain_error(request, exc)
        return redirect("logistics:packing-shipment", number=number)
    label_url = reverse("logistics:shipment-label", args=[shipment.number])
    if _wants_json(request):
        return JsonResponse({"ok": True, "tracking_number": shipment.tracking_number, "label_url": label_url,
                             "status": shipment.status, "status_display": shipment.get_status_display(),
                             "message": _("Packed. Waybill %(tracking)s; the label is printing.")
                             % {"tracking": shipment.tracking_number}})
    messages.success(request, _("Packed. Waybill %(tracking)s.") % {"tracking": shipment.tracking_number})
    return redirect("logistics:packing-shipment", number=number)


# -- exceptions ------------------------------------------------------------------------------------------
@login_required
@permission_required(VIEW, raise_exception=True)
def exceptions(request):
    return render(request, "logistics/exceptions.html", {
        "stale": selectors.stale_shipments()[:500], "troubled": selectors.exception_shipments()[:500],
        "can_ship": request.user.has_perm(SHIP),
    })


@login_required
@permission_required(SHIP, raise_exception=True)
@require_POST
def return_to_sender(request, number):
    shipment = get_object_or_404(Shipment, number=number)
    try:
        services.shipment_return_to_sender(shipment=shipment, reason=request.POST.get("reason", ""),
                                           actor=request.user)
    except DomainError as exc:
        report_domain_error(request, exc)
    else:
        messages.success(request, _("Shipment %(number)s marked as returned to sender.") % {"number": number})
    return redirect("logistics:exceptions")


@login_required
@permission_required(SHIP, raise_exception=True)
@require_POST
def confirm_delivery(request, number):
    """A clerk confirms a delivery the carrier never reported (the customer called)."""
    shipment = get_object_or_404(Shipment, number=number)
    try:
        services.shipment_confirm_delivery(shipment=shipment, note=request.POST.get("note", ""), actor=request.user)
    except DomainError as exc:
        report_domain_error(request, exc)
    else:
        messages.success(request, _("Delivery of shipment %(number)s confirmed.") % {"number": number})
    return redirect("logistics:exceptions")


# -- quality control before shipping (issue 19) ------------------------------------------------------------
QC = "logistics.inspect_qualitycheck"


@login_required
@permission_required(QC, raise_exception=True)
def qc_queue(request):
    """Orders waiting for their quality check (and failed ones to inspect again), oldest first."""
    return render(request, "logistics/qc_queue.html", {"checks": selectors.quality_checks_open()[:200]})


@login_required
@permission_required(QC, raise_exception=True)
@require_POST
def qc_decide(request, pk):
    check = get_object_or_404(QualityCheck, pk=pk)
    decision, note, photo = request.POST.get("decision"), request.POST.get("note", ""), request.FILES.get("photo")
    number = check.order.number
    try:
        if decision == "pass":
            services.qc_pass(check=check, note=note, photo=photo, actor=request.user)
            messages.success(request, _("Order %(number)s passed QC.") % {"number": number})
        elif decision == "fail":
            services.qc_fail(check=check, note=note, photo=photo, actor=request.user)
            messages.warning(request, _("Order %(number)s failed QC and is on hold.") % {"number": number})
        else:
            raise Http404
    except DomainError as exc:
        report_domain_error(request, exc)
    return redirect("logistics:qc-queue")


@login_required
@permission_required(QC, raise_exception=True)
def qc_photo(request, pk):
    """The inspector's photo, from the private storage (never a public media URL)."""
    check = get_object_or_404(QualityCheck, pk=pk)
    return private_file_response(check.photo)
