"""Every successful state-changing request is an audit event, with the case it concerns.

Success means the view redirected (post/redirect/get); a form shown again with its errors changed
nothing and is not recorded.
"""

from .models import AuditEvent
from .services import audit_record

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class AuditChangesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        match = getattr(request, "resolver_match", None)
        if (
            request.method in UNSAFE
            and 300 <= response.status_code < 400
            and user is not None
            and user.is_authenticated
            and match is not None
            and not getattr(request, "vom_audited", False)
            and not match.view_name.startswith(("admin:", "login", "logout"))
        ):
            in_case = match.view_name.split(":")[0] in {"cases", "mediation", "agreements"}
            case_id = match.kwargs.get("pk") if in_case else None
            audit_record(request=request, action=AuditEvent.Action.CHANGE, what=match.view_name, case_id=case_id)
        return response
