from datetime import timedelta

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils import timezone

from vom.audit.models import AuditEvent


class LockoutAuthenticationForm(AuthenticationForm):
    """Sign-in that locks an account after repeated failures; the lock lifts by itself.

    Failures are read from the audit trail (one place, shared by every web node), so a lockout needs no
    cache and survives restarts; because it expires on its own, nobody can lock a colleague out for good.
    """

    error_messages = {
        **AuthenticationForm.error_messages,
        "locked": "Too many failed sign-ins for this account. Wait %(minutes)s minutes and try again, "
        "or reset the password.",
    }

    def clean(self):
        username = self.cleaned_data.get("username")
        if username:
            window = timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
            failures = AuditEvent.objects.filter(
                action=AuditEvent.Action.LOGIN_FAILED, username__iexact=username, at__gte=timezone.now() - window
            ).count()
            if failures >= settings.LOGIN_LOCKOUT_FAILURES:
                raise ValidationError(
                    self.error_messages["locked"], code="locked", params={"minutes": settings.LOGIN_LOCKOUT_MINUTES}
                )
        return super().clean()
