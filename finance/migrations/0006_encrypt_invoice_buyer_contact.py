"""Encrypt the buyer's address/phone and bank account of the invoices already issued.

Batched raw SQL (core.fieldcrypto.reseal_table), one transaction per batch; a run stopped half-way
is simply run again. Backwards, the values are decrypted again (keep the keys until then).
"""

from django.db import migrations

from core.fieldcrypto import reseal_models_operation


class Migration(migrations.Migration):
    atomic = False  # each batch commits on its own (see reseal_table)

    dependencies = [("finance", "0005_encrypt_invoice_buyer_contact_schema")]

    operations = [reseal_models_operation("finance", "Invoice")]
