"""Satisfaction surveys (action `start_survey`): one per order, a link with a signed token, one answer.

The token is `django.core.signing` over the survey's id with its own salt: it cannot be guessed or
turned into another order's link, and the public page needs no login. The answer is stored once;
a second answer through the same link is refused.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import InvalidTransition, NotFound, ValidationFailed
from oms.workflow.automation.models import SatisfactionSurvey
from orders.events import record_event, timeline_message
from orders.models import Order

SALT = "oms.workflow.survey"
EVENT_KIND = "survey"


def survey_token(survey: SatisfactionSurvey) -> str:
    """The same token every time for one survey (the link in the text and on the timeline match)."""
    return signing.Signer(salt=SALT).sign(str(survey.pk))


def survey_url(survey: SatisfactionSurvey) -> str:
    return settings.OMS_PUBLIC_BASE_URL.rstrip("/") + reverse("survey:answer", args=[survey_token(survey)])


def survey_for_token(token: str) -> SatisfactionSurvey:
    """The survey a link names; NotFound for a token that was not signed by us."""
    try:
        pk = int(signing.Signer(salt=SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        raise NotFound() from None
    survey = SatisfactionSurvey.objects.select_related("order").filter(pk=pk).first()
    if survey is None:
        raise NotFound()
    return survey


@transaction.atomic
def survey_start(*, order: Order, actor, rule=None, version: int | None = None) -> tuple[SatisfactionSurvey, bool]:
    """The order's survey (created once: a second firing reuses it). Returns (survey, created)."""
    survey, created = SatisfactionSurvey.objects.get_or_create(
        order=order, defaults={"rule_id": getattr(rule, "pk", None), "rule_version": version})
    if created:
        record_event(order=order, kind=EVENT_KIND, actor=actor, data={"survey": survey.pk},
                     message=timeline_message(gettext_lazy("Satisfaction survey sent: %(url)s"),
                                              {"url": survey_url(survey)}))
    return survey, created


def survey_answer(*, survey: SatisfactionSurvey, score, comment: str = "") -> SatisfactionSurvey:
    """Store the customer's answer: a score from 1 to 5 and an optional comment; once per survey."""
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        raise ValidationFailed(errors={"score": [_("Choose a score from 1 to 5.")]})
    comment = (comment or "").strip()[:1000]
    with transaction.atomic():
        survey = SatisfactionSurvey.objects.select_for_update().select_related("order").get(pk=survey.pk)
        if survey.answered_at is not None:
            raise InvalidTransition(_("This survey has already been answered. Thank you!"))
        survey.score, survey.comment, survey.answered_at = score, comment, timezone.now()
        survey.save(update_fields=["score", "comment", "answered_at"])
        record_event(order=survey.order, kind=EVENT_KIND, actor=None,
                     data={"survey": survey.pk, "score": score, "comment": comment},
                     message=timeline_message(gettext_lazy("Satisfaction survey answered: %(score)s/5. %(comment)s"),
                                              {"score": score, "comment": comment}))
    return survey
