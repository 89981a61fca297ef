from django.urls import path

from inventory import views

app_name = "inventory"

urlpatterns = [
    path("", views.stock_overview, name="stock-overview"),
    path("receipts/new/", views.receipt_create, name="receipt-create"),
    path("adjustments/new/", views.adjustment_create, name="adjustment-create"),
    path("transfers/new/", views.transfer_create, name="transfer-create"),
    path("stocktakes/import/", views.stocktake_import_view, name="stocktake-import"),
    path("stocktakes/template.csv", views.stocktake_template, name="stocktake-template"),
]
