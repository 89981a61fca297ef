"""Carrier connectors: where a waybill (tracking) number comes from.

A real connector asks the carrier's e-waybill API (电子面单) for a number when a parcel is packed;
that is a call to an outside system, so services call `waybill_number` *before* they open their
transaction. The default connector numbers waybills from a local gapless sequence per carrier,
which is what a warehouse with pre-printed waybill rolls does, and what tests and demos need.

`OMS_CARRIER_CONNECTORS` maps a carrier code to a dotted path; carriers not named there use
`OMS_DEFAULT_CARRIER_CONNECTOR`.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from core.numbering import next_value
from logistics.models import Carrier

WAYBILL_PREFIX = {
    Carrier.SF: "SF", Carrier.ZTO: "ZT", Carrier.YTO: "YT", Carrier.STO: "ST", Carrier.YUNDA: "YD",
    Carrier.JD: "JDV", Carrier.EMS: "EM",
}


class CarrierConnector:
    """Interface: one instance per carrier code."""

    def __init__(self, carrier: str):
        self.carrier = carrier

    def waybill_number(self, *, shipment) -> str:  # pragma: no cover - interface
        raise NotImplementedError


class SequenceConnector(CarrierConnector):
    """Waybill numbers from a local sequence: `SF` + 12 digits, `ZT` + 12 digits, …"""

    def waybill_number(self, *, shipment) -> str:
        prefix = WAYBILL_PREFIX.get(self.carrier, self.carrier.upper())
        return f"{prefix}{next_value(f'waybill:{self.carrier}'):012d}"


@cache
def _connector_class(path: str):
    return import_string(path)


def connector_for(carrier: str) -> CarrierConnector:
    paths = getattr(settings, "OMS_CARRIER_CONNECTORS", {}) or {}
    path = paths.get(carrier) or getattr(settings, "OMS_DEFAULT_CARRIER_CONNECTOR",
                                         "logistics.carriers.SequenceConnector")
    return _connector_class(path)(carrier)


def carrier_label(code: str):
    """The carrier's name, lazily translated (so a timeline message gets it in the stored language)."""
    try:
        return Carrier(code).label
    except ValueError:
        return code
