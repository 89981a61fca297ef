"""Background jobs of the logistics stage (django-q2, run by dotted path).

`sign_off_job` is scheduled hourly by the migration `0002_schedule_sign_off`: it completes orders
`OMS_AUTO_COMPLETE_DAYS` after shipment when no delivery report ever came, and logs how many
parcels have had no tracking progress for `OMS_TRACKING_STALE_HOURS` (listed on the exceptions
screen).
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def sign_off_job() -> dict:
    from logistics.selectors import stale_shipments
    from logistics.services import orders_auto_complete

    completed = orders_auto_complete()
    stale = stale_shipments().count()
    if completed:
        log.info("auto-completed %d orders: %s", len(completed), ", ".join(completed))
    if stale:
        log.warning("%d shipments without tracking progress; see the shipping exceptions list", stale)
    return {"completed": completed, "stale": stale}
