"""The real URLconf plus a view that fails, to see the 500 page."""

from django.db import OperationalError
from django.urls import path

from vom.urls import handler500  # noqa: F401 -- Django looks for it in the root URLconf
from vom.urls import urlpatterns as real_patterns


def boom(request):
    raise RuntimeError("deliberate failure for the error-page test")


def database_gone(request):
    raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')


urlpatterns = [path("boom/", boom), path("database-gone/", database_gone), *real_patterns]
