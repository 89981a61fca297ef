from django.urls import path

from aftersales import views

app_name = "aftersales"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.create, name="create"),
    path("receiving/", views.receiving, name="receiving"),
    path("photos/<int:pk>/", views.photo, name="photo"),
    path("<str:number>/", views.detail, name="detail"),
    path("<str:number>/approve/", views.approve, name="approve"),
    path("<str:number>/reject/", views.reject, name="reject"),
    path("<str:number>/parcel/", views.register_parcel, name="parcel"),
    path("<str:number>/receive/", views.receive, name="receive"),
    path("<str:number>/inspect/", views.inspect, name="inspect"),
    path("<str:number>/refund/", views.refund, name="refund"),
    path("<str:number>/exchange/", views.exchange, name="exchange"),
    path("<str:number>/close/", views.close, name="close"),
    path("<str:number>/confirm-refund/", views.confirm_refund, name="confirm-refund"),
]
