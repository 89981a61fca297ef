"""Showing domain errors and form errors to clerks as Django messages (screens and admin alike).

`report_domain_error` is the one way a back-office view or admin action shows a `DomainError`:
the error's own text and every field problem of its `errors` (labelled with the form's field label
when the view passes its form or `labels`), nothing dropped. `domain_error_problems` gives the same
lines to views that answer in JSON (the packing bench) or collect refusals for a batch.
"""

from __future__ import annotations

from django.contrib import messages

from core.errors import DomainError
from core.punctuation import labelled


def domain_error_problems(exc: DomainError, *, form=None, labels: dict | None = None) -> list[str]:
    """The lines a clerk should read for `exc`: its message, then each field problem.

    A field problem is prefixed with the field's label when `labels` (path → label) or `form` knows
    one. The error's message is left out when it is only the generic default of its class ("Invalid
    input.") and field problems say more; repeated lines are shown once.
    """
    labels = dict(labels or {})
    lines = []
    for path, problems in (exc.errors or {}).items():
        label = labels.get(path)
        if label is None and form is not None and path in form.fields:
            label = form.fields[path].label
        for problem in problems:
            lines.append(labelled(label, problem) if label else str(problem))
    generic = exc.message is type(exc).default_message
    head = [] if (lines and generic) else [str(exc)]
    return list(dict.fromkeys([*head, *lines]))


def domain_error_text(exc: DomainError, *, form=None, labels: dict | None = None) -> str:
    """`domain_error_problems` as one line (for a JSON answer or one entry of a batch's refusals)."""
    return "；".join(domain_error_problems(exc, form=form, labels=labels))


def report_domain_error(request, exc: DomainError, *, subject: str = "", form=None, labels: dict | None = None) -> None:
    """Show `exc` as error messages: one per problem, or one line prefixed with `subject` (a shipment
    number in a batch action, so the clerk sees which row was refused)."""
    if subject:
        messages.error(request, labelled(subject, domain_error_text(exc, form=form, labels=labels)))
        return
    for line in domain_error_problems(exc, form=form, labels=labels):
        messages.error(request, line)


def report_form_errors(request, form) -> None:
    """Form errors as messages, each prefixed with its field's label."""
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        for error in errors:
            messages.error(request, labelled(label, error) if label else error)
