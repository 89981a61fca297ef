"""Names for what issue 19's steps write: the hold reason of a failed quality check, the survey's
timeline kind (the QC kinds are named by logistics itself)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy, pgettext_lazy


def register_step_labels() -> None:
    from logistics.services.qc import QC_FAILED
    from oms.workflow.automation.survey import EVENT_KIND as SURVEY
    from oms.workflow.checks import HOLD_REASON_LABELS
    from orders.events import KIND_LABELS

    HOLD_REASON_LABELS.setdefault(QC_FAILED, gettext_lazy("Quality check failed"))
    KIND_LABELS.setdefault(SURVEY, pgettext_lazy("timeline", "Satisfaction survey"))
