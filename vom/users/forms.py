from datetime import timedelta

from django import forms
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


class SecondFactorCodeForm(forms.Form):
    """One code: from the authenticator app, or (where ``backup`` is allowed) a backup code.

    Only the shape is checked here; whether the code is right is the service's business.
    """

    code = forms.CharField(
        label="Code",
        max_length=40,
        error_messages={
            "required": "Enter the code.",
            "max_length": "That is longer than any code. Enter the 6-digit code from your authenticator app.",
        },
    )

    def __init__(self, *args, backup: bool = False, autofocus: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["code"]
        field.widget.attrs.update({"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"})
        if autofocus:
            field.widget.attrs["autofocus"] = True
        if backup:
            field.help_text = "The 6-digit code your authenticator app shows now, or one of your backup codes."
        else:
            field.label = "6-digit code"
            field.help_text = "The code your authenticator app shows for this account now."
            field.widget.attrs["inputmode"] = "numeric"
