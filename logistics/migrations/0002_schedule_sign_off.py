"""Schedule the hourly sign-off job (auto-completion and the stale-tracking check) in django-q2."""

from django.db import migrations

NAME = "logistics: sign-off (auto-complete, stale tracking)"


def schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(name=NAME, defaults={
        "func": "logistics.jobs.sign_off_job", "schedule_type": "H", "repeats": -1})


def unschedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("logistics", "0001_initial"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
