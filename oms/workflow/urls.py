from django.urls import path

from oms.workflow import approval_views, views

app_name = "workflow"

urlpatterns = [
    path("approvals/", approval_views.approvals_inbox, name="approvals"),
    path("approvals/<int:pk>/decide/", approval_views.approvals_decide, name="approvals-decide"),
    path("approvals/delegations/", approval_views.delegation_add, name="approvals-delegate"),
    path("approvals/delegations/<int:pk>/end/", approval_views.delegation_end, name="approvals-delegation-end"),
    path("review/", views.review_queue, name="review-queue"),
    path("review/bulk-approve/", views.review_bulk_approve, name="review-bulk-approve"),
    path("review/<str:number>/", views.review_detail, name="review-detail"),
    path("review/<str:number>/approve/", views.review_approve, name="review-approve"),
    path("review/<str:number>/reject/", views.review_reject, name="review-reject"),
    path("review/<str:number>/address/", views.review_change_address, name="review-change-address"),
    path("review/<str:number>/assign-to-me/", views.review_assign_to_me, name="review-assign-to-me"),
]
