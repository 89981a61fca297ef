"""Row-lock querysets for return requests. Writers lock the order first, then the request."""

from django.db.models import QuerySet

from aftersales.models import ReturnRequest
from orders.lock_objects import lock_order


def return_request_qs_for_update() -> QuerySet[ReturnRequest]:
    return ReturnRequest.objects.select_for_update(of=("self",))


def lock_return_request(request_or_pk) -> ReturnRequest:
    """Lock the request's order, then the request, so every after-sales writer takes locks in one order.

    The order lock also serialises requests against each other (quantities claimed on the same lines)
    and against the goods and funds stages, which lock the order too.
    """
    pk = getattr(request_or_pk, "pk", request_or_pk)
    order_id = ReturnRequest.objects.values_list("order_id", flat=True).get(pk=pk)
    order = lock_order(order_id)
    request = return_request_qs_for_update().select_related("reason").get(pk=pk)
    request.order = order
    return request
