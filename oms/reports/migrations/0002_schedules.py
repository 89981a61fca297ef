from django.db import migrations

SCHEDULES = [
    # (func, name, minutes): the rollups every 5 minutes; subscriptions checked hourly, each sent once a day/week.
    ("oms.reports.tasks.refresh_rollups", "Refresh report rollups", 5),
    ("oms.reports.tasks.send_subscriptions", "Send report subscriptions", 60),
]


def create_schedules(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    for func, name, minutes in SCHEDULES:
        if not Schedule.objects.filter(func=func).exists():
            Schedule.objects.create(name=name, func=func, schedule_type="I", minutes=minutes, repeats=-1)


def remove_schedules(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(func__in=[s[0] for s in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_rollups_and_dashboards"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create_schedules, remove_schedules)]
