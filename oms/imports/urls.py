from django.urls import path

from oms.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.import_centre, name="centre"),
    path("upload/", views.import_upload, name="upload"),
    path("template.xlsx", views.import_template, name="template"),
    path("<int:pk>/", views.import_detail, name="detail"),
    path("<int:pk>/run/", views.import_run, name="run"),
    path("<int:pk>/resume/", views.import_resume, name="resume"),
    path("<int:pk>/file/", views.import_file, name="file"),
    path("<int:pk>/progress/", views.import_progress, name="progress"),
    path("<int:pk>/report.<str:fmt>", views.import_report, name="report"),
]
