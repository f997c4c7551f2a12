"""The app's URLconf under another path (tests of what is kept per URLconf)."""

from django.urls import include, path

urlpatterns = [path("moved/", include("vom.urls"))]
