"""The audit trail's catch-all: every page that shows a case's data, and every successful change.

- A GET of a page of one case (a URL in one of ``settings.VOM_AUDIT_CASE_NAMESPACES``, whose ``pk`` is the
  case's) that answered 200 is a view of that case; so is a GET of a page in one of
  ``settings.VOM_AUDIT_READ_NAMESPACES`` (the reports), with its query.
- A state-changing request that succeeded is a change, with the case it concerns. Success means the view
  redirected (post/redirect/get); a form shown again with its errors changed nothing and is not recorded.
  This covers every app, Django admin included (admin pages of case data record themselves, with the case:
  ``vom/audit/mixins.py``).

A view that records its own event (the case page, downloads, sign-in) sets ``request.vom_audited`` through
``audit_record``, so nothing is recorded twice.
"""

from django.conf import settings

from .models import AuditEvent
from .services import audit_record

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
NOT_RECORDED = {"login", "logout", "admin:login", "admin:logout"}  # sign-in and sign-out record themselves


def _event(request, response, view_name: str, kwargs: dict) -> tuple[str, int | None] | None:
    namespace = view_name.split(":")[0] if ":" in view_name else ""
    case_id = kwargs.get("pk") if namespace in settings.VOM_AUDIT_CASE_NAMESPACES else None
    status = response.status_code
    if request.method in UNSAFE and 300 <= status < 400:
        return AuditEvent.Action.CHANGE, case_id
    read = case_id is not None or namespace in settings.VOM_AUDIT_READ_NAMESPACES
    if request.method == "GET" and status == 200 and read:
        return AuditEvent.Action.VIEW, case_id
    return None


class AuditChangesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        match = getattr(request, "resolver_match", None)
        if (
            user is None
            or not user.is_authenticated
            or match is None
            or getattr(request, "vom_audited", False)
            or match.view_name in NOT_RECORDED
        ):
            return response
        event = _event(request, response, match.view_name, match.kwargs)
        if event is not None:
            action, case_id = event
            what = match.view_name
            if "object_id" in match.kwargs:  # an admin page of one record
                what = f"{what} {match.kwargs['object_id']}"
            if action == AuditEvent.Action.VIEW and case_id is None and request.GET:
                what = f"{what}?{request.GET.urlencode()}"
            audit_record(request=request, action=action, what=what, case_id=case_id)
        return response
