from django.urls import path

from oms.workflow import payment_views

app_name = "payments"

urlpatterns = [
    path("orders/<str:number>/bank-transfer/", payment_views.bank_transfer, name="bank-transfer"),
]
