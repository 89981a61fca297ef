"""Requests never wait for an order's follow-up work (invoice, shipment planning, notifications)."""

from __future__ import annotations

from oms.workflow.follow_ups import after_commit


class FollowUpsAfterCommit:
    """Every request runs inside `follow_ups.after_commit()`: whatever screen, API call or admin
    action releases an order (an approval, an exchange's replacement order, a payment), the invoice
    and the shipments are recorded as follow-ups and done by a worker after commit."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with after_commit():
            return self.get_response(request)
