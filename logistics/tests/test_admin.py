import pytest
from django.urls import reverse

from core.enums import Role
from logistics.services import shipment_pack
from logistics.tests.factories import ACTOR, product, released_order, shipments_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, make_user):
    client.force_login(make_user("boss", Role.MANAGER, is_staff=True))
    return client


def test_shipment_changelist_costs_the_same_queries_for_more_rows(staff, django_assert_max_num_queries):
    p = product()
    released_order([(p, 1, "10.00")])
    url = reverse("admin:logistics_shipment_changelist")
    with django_assert_max_num_queries(40) as few:
        assert staff.get(url).status_code == 200
    for _ in range(10):
        released_order([(p, 1, "10.00")])
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = staff.get(url)
    assert response.content.decode().count("SH2") >= 11


def test_shipment_page_is_read_only_and_print_action_returns_labels(staff):
    order = released_order([(product(), 1, "10.00")])
    [shipment] = shipments_of(order)
    page = staff.get(reverse("admin:logistics_shipment_change", args=[shipment.pk]))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    shipment_pack(shipment=shipment, weight_kg="1", actor=ACTOR, verify_scan=False)
    response = staff.post(reverse("admin:logistics_shipment_changelist"),
                          {"action": "print_labels", "_selected_action": [shipment.pk]})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


def test_outbox_admin_shows_messages_with_their_attempts(staff):
    from inventory.tests.factories import priority
    from logistics.tests.factories import wms_warehouse
    from oms.integrations import outbox
    from oms.integrations.models import OutboxMessage

    gz = wms_warehouse()
    priority("广东省", gz)
    released_order([(product(stock=5, at=gz), 1, "10.00")], province="广东省", city="广州市")
    message = outbox.deliver(message_pk=OutboxMessage.objects.get().pk)  # no endpoint yet: waits
    listing = staff.get(reverse("admin:integrations_outboxmessage_changelist")).content.decode()
    assert message.message_id in listing
    page = staff.get(reverse("admin:integrations_outboxmessage_change", args=[message.pk])).content.decode()
    assert "no active endpoint" in page
