import pytest

from core.enums import Role
from orders.services import order_assign
from orders.tests.factories import create_order

pytestmark = pytest.mark.django_db


def test_assign_records_assignee_and_event(make_user):
    reviewer = make_user("r", Role.REVIEWER)
    order = create_order()
    assigned = order_assign(order=order, assignee=reviewer, actor=reviewer)
    assert assigned.assigned_to == reviewer
    event = assigned.events.order_by("-id").first()
    assert event.kind == "assigned" and event.data == {"assignee": "r"} and event.actor == reviewer


def test_reassign_and_unassign(make_user):
    a, b = make_user("a", Role.REVIEWER), make_user("b", Role.REVIEWER)
    order = create_order()
    order_assign(order=order, assignee=a, actor=a)
    order_assign(order=order, assignee=b, actor=a)
    order.refresh_from_db()
    assert order.assigned_to == b
    order_assign(order=order, assignee=None, actor=b)
    order.refresh_from_db()
    assert order.assigned_to is None
    assert order.events.filter(kind="assigned").count() == 3
