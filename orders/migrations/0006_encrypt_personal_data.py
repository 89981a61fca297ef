"""Encrypt the phones, e-mails and street addresses already stored, and fill their search columns.

Batched raw SQL (core.fieldcrypto.reseal_table), one transaction per batch, so a large table neither
holds one long transaction nor loads into memory; a run stopped half-way is simply run again.
"""

from django.db import migrations

from core.fieldcrypto import reseal_models_operation


class Migration(migrations.Migration):
    atomic = False  # each batch commits on its own (see reseal_table)

    dependencies = [("orders", "0005_encrypt_personal_data_schema")]

    operations = [reseal_models_operation("orders", "Customer", "HistoricalCustomer", "Order", "HistoricalOrder")]
