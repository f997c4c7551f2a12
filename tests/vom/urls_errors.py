"""The real URLconf plus a view that fails, to see the 500 page."""

from django.urls import path

from vom.urls import urlpatterns as real_patterns


def boom(request):
    raise RuntimeError("deliberate failure for the error-page test")


urlpatterns = [path("boom/", boom), *real_patterns]
