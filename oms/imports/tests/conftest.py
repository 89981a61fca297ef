import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english_messages():
    """Assertions read the English messages; tests of the Chinese text switch language themselves."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    """Uploaded files go to a temporary private root, never into the working tree."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.OMS_PRIVATE_MEDIA_ROOT = tmp_path / "private"
