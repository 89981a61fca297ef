"""The invoice print centre: only finance may use it; merged PDF, ZIP, background jobs, marking."""

import io
import zipfile
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from core.actors import SYSTEM
from core.enums import Role
from finance.models import Invoice, PrintJob, PrintJobStatus
from finance.services import invoice_issue
from finance.services.printing import print_job_run
from finance.tests.factories import paid_order

pytestmark = pytest.mark.django_db

URL = "/finance/invoices/print/"
ACTION = "/finance/invoices/print/action/"


@pytest.fixture
def clerk(make_user, client):
    user = make_user("fin", Role.FINANCE)
    client.force_login(user)
    return user


def invoices(n: int, **kwargs) -> list[Invoice]:
    return [invoice_issue(order=paid_order(**kwargs), actor=SYSTEM) for _ in range(n)]


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.CUSTOMER_SERVICE, Role.WAREHOUSE, Role.AFTERSALES,
                                  Role.MANAGER])
def test_only_finance_roles_may_open_the_print_centre(make_user, client, role):
    client.force_login(make_user("someone", role))
    assert client.get(URL).status_code == 403
    assert client.post(ACTION, {"action": "mark", "output": "pdf", "ids": [1]}).status_code == 403


@pytest.mark.parametrize("role", [Role.FINANCE, Role.FINANCE_DIRECTOR])
def test_finance_roles_may(make_user, client, role):
    client.force_login(make_user("someone", role))
    assert client.get(URL).status_code == 200


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_list_filters_by_printed_and_channel_in_constant_queries(clerk, client, django_assert_max_num_queries):
    first, second, third = invoices(3)
    Invoice.objects.filter(pk=first.pk).update(printed_at=timezone.now())
    # 14: the page's own reads, plus the back-office shell reading the user's roles once and asking
    # whether an approval waits for this user (someone without the review permission)
    with django_assert_max_num_queries(14):
        response = client.get(URL, {"printed": "no"})
    numbers = [invoice.number for invoice in response.context["page"]]
    assert numbers == [third.number, second.number]
    assert client.get(URL, {"channel": "jd"}).context["matching"] == 0
    assert client.get(URL, {"q": first.number}).context["matching"] == 1
    invoices(5)
    with django_assert_max_num_queries(14):
        client.get(URL)


def test_date_filter(clerk, client):
    invoice, = invoices(1)
    today = timezone.localdate()
    assert client.get(URL, {"date_from": today, "date_to": today}).context["matching"] == 1
    assert client.get(URL, {"date_from": today + timedelta(days=1)}).context["matching"] == 0


def test_selected_invoices_as_one_merged_pdf_and_marked_printed(clerk, client):
    selected = invoices(3)
    response = client.post(ACTION, {"action": "download", "output": "pdf", "mark_printed": "1",
                                    "ids": [i.pk for i in selected]})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = PdfReader(io.BytesIO(response.content))
    assert [page.extract_text().count("INV-") >= 1 for page in pdf.pages] == [True] * 3
    assert set(Invoice.objects.values_list("print_count", flat=True)) == {1}
    assert set(Invoice.objects.values_list("printed_by", flat=True)) == {clerk.pk}


def test_all_matching_as_zip_without_marking(clerk, client):
    selected = invoices(2)
    response = client.post(f"{ACTION}?printed=no", {"action": "download", "output": "zip", "select_all": "1"})
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(archive.namelist()) == sorted(f"{i.number}.pdf" for i in selected)
    assert PdfReader(io.BytesIO(archive.read(f"{selected[0].number}.pdf"))).pages[0].extract_text().count(
        selected[0].number) == 1
    assert not Invoice.objects.filter(printed_at__isnull=False).exists()


def test_mark_only(clerk, client):
    selected = invoices(2)
    client.post(ACTION, {"action": "mark", "output": "pdf", "ids": [selected[0].pk]})
    assert list(Invoice.objects.filter(printed_at__isnull=False).values_list("pk", flat=True)) == [selected[0].pk]


def test_nothing_selected_is_a_message_not_an_error(clerk, client):
    response = client.post(ACTION, {"action": "download", "output": "pdf"}, follow=True)
    assert response.status_code == 200
    assert "请至少选择一张发票" in response.content.decode()


def test_large_selection_becomes_a_background_job_with_progress(clerk, client, settings,
                                                                django_capture_on_commit_callbacks):
    settings.OMS_PRINT_SYNC_LIMIT = 2
    selected = invoices(3)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(ACTION, {"action": "download", "output": "zip", "mark_printed": "1",
                                        "ids": [i.pk for i in selected]})
    assert response.status_code == 302 and len(callbacks) == 1  # the django-q2 task is queued after commit
    job = PrintJob.objects.get()
    assert (job.status, job.total, job.output) == (PrintJobStatus.QUEUED, 3, "zip")
    status = client.get(reverse("finance:print-job-status", args=[job.pk])).json()
    assert (status["status"], status["percent"], status["download"]) == ("queued", 0, None)
    page = client.get(URL).content.decode()  # the page lists the job; its script polls the status URL
    assert f'data-status-url="{reverse("finance:print-job-status", args=[job.pk])}" data-status="queued"' in page
    print_job_run(job_id=job.pk)  # what the worker runs
    status = client.get(reverse("finance:print-job-status", args=[job.pk])).json()
    assert (status["status"], status["done"], status["percent"]) == ("done", 3, 100)
    download = client.get(status["download"])
    assert download.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    assert len(archive.namelist()) == 3
    assert set(Invoice.objects.values_list("print_count", flat=True)) == {1}
    assert print_job_run(job_id=job.pk).status == PrintJobStatus.DONE  # running twice does nothing


def test_jobs_are_private_to_their_owner(clerk, client, make_user):
    invoice, = invoices(1)
    other = make_user("fin2", Role.FINANCE)
    job = PrintJob.objects.create(created_by=other, invoice_ids=[invoice.pk], total=1)
    assert client.get(reverse("finance:print-job-status", args=[job.pk])).status_code == 404


def test_a_job_left_running_by_a_dead_worker_is_taken_again(clerk, settings):
    invoice, = invoices(1)
    job = PrintJob.objects.create(created_by=clerk, invoice_ids=[invoice.pk], total=1, status=PrintJobStatus.RUNNING,
                                  started_at=timezone.now())
    assert print_job_run(job_id=job.pk).status == PrintJobStatus.RUNNING  # another worker may still be on it
    PrintJob.objects.filter(pk=job.pk).update(started_at=timezone.now() - timedelta(hours=1))
    assert print_job_run(job_id=job.pk).status == PrintJobStatus.DONE
