"""Writers of the logistics stage.

- `order_shipments_create` / `order_shipments_cancel` / `order_shipments_hold` (`orders_shipments_hold`
  for many) / `order_shipments_readdress`
  — from the order pipeline (hooks);
- `wave_create`, `shipment_scan`, `shipment_pack`, `labels_mark_printed` — own warehouse screens;
- `shipment_ship` — goods leave: stock issued, revenue recognised, order (partially) shipped;
- `shipment_track`, `shipment_return_to_sender`, `orders_auto_complete` — after the goods left;
- `qc_request` / `qc_pass` / `qc_fail` (`qc_guard` read by packing and hand-over) — QC before shipping;
- `wms_report` — what an external WMS reports (picked, packed, shipped with tracking number).
"""

from logistics.services.qc import qc_fail, qc_guard, qc_pass, qc_request
from logistics.services.shipments import (
    order_shipments_cancel,
    order_shipments_create,
    order_shipments_hold,
    order_shipments_readdress,
    orders_shipments_hold,
    shipment_carrier_change,
)
from logistics.services.shipping import ShipOutcome, shipment_ship
from logistics.services.tracking import (
    TrackingOutcome,
    orders_auto_complete,
    shipment_confirm_delivery,
    shipment_return_to_sender,
    shipment_track,
)
from logistics.services.warehouse_work import (
    ScanResult,
    labels_mark_printed,
    shipment_pack,
    shipment_scan,
    shipment_scan_reset,
    shipment_start_picking,
    wave_create,
)
from logistics.services.wms import ReportedLine, WmsEvent, wms_report

__all__ = [
    "ReportedLine", "ScanResult", "ShipOutcome", "TrackingOutcome", "WmsEvent", "labels_mark_printed",
    "order_shipments_cancel", "order_shipments_create", "order_shipments_hold", "order_shipments_readdress",
    "orders_shipments_hold",
    "orders_auto_complete", "qc_fail", "qc_guard", "qc_pass", "qc_request", "shipment_confirm_delivery",
    "shipment_carrier_change", "shipment_pack", "shipment_return_to_sender", "shipment_scan", "shipment_scan_reset",
    "shipment_ship", "shipment_start_picking", "shipment_track", "wave_create", "wms_report",
]
