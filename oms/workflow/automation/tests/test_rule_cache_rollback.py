"""A rule change that rolls back must not stay compiled in the process that made it.

The shared generation token is bumped at once and again after commit; on rollback the second bump
never comes, so the process that evaluated rules inside the changing transaction kept the
rolled-back rules compiled under the current token until the next rule change anywhere.
"""

import pytest
from django.db import transaction

from oms.workflow.automation.engine import enabled_rules
from oms.workflow.automation.tests.helpers import make_rule


@pytest.mark.django_db
def test_rules_of_a_rolled_back_change_are_not_kept():
    assert enabled_rules("created") == []
    with pytest.raises(RuntimeError), transaction.atomic():
        rule = make_rule(name="回滚的规则")
        assert [r.pk for r in enabled_rules("created")] == [rule.pk]  # seen inside its transaction
        raise RuntimeError("the change rolls back")
    assert enabled_rules("created") == []


@pytest.mark.django_db
def test_rules_of_a_committed_change_are_kept(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        rule = make_rule(name="提交的规则")
        assert [r.pk for r in enabled_rules("created")] == [rule.pk]
    assert [r.pk for r in enabled_rules("created")] == [rule.pk]
    assert [r.pk for r in enabled_rules("created")] == [rule.pk]  # now from the process's cache
