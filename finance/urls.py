from django.urls import path

from finance import views

app_name = "finance"

urlpatterns = [
    path("invoices/print/", views.print_centre, name="print-centre"),
    path("invoices/print/action/", views.print_centre_action, name="print-centre-action"),
    path("invoices/print/jobs/<int:pk>/", views.print_job_status, name="print-job-status"),
    path("invoices/print/jobs/<int:pk>/download/", views.print_job_download, name="print-job-download"),
    path("invoices/<int:pk>/pdf/", views.invoice_pdf, name="invoice-pdf"),
    path("invoices/<int:pk>/void/", views.invoice_void, name="invoice-void"),
    path("refunds/<int:pk>/withdraw/", views.refund_withdraw, name="refund-withdraw"),
    path("refunds/approvals/", views.refund_approvals, name="refund-approvals"),
    path("refunds/approvals/<int:pk>/approve/", views.refund_approval_approve, name="refund-approval-approve"),
    path("refunds/approvals/<int:pk>/reject/", views.refund_approval_reject, name="refund-approval-reject"),
    path("receivables/", views.receivables, name="receivables"),
    path("orders/<str:number>/", views.order_funds_view, name="order-funds"),
    path("orders/<str:number>/invoice/", views.order_issue_invoice, name="order-issue-invoice"),
    path("orders/<str:number>/refund/", views.order_refund, name="order-refund"),
    path("orders/<str:number>/cod/", views.order_cod_collect, name="order-cod-collect"),
]
