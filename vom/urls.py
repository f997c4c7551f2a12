from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from vom.core import views as core_views
from vom.users.forms import LockoutAuthenticationForm

handler500 = "vom.core.views.server_error"

admin.site.site_header = "VOM Case Manager administration"
admin.site.site_title = "VOM Case Manager admin"

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=LockoutAuthenticationForm),
        name="login",
    ),
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
