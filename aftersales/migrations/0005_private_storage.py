"""QC photos move from the public media folder to private storage (served by `aftersales:photo`)."""

from django.db import migrations, models

import aftersales.models
import core.storage


def move_files(apps, schema_editor):
    from core.storage import move_public_files_to_private

    names = apps.get_model("aftersales", "QcPhoto").objects.exclude(image="").values_list("image", flat=True)
    move_public_files_to_private(names.iterator())


class Migration(migrations.Migration):

    dependencies = [
        ('aftersales', '0004_configuration_history'),
    ]

    operations = [
        migrations.AlterField(
            model_name='qcphoto',
            name='image',
            field=models.ImageField(storage=core.storage.private_storage, upload_to=aftersales.models.qc_photo_path, verbose_name='photo'),
        ),
        migrations.RunPython(move_files, migrations.RunPython.noop),
    ]
