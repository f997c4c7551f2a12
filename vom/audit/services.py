"""Write audit events. Only this module writes them; nothing ever edits one."""

from .models import AuditEvent

MASK = "•••"
# Field names whose values never enter the audit trail, only the fact that they changed.
CONFIDENTIAL_FIELDS = {"email", "phone", "address", "body", "password", "accessibility_needs", "safety_concerns"}


def mask_changes(changes: dict) -> dict:
    """{field: (old, new)} with confidential values replaced by a mask."""
    return {
        name: [MASK, MASK] if name in CONFIDENTIAL_FIELDS else [str(old), str(new)]
        for name, (old, new) in changes.items()
    }


def client_ip(request) -> str | None:
    """The peer address. Behind a proxy, the server (e.g. gunicorn --forwarded-allow-ips) must set
    REMOTE_ADDR; the app does not trust X-Forwarded-For on its own."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *, request=None, user=None, action: str, what: str, case_id: int | None = None, changes: dict | None = None,
    username: str = "",
) -> AuditEvent:  # fmt: skip
    if request is not None:
        request.vom_audited = True  # the change middleware need not record this request again
    user = user if user is not None else getattr(request, "user", None)
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    return AuditEvent.objects.create(
        user=user,
        username=(user.get_username() if user else username)[:150],
        action=action,
        what=what[:200],
        case_id=case_id,
        ip_address=client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "") if request is not None else "")[:300],
        changes=mask_changes(changes or {}),
    )
