from django.urls import path

from oms.backoffice import views

app_name = "backoffice"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("orders/<str:number>/", views.order_detail, name="order"),
]
