from django.urls import path

from oms.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.home, name="home"),
    path("sales/", views.sales, name="sales"),
    path("inventory/", views.inventory, name="inventory"),
    path("customers/", views.customers, name="customers"),
    path("fulfilment/", views.fulfilment, name="fulfilment"),
    path("orders/", views.orders, name="orders"),
    path("dashboards/new/", views.dashboard_create, name="dashboard-create"),
    path("dashboards/<int:pk>/", views.dashboard_detail, name="dashboard"),
    path("dashboards/<int:pk>/widgets/", views.widget_add, name="widget-add"),
    path("dashboards/<int:pk>/share/", views.dashboard_share, name="dashboard-share"),
    path("dashboards/<int:pk>/delete/", views.dashboard_delete, name="dashboard-delete"),
    path("dashboards/<int:pk>/subscribe/", views.subscription_create, name="subscribe"),
    path("dashboards/<int:pk>/export.xlsx", views.dashboard_export, name="dashboard-export"),
    path("widgets/<int:pk>/delete/", views.widget_delete, name="widget-delete"),
    path("widgets/<int:pk>/export.<str:fmt>", views.widget_export, name="widget-export"),
]
