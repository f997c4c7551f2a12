"""The real URLconf plus the bare comparison view; used only by `manage.py benchmark`."""

from django.urls import path

from devtools.bench import bare_view
from vom.urls import urlpatterns as real_patterns

urlpatterns = [path("bench/bare/", bare_view), *real_patterns]
