from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .models import AuditEvent
from .services import audit_record


@receiver(user_logged_in)
def _signed_in(sender, request, user, **kwargs):
    audit_record(request=request, user=user, action=AuditEvent.Action.LOGIN, what="sign-in")


@receiver(user_logged_out)
def _signed_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record(request=request, user=user, action=AuditEvent.Action.LOGOUT, what="sign-out")


@receiver(user_login_failed)
def _failed(sender, credentials, request=None, **kwargs):
    # The username tried is kept (it may be a colleague's account under attack); never the password.
    audit_record(
        request=request, action=AuditEvent.Action.LOGIN_FAILED, what="sign-in",
        username=str(credentials.get("username", ""))[:150],
    )  # fmt: skip
