"""Row locks of the finance stage. Every funds writer locks the order first (orders.lock_objects),
then the finance rows it changes, in primary-key order, so two workers cannot deadlock."""

from finance.models import Invoice, Payment, Refund, RefundApproval


def lock_payments(pks) -> dict[int, Payment]:
    return {p.pk: p for p in Payment.objects.select_for_update().filter(pk__in=list(pks)).order_by("pk")}


def lock_refund(pk) -> Refund:
    return Refund.objects.select_for_update().select_related("payment", "order").get(pk=pk)


def lock_invoice(pk) -> Invoice:
    return Invoice.objects.select_for_update().get(pk=pk)


def lock_refund_approval(pk) -> RefundApproval:
    return RefundApproval.objects.select_for_update().get(pk=pk)
