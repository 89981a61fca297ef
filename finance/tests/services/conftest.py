import pytest
from django.test import override_settings

from finance.connectors.testing import ScriptedConnector


@pytest.fixture
def scripted_connector():
    """Refunds and captures go to a connector the test scripts (`ScriptedConnector.script(...)`)."""
    ScriptedConnector.reset()
    with override_settings(OMS_PAYMENT_CONNECTORS={"console": "finance.connectors.testing.ScriptedConnector"}):
        yield ScriptedConnector
