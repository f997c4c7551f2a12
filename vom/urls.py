from django.contrib import admin
from django.urls import include, path

from vom.core import views as core_views
from vom.users.forms import AdminLockoutAuthenticationForm
from vom.users.views import SignInView

handler500 = "vom.core.views.server_error"

admin.site.site_header = "VOM Case Manager administration"
admin.site.site_title = "VOM Case Manager admin"
admin.site.login_form = AdminLockoutAuthenticationForm

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("accounts/login/", SignInView.as_view(), name="login"),
    path("", include("vom.users.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("", include("vom.notifications.urls")),
    path("", include("cases.urls")),
    path("", include("mediation.urls")),
    path("", include("agreements.urls")),
    path("", include("surveys.urls")),
    path("", include("reports.urls")),
]
