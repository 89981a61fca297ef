import pytest


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    """Print-job files go to a temporary folder, not the checkout's var/private."""
    settings.OMS_PRIVATE_MEDIA_ROOT = tmp_path / "private"
