"""Move uploaded import files and QC photos left in the public media folder to private storage.

The migrations that made both private move existing files once; run this again after restoring an
old backup of the media folder, or when files were copied in by hand. Moving twice is harmless.
"""

from django.core.management.base import BaseCommand

from aftersales.models import QcPhoto
from core.storage import move_public_files_to_private
from oms.imports.models import ImportBatch


class Command(BaseCommand):
    help = "Move import files and QC photos from the public media folder to OMS_PRIVATE_MEDIA_ROOT."

    def handle(self, *args, **options):
        imports = move_public_files_to_private(
            ImportBatch.objects.exclude(file="").values_list("file", flat=True).iterator())
        photos = move_public_files_to_private(
            QcPhoto.objects.exclude(image="").values_list("image", flat=True).iterator())
        self.stdout.write(f"moved {imports} import file(s) and {photos} QC photo(s) to private storage")
