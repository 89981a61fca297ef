# The constraints of 0004, in their own migration: on PostgreSQL an ALTER TABLE cannot follow the data
# fix in the same transaction (pending deferred foreign-key triggers).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('integrations', '0004_sender_bound_events'),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='inboundevent',
            constraint=models.UniqueConstraint(fields=('kind', 'event_id'), name='integrations_event_kind_id_uniq'),
        ),
        migrations.AddConstraint(
            model_name='inboundevent',
            constraint=models.UniqueConstraint(condition=models.Q(('money_key', ''), _negated=True), fields=('kind', 'money_key'), name='integrations_event_money_key_uniq'),
        ),
        migrations.AddConstraint(
            model_name='webhooksender',
            constraint=models.UniqueConstraint(condition=models.Q(('secret', ''), _negated=True), fields=('secret',), name='integrations_sender_secret_uniq'),
        ),
    ]
