"""Reads about two-factor sign-in: who must use it, and what a signed-in user still owes.

``two_factor_required`` is the one place that answers "must this user sign in with a second factor?".
Admins (staff or superusers) always must; the roles a user holds in programs are ``cases``' facts, so
the checks for them are named by dotted path in ``settings.VOM_TWO_FACTOR_ROLE_CHECKS`` (imports run
downward only: this module never imports ``cases``).
"""

import time
from base64 import b32encode
from collections.abc import Callable
from functools import cache
from typing import Literal
from urllib.parse import quote, urlencode

from django.conf import settings
from django.utils.module_loading import import_string
from django_otp.oath import hotp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

SecondFactorStep = Literal["verify", "setup"]


@cache
def _role_checks() -> list[Callable]:
    """(user) -> bool each: does a role this user holds require a second factor?"""
    return [import_string(path) for path in settings.VOM_TWO_FACTOR_ROLE_CHECKS]


def two_factor_required(user) -> bool:
    """Admins, and anyone a configured role check names (cases: coordinators, and the mediators of a
    program that asks for it)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff or user.is_superuser:
        return True
    return any(check(user) for check in _role_checks())


def authenticator_for(user) -> TOTPDevice | None:
    """The user's confirmed authenticator app, if they have set one up."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def pending_authenticator_for(user) -> TOTPDevice | None:
    """An authenticator app being set up (its secret shown, not yet confirmed with a code)."""
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


def backup_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def backup_device_for(user) -> StaticDevice | None:
    return StaticDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def is_verified(user) -> bool:
    """Whether this session passed a second factor (django_otp.middleware.OTPMiddleware tells)."""
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def second_factor_step(user) -> SecondFactorStep | None:
    """What a signed-in user must still do before anything else: enter a code ("verify"), set up an
    authenticator app ("setup"), or nothing (None).

    Anyone who has an authenticator app enters a code, whether or not their role requires it; someone
    whose role requires one and who has none sets one up first.
    """
    if not getattr(user, "is_authenticated", False) or is_verified(user):
        return None
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return "verify"
    if two_factor_required(user):
        return "setup"
    return None


def next_totp_code(device: TOTPDevice, *, at: float | None = None) -> tuple[str, int]:
    """A code this device accepts now and has not accepted before, and the seconds to wait before it is
    accepted (0 unless the codes of this and the next time step were both used already).

    Usually the code the user's app shows now. For the demo's ``totp_code`` command and for tests; the
    app itself never shows a user's code.
    """
    now = int(time.time() if at is None else at)
    now_t = (now - device.t0) // device.step + device.drift
    t = max(now_t, device.last_t + 1)  # a code once accepted is never accepted again
    wait = max(0, device.t0 + (t - device.tolerance - device.drift) * device.step - now)
    return f"{hotp(device.bin_key, t, digits=device.digits):0{device.digits}d}", wait


def otpauth_uri(device: TOTPDevice) -> str:
    """What an authenticator app reads from the QR code (issuer from OTP_TOTP_ISSUER)."""
    return device.config_url


def otpauth_uri_for_key(secret_base32: str, *, account: str) -> str:
    """The same kind of URI for a known key (the demo's), shared by several accounts."""
    issuer = settings.OTP_TOTP_ISSUER
    query = urlencode({"secret": secret_base32, "algorithm": "SHA1", "digits": 6, "period": 30}, quote_via=quote)
    return f"otpauth://totp/{quote(f'{issuer}:{account}')}?{query}&issuer={quote(issuer)}"


def secret_in_groups(device: TOTPDevice) -> str:
    """The base32 secret in groups of four, for typing into an app by hand."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
