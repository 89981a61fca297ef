"""Private file storage: print-job output holds buyers' names and tax IDs, so it is never served as
public media; the print centre's download view checks permissions and streams it."""

from functools import cache

from django.conf import settings
from django.core.files.storage import FileSystemStorage


@cache
def private_storage() -> FileSystemStorage:
    return FileSystemStorage(location=settings.OMS_PRIVATE_MEDIA_ROOT, base_url=None)
