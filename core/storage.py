"""Private files: anything with customers' data in it (print-job PDFs, uploaded import files, QC
photos) is stored under `settings.OMS_PRIVATE_MEDIA_ROOT`, never under the public `MEDIA_ROOT`, and
reaches a browser only through a view that checks a permission and calls `private_file_response`.

Use it for a new file field like this::

    from core.storage import private_storage

    photo = models.ImageField(storage=private_storage, upload_to="aftersales/qc/%Y/%m/")

    @login_required
    @permission_required("aftersales.view_qcphoto", raise_exception=True)
    def photo(request, pk):
        return private_file_response(get_object_or_404(QcPhoto, pk=pk).image)

`private_storage` is passed as a callable (not an instance), so migrations record a stable
reference and tests that point `OMS_PRIVATE_MEDIA_ROOT` elsewhere take effect at each use.
"""

from __future__ import annotations

import mimetypes
import os
import shutil
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse, Http404


class PrivateStorage(FileSystemStorage):
    """Files under `settings.OMS_PRIVATE_MEDIA_ROOT`, read at each use; no public URL at all."""

    @property
    def base_location(self):
        return self._value_or_setting(self._location, settings.OMS_PRIVATE_MEDIA_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        """No public URL: an admin or template that asks gets an empty link, never a /media/ path."""
        return ""


_STORAGE = PrivateStorage()


def private_storage() -> PrivateStorage:
    """The private storage (a callable for `FileField(storage=...)`)."""
    return _STORAGE


def private_file_response(field_file, *, as_attachment: bool = False, filename: str = "") -> FileResponse:
    """Stream a stored private file; 404 when the field is empty or the file is gone.

    The caller has checked the permission. `nosniff` and a content type from the name keep a
    browser from running an uploaded file as HTML.
    """
    if not field_file or not field_file.name or not field_file.storage.exists(field_file.name):
        raise Http404
    name = filename or field_file.name.rsplit("/", 1)[-1]
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(field_file.open("rb"), as_attachment=as_attachment, filename=name,
                            content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def move_public_files_to_private(names) -> int:
    """Move files stored under the public `MEDIA_ROOT` to the same relative name under the private
    root (for data migrations and `move_private_files`); returns how many were moved. A name that
    is already private, or missing from both, is left alone, so running it twice is harmless."""
    public_root = Path(settings.MEDIA_ROOT).resolve()
    private_root = Path(settings.OMS_PRIVATE_MEDIA_ROOT).resolve()
    moved = 0
    for name in names:
        if not name:
            continue
        source = (public_root / name).resolve()
        target = (private_root / name).resolve()
        if public_root not in source.parents or private_root not in target.parents:
            continue  # a name with ../ in it: not ours to move
        if not source.is_file() or target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(source), str(target))
        moved += 1
    return moved
