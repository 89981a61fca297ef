"""Import files move to private storage; batches get a heartbeat (stalled-batch check) and a record of
when their file was deleted (retention). Two django-q2 schedules run both jobs."""

from django.db import migrations, models

import core.storage

SCHEDULES = [
    ("Delete import files past their retention", "oms.imports.tasks.purge_import_files", 60 * 24),
    ("Fail import batches that stopped making progress", "oms.imports.tasks.fail_stalled_import_batches", 5),
]


def move_files(apps, schema_editor):
    from core.storage import move_public_files_to_private

    names = apps.get_model("imports", "ImportBatch").objects.exclude(file="").values_list("file", flat=True)
    move_public_files_to_private(names.iterator())


def create_schedules(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    for name, func, minutes in SCHEDULES:
        if not Schedule.objects.filter(func=func).exists():
            Schedule.objects.create(name=name, func=func, schedule_type="I", minutes=minutes, repeats=-1)


def remove_schedules(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(func__in=[f for _n, f, _m in SCHEDULES]).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('imports', '0002_alter_importedorder_legacy_carrier'),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [
        migrations.AddField(
            model_name='importbatch',
            name='file_deleted_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='file deleted at'),
        ),
        migrations.AddField(
            model_name='importbatch',
            name='heartbeat_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='last sign of life'),
        ),
        migrations.AlterField(
            model_name='importbatch',
            name='file',
            field=models.FileField(blank=True, storage=core.storage.private_storage, upload_to='imports/%Y/%m/', verbose_name='file'),
        ),
        migrations.RunPython(move_files, migrations.RunPython.noop),
        migrations.RunPython(create_schedules, remove_schedules),
    ]
