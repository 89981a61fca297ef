from django.urls import path

from logistics import views

app_name = "logistics"

urlpatterns = [
    path("shipments/", views.shipment_list, name="shipments"),
    path("shipments/labels.pdf", views.labels_batch, name="labels-batch"),
    path("shipments/handover/", views.handover, name="handover"),
    path("shipments/<str:number>/label.pdf", views.shipment_label, name="shipment-label"),
    path("shipments/<str:number>/packing-slip.pdf", views.shipment_packing_slip, name="shipment-packing-slip"),
    path("shipments/<str:number>/return/", views.return_to_sender, name="return-to-sender"),
    path("waves/", views.wave_picking, name="waves"),
    path("waves/<str:number>/", views.wave_detail, name="wave"),
    path("waves/<str:number>/picking-list.pdf", views.wave_picking_list, name="picking-list"),
    path("packing/", views.packing, name="packing"),
    path("packing/<str:number>/", views.packing_shipment, name="packing-shipment"),
    path("packing/<str:number>/scan/", views.packing_scan, name="packing-scan"),
    path("packing/<str:number>/reset/", views.packing_reset, name="packing-reset"),
    path("packing/<str:number>/pack/", views.packing_pack, name="packing-pack"),
    path("exceptions/", views.exceptions, name="exceptions"),
    path("shipments/<str:number>/confirm-delivery/", views.confirm_delivery, name="confirm-delivery"),
    path("qc/", views.qc_queue, name="qc-queue"),
    path("qc/<int:pk>/decide/", views.qc_decide, name="qc-decide"),
    path("qc/<int:pk>/photo/", views.qc_photo, name="qc-photo"),
]
