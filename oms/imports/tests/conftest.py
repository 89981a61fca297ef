import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english_messages():
    """Assertions read the English messages; tests of the Chinese text switch language themselves."""
    with translation.override("en"):
        yield
