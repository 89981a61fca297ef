"""Writers of the after-sales stage (see each module)."""

from aftersales.services.receiving import LineInspection, return_request_inspect, return_request_receive
from aftersales.services.requests import (
    ReturnLineInput,
    return_request_approve,
    return_request_close,
    return_request_create,
    return_request_register_parcel,
    return_request_reject,
    return_request_submit,
)
from aftersales.services.settlement import (
    return_request_confirm_refund,
    return_request_exchange,
    return_request_refund,
    return_requests_close_settled,
)

__all__ = [
    "LineInspection", "ReturnLineInput", "return_request_approve", "return_request_close", "return_request_create",
    "return_request_exchange", "return_request_inspect", "return_request_receive", "return_request_refund",
    "return_request_register_parcel", "return_request_reject", "return_request_submit",
    "return_request_confirm_refund", "return_requests_close_settled",
]
