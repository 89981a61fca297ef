"""Encrypt the credentials already stored in plain text: outbound endpoints' secrets, channel
connectors' app secret and access token, CRM token and secret, SMS gateway key secret. Batched as
0014 (core.fieldcrypto.reseal_table); backwards, they are decrypted again (keep the keys until then)."""

from django.db import migrations

from core.fieldcrypto import reseal_models_operation


class Migration(migrations.Migration):
    atomic = False  # each batch commits on its own (see reseal_table)

    dependencies = [("integrations", "0015_encrypt_integration_credentials_schema")]

    operations = [reseal_models_operation("integrations", "OutboundEndpoint", "ChannelConnector", "CrmEndpoint",
                                          "SmsGateway")]
