"""Private file storage: print-job output holds buyers' names and tax IDs, so it is never served as
public media; the print centre's download view checks permissions and streams it."""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    """Files under `settings.OMS_PRIVATE_MEDIA_ROOT`, read at each use (tests point it elsewhere)."""

    @property
    def base_location(self):
        return self._value_or_setting(self._location, settings.OMS_PRIVATE_MEDIA_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)


_STORAGE = PrivateStorage()


def private_storage() -> FileSystemStorage:
    return _STORAGE
