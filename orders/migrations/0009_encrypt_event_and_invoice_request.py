"""Encrypt the invoice requests already stored, and move the personal values of the address-change
timeline entries already written into their encrypted `private` part (phones, streets and the
comment masked in `data` and the message, as `orders.services.details.order_change_address` now
writes them).

Both in primary-key batches of 1,000, one transaction per batch, so a run stopped half-way is simply
run again (entries already moved are skipped). Backwards, the whole values go back into `data` and
the message, and the invoice requests are decrypted (keep the keys until then).
"""

from django.db import migrations, transaction

BATCH = 1000
PERSONAL = ("phone", "address_detail")


def _invoice_request_spec(model):
    from core.fieldcrypto import table_spec

    spec = table_spec(model)
    return dict(spec, columns=["invoice_request"], derived=[])  # phones and streets: orders 0006


def _event_batches(apps, schema_editor, **filters):
    OrderEvent = apps.get_model("orders", "OrderEvent")
    alias = schema_editor.connection.alias
    last = 0
    while True:
        with transaction.atomic(using=alias):
            events = list(OrderEvent.objects.using(alias).filter(kind="address_changed", pk__gt=last, **filters)
                          .order_by("pk")[:BATCH])
            if not events:
                return
            yield events
            OrderEvent.objects.using(alias).bulk_update(events, ["message", "data", "private"])
        last = events[-1].pk


def forwards(apps, schema_editor):
    from core.fieldcrypto import reseal_table
    from core.pii import mask_data, mask_text

    for name in ("Order", "HistoricalOrder"):
        reseal_table(schema_editor.connection, **_invoice_request_spec(apps.get_model("orders", name)))
    for events in _event_batches(apps, schema_editor, private__isnull=True):
        for event in events:
            data = event.data or {}
            event.private = {"message": event.message, "comment": data.get("comment", ""),
                             **{side: {k: v for k, v in (data.get(side) or {}).items() if k in PERSONAL}
                                for side in ("before", "after")}}
            event.data = mask_data(data)
            event.message = mask_text(event.message)


def backwards(apps, schema_editor):
    from core.fieldcrypto import unseal_table

    for events in _event_batches(apps, schema_editor, private__isnull=False):
        for event in events:
            private = dict(event.private or {})
            event.message = private.pop("message", None) or event.message
            data = dict(event.data or {})
            for key, value in private.items():
                data[key] = {**(data.get(key) or {}), **value} if isinstance(value, dict) else value
            event.data, event.private = data, None
    for name in ("Order", "HistoricalOrder"):
        unseal_table(schema_editor.connection, **_invoice_request_spec(apps.get_model("orders", name)))


class Migration(migrations.Migration):
    atomic = False  # each batch commits on its own

    dependencies = [("orders", "0008_encrypt_event_and_invoice_request_schema")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
