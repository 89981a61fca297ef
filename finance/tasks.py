"""django-q2 entry points of the finance stage."""

from finance.services.printing import print_job_run
from finance.services.refunds import retry_failed_refunds as _retry_failed_refunds


def retry_failed_refunds() -> int:
    return _retry_failed_refunds()


def run_print_job(job_id: int) -> str:
    return print_job_run(job_id=job_id).status
