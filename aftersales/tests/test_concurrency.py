"""Two clerks (or a channel and a clerk) acting on the same order or request at once (PostgreSQL)."""

import threading

import pytest
from django.db import close_old_connections, connection

from aftersales.models import ReturnRequest, ReturnStatus
from aftersales.services import ReturnLineInput, return_request_create, return_request_refund
from aftersales.tests.factories import ACTOR, approve, delivered_order, inspect_all, receive_all, request_for
from catalog.tests.factories import ProductFactory
from core.errors import DomainError
from finance.models import Refund

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def race(*calls):
    """Run the calls in threads started together; returns (results, domain errors)."""
    barrier = threading.Barrier(len(calls))
    results, errors, unexpected = [], [], []
    lock = threading.Lock()

    def run(fn):
        try:
            barrier.wait()
            value = fn()
            with lock:
                results.append(value)
        except DomainError as exc:
            with lock:
                errors.append(exc)
        except BaseException as exc:  # surfaced below
            unexpected.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(fn,)) for fn in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not unexpected, unexpected
    return results, errors


def test_two_requests_for_the_last_units_only_one_is_accepted():
    order = delivered_order(lines=[(ProductFactory(sku="RACE-1"), 2, "100.00")])

    def ask():
        return return_request_create(order=order, kind="return", reason="no_reason", actor=ACTOR,
                                     lines=[ReturnLineInput(sku="RACE-1", quantity=2)])

    results, errors = race(ask, ask, ask)
    assert len(results) == 1 and len(errors) == 2
    assert ReturnRequest.objects.filter(order=order).count() == 1


def test_a_double_clicked_refund_pays_once(make_user):
    from core.enums import Role

    clerk, wh = make_user("as", Role.AFTERSALES), make_user("wh", Role.WAREHOUSE)
    order = delivered_order(lines=[(ProductFactory(sku="RACE-2"), 1, "100.00")])
    request = inspect_all(receive_all(approve(request_for(order), clerk), wh), wh)

    def refund():
        return return_request_refund(request=ReturnRequest.objects.get(pk=request.pk), actor=clerk, comment="退")

    results, errors = race(refund, refund)
    assert len(results) == 1 and len(errors) == 1
    request.refresh_from_db()
    assert request.status == ReturnStatus.REFUNDED
    assert sum(r.amount for r in Refund.objects.filter(order=order)) == request.refund_amount
