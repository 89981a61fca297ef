from django.contrib import admin
from django.urls import include, path

from oms.api.views import healthz
from oms.backoffice import views as backoffice_views
from oms.security import second_factor

urlpatterns = [
    path("", include("oms.backoffice.urls")),
    path("healthz", healthz, name="healthz"),
    path("account/second-factor/", second_factor, name="second-factor"),
    path("api/", include("oms.api.urls")),
    path("inventory/", include("inventory.urls")),
    path("aftersales/", include("aftersales.urls")),
    path("imports/", include("oms.imports.urls")),
    path("reports/", include("oms.reports.urls")),
    path("admin/login/", backoffice_views.login, name="login"),
    path("admin/", admin.site.urls),
    path("workflow/", include("oms.workflow.urls")),
    path("logistics/", include("logistics.urls")),
    path("finance/", include("finance.urls")),
    path("finance/payments/", include("oms.workflow.payment_urls")),
    path("survey/", include("oms.workflow.survey_urls")),  # public: the signed link is the key
    path("i18n/", include("django.conf.urls.i18n")),
# No `static(MEDIA_URL, ...)`, not even with DJANGO_DEBUG=1: uploaded files hold customers' data and
# live in private storage, served only through permission-checked views (core/storage.py).
]

handler403 = "oms.backoffice.views.permission_denied"
