import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .health import run_checks


@require_GET
@never_cache
def healthz(request):
    healthy, checks = run_checks()
    return JsonResponse({"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503)


def csrf_failure(request, reason=""):
    """A plain page instead of Django's technical one: usually an expired form or blocked cookies."""
    return render(request, "403_csrf.html", status=403)


def server_error(request):
    """The 500 page; but a database that cannot be reached (restarting, failing over) is a 503 with
    Retry-After, so people are told to try again shortly and load balancers see a temporary failure."""
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        # Rendered without the request: its context processors would need the database.
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = "30"
        return response
    return defaults.server_error(request)
