import pytest


@pytest.fixture(autouse=True)
def _fresh_automation_cache():
    """Each test's rules roll back with its transaction: no process may keep them compiled."""
    from oms.workflow.automation.engine import automation_rules_changed

    automation_rules_changed()
    yield
    automation_rules_changed()
