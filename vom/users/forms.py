from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from vom.audit.services import client_ip

from .lockout import known_device_user_id, sign_in_lock

LOCK_MESSAGES = {
    "locked_account": "Too many failed sign-ins for this account from here. Wait %(minutes)s minutes and try "
    "again, sign in from a device you have used before, or ask an administrator to unlock your account.",
    "locked_address": "Too many failed sign-ins from your network. Wait %(minutes)s minutes and try again, "
    "or ask an administrator.",
}


class SignInLockMixin:
    """Sign-in refused while a lock holds (``vom/users/lockout.py``); the lock lifts by itself."""

    def clean(self):
        lock = sign_in_lock(
            username=self.cleaned_data.get("username") or "",
            address=client_ip(self.request),
            known_user_id=known_device_user_id(self.request),
        )
        if lock:
            raise ValidationError(
                self.error_messages[f"locked_{lock}"],
                code=f"locked_{lock}",
                params={"minutes": settings.LOGIN_LOCKOUT_MINUTES},
            )
        return super().clean()


class LockoutAuthenticationForm(SignInLockMixin, AuthenticationForm):
    error_messages = {**AuthenticationForm.error_messages, **LOCK_MESSAGES}


class AdminLockoutAuthenticationForm(SignInLockMixin, AdminAuthenticationForm):
    """Django admin's own sign-in page, under the same locks (it would otherwise be a way around them)."""

    error_messages = {**AdminAuthenticationForm.error_messages, **LOCK_MESSAGES}


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
