"""Import batches, their problems, and what a legacy order brings along.

An `ImportBatch` is one uploaded (or command-line) file and its latest run: a dry run first, then
the import. Its progress (rows done / total) lives in the row itself, so a page reload or a second
browser tab shows the same bar while a django-q2 worker runs the job. `ImportIssue` rows are the
report: row as Excel numbers it, column header as written in the file, value, message.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.fieldcrypto import EncryptedTextField
from core.storage import private_storage
from logistics.models import Carrier  # the carriers the template accepts (`物流公司`) are logistics' own
from orders.models import Order


class ImportBatch(models.Model):
    class Mode(models.TextChoices):
        DRY_RUN = "dry_run", _("Dry run")
        IMPORT = "import", _("Import")

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        QUEUED = "queued", _("Waiting for a worker")
        RUNNING = "running", pgettext_lazy("import status", "Running")
        DONE = "done", _("Finished")
        FAILED = "failed", _("Failed")

    class Phase(models.TextChoices):
        READING = "reading", _("Reading the file")
        CHECKING = "checking", _("Checking and importing rows")
        WRITING_REPORT = "report", _("Writing the report")

    # Whole customer lists: private storage, served only to importers (`imports:file`), deleted
    # after `OMS_IMPORT_FILE_RETENTION_DAYS` (the batch keeps its report).
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/", storage=private_storage, blank=True)
    file_deleted_at = models.DateTimeField(_("file deleted at"), null=True, blank=True)
    file_name = models.CharField(_("file name"), max_length=255)
    file_size = models.PositiveBigIntegerField(_("file size"), default=0)
    file_kind = models.CharField(_("file type"), max_length=8, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("uploaded by"))
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now, db_index=True)
    run_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+", verbose_name=_("last run by"))
    language = models.CharField(_("language"), max_length=16, default="zh-hans",
                                help_text=_("Language of the report's messages."))

    mode = models.CharField(_("run"), max_length=10, choices=Mode.choices, default=Mode.DRY_RUN)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.UPLOADED)
    phase = models.CharField(_("phase"), max_length=10, choices=Phase.choices, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Written with every progress report of a running batch: a batch whose heartbeat stops (its worker
    # was killed) is marked failed by `import_batches_fail_stalled` and can be resumed.
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    rows_total = models.PositiveIntegerField(_("rows in file"), default=0)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    failure = models.TextField(_("failure"), blank=True)

    # The report's counts (contract: imported + duplicates + rejected_orders = orders).
    rows = models.PositiveIntegerField(_("rows"), default=0)
    orders = models.PositiveIntegerField(_("orders"), default=0)
    imported = models.PositiveIntegerField(_("imported"), default=0)
    duplicates = models.PositiveIntegerField(_("duplicates"), default=0)
    rejected_orders = models.PositiveIntegerField(_("rejected orders"), default=0)
    error_rows = models.PositiveIntegerField(_("rows with errors"), default=0)
    # The dry run's result survives the import run, so the history shows both.
    dry_run_summary = models.JSONField(_("dry run result"), default=dict, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]
        permissions = [("run_import", _("Can import legacy orders"))]

    def __str__(self) -> str:
        return f"#{self.pk} {self.file_name}"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(100, int(self.rows_done * 100 / self.rows_total))

    @property
    def can_resume(self) -> bool:
        """A failed import (stalled or stopped) whose file is still here: continue where it stopped."""
        return (self.mode == self.Mode.IMPORT and self.status == self.Status.FAILED and bool(self.file)
                and self.file_deleted_at is None)

    @property
    def can_import(self) -> bool:
        """A finished dry run that found orders to import."""
        return self.mode == self.Mode.DRY_RUN and self.status == self.Status.DONE and self.imported > 0


class ImportIssue(models.Model):
    class Kind(models.TextChoices):
        ERROR = "error", _("Error")
        WARNING = "warning", _("Warning")

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="issues",
                              verbose_name=_("import"))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.ERROR)
    row = models.PositiveIntegerField(_("row"), null=True, blank=True)
    column = models.CharField(_("column"), max_length=100, blank=True)
    # A rejected cell (a phone, a street) and the message that quotes it: encrypted at rest, shown
    # whole to whoever may see the import (they uploaded the file).
    value = EncryptedTextField(_("value"), blank=True)
    message = EncryptedTextField(_("message"))
    order_number = models.CharField(_("order number"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("import problem")
        verbose_name_plural = _("import problems")
        ordering = ["batch", "id"]
        indexes = [models.Index(fields=["batch", "kind", "row"], name="imports_issue_batch_kind_row")]

    def __str__(self) -> str:
        return f"{self.row} {self.column}: {self.message}"


class ImportedOrder(models.Model):
    """Where an imported order came from, and the carrier and tracking number of historical ones.

    Kept beside the order (not on it) until the logistics stage owns shipments: a shipped or
    completed legacy order is a record whose tracking number has no shipment behind it.
    """

    order = models.OneToOneField(Order, on_delete=models.CASCADE, primary_key=True, related_name="import_record",
                                 verbose_name=_("order"))
    batch = models.ForeignKey(ImportBatch, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="imported_orders", verbose_name=_("import"))
    source_row = models.PositiveIntegerField(_("first row in file"))
    legacy_carrier = models.CharField(_("carrier"), max_length=10, choices=Carrier.choices, blank=True)
    legacy_tracking_number = models.CharField(_("tracking number"), max_length=64, blank=True, db_index=True)

    class Meta:
        verbose_name = _("imported order")
        verbose_name_plural = _("imported orders")

    def __str__(self) -> str:
        return f"{self.order_id}"
