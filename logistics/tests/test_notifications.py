import pytest
from django.core import mail

from logistics.notifications import MemoryBackend, Notification, deliver, notify

MESSAGE = Notification(kind="shipment_shipped", order_number="SO20261124000001", phone="13812341234",
                       email="zs@example.com", subject="订单已发货", body="您的订单已由顺丰速运发出，运单号 SF1。")


class Broken:
    def send(self, notification):
        raise ConnectionError("SMS gateway down")


def test_every_backend_gets_it_and_a_broken_one_does_not_stop_the_others(settings, monkeypatch):
    settings.OMS_NOTIFICATION_BACKENDS = ["logistics.tests.test_notifications.Broken",
                                          "logistics.notifications.EmailBackend",
                                          "logistics.notifications.MemoryBackend"]
    monkeypatch.setattr(MemoryBackend, "outbox", [])
    assert deliver(MESSAGE.__dict__) == 2
    assert MemoryBackend.outbox == [MESSAGE]
    [email] = mail.outbox
    assert email.to == ["zs@example.com"] and "SF1" in email.body


def test_console_is_the_default(settings, capsys):
    del settings.OMS_NOTIFICATION_BACKENDS
    assert deliver(MESSAGE.__dict__) == 1
    out = capsys.readouterr().out
    assert "138****1234" in out and "13812341234" not in out  # the console log never shows a whole phone


@pytest.mark.django_db
def test_nothing_is_sent_for_a_transaction_that_rolls_back(django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            notify(MESSAGE)
            raise RuntimeError
    assert callbacks == []
    with django_capture_on_commit_callbacks() as callbacks:
        notify(MESSAGE)
    assert len(callbacks) == 1
