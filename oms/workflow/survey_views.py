"""The public satisfaction survey page: no login, the signed token in the link names the survey.

A token we did not sign is a 404 (nothing tells a guesser whether an order exists); an answered
survey shows its thanks instead of the form, and a second answer is refused.
"""

from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from core.errors import DomainError, NotFound
from core.feedback import domain_error_text
from oms.workflow.automation.survey import survey_answer, survey_for_token

SCORES = (5, 4, 3, 2, 1)


@never_cache
def answer(request, token: str):
    try:
        survey = survey_for_token(token)
    except NotFound:
        raise Http404 from None
    error, status = "", 200
    if request.method == "POST" and survey.answered_at is None:
        try:
            survey = survey_answer(survey=survey, score=request.POST.get("score"),
                                   comment=request.POST.get("comment", ""))
        except DomainError as exc:
            error, status = domain_error_text(exc), 400
    elif request.method == "POST":
        error, status = _("This survey has already been answered. Thank you!"), 409
    return render(request, "workflow/survey.html", {
        "survey": survey, "order": survey.order, "scores": SCORES, "error": error,
        "labels": {5: _("Very satisfied"), 4: _("Satisfied"), 3: _("Neutral"), 2: _("Dissatisfied"),
                   1: _("Very dissatisfied")},
    }, status=status)
