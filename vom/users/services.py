"""Two-factor sign-in: setting up an authenticator app, checking codes, backup codes and resets.

Every change here is audited (vom/audit). Codes are checked by django-otp, which throttles a device after
each wrong code (1, 2, 4, 8 … seconds before the next try is even looked at) and refuses a code that was
already used; a refused code changes nothing but that throttle.
"""

import math
import re
import secrets
from base64 import b32decode
from datetime import timedelta

import django_otp
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone
from django_otp.models import VerifyNotAllowed
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from vom.audit.models import AuditEvent
from vom.audit.services import audit_record
from vom.core.errors import DomainError

from .selectors import (
    authenticator_for,
    backup_device_for,
    is_verified,
    pending_authenticator_for,
    two_factor_required,
)

AUTHENTICATOR_NAME = "Authenticator app"
BACKUP_NAME = "Backup codes"
DEMO_DEVICE_NAME = "Demo authenticator"
BACKUP_CODE_COUNT = 10

TOTP_PATTERN = re.compile(r"^[0-9]{6}$")
BACKUP_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"  # base32: no 0, 1, 8 or 9
LOOK_ALIKES = str.maketrans("01", "ol")  # so a 0 or 1 typed for an o or l still matches
BACKUP_PATTERN = re.compile(r"^[a-z2-7]{10}$")

WRONG_CODE = "That code is not right. Enter the newest 6-digit code your authenticator app shows."
WRONG_BACKUP_CODE = "That backup code is not right, or it was already used."
NOT_A_CODE = "Enter the 6-digit code from your authenticator app, or one of your 10-character backup codes."


def normalise_code(raw: str) -> str:
    """What a person typed, without the spaces and dashes apps and printed lists put in codes."""
    return re.sub(r"[\s-]", "", raw or "").lower()


def _throttle_message(device) -> str | None:
    allowed, info = device.verify_is_allowed()
    if allowed:
        return None
    if info and info.get("reason") == VerifyNotAllowed.N_FAILED_ATTEMPTS and info.get("locked_until"):
        seconds = max(1, math.ceil((info["locked_until"] - timezone.now()).total_seconds()))
        return f"Too many wrong codes. Wait {seconds} second{'s' if seconds != 1 else ''}, then enter the newest code."
    return "Codes cannot be checked for this account right now. Ask an administrator."


def _refuse(request, message: str, *, what: str) -> None:
    # Recorded outside any transaction of the check, so the refusal stays on record.
    audit_record(request=request, action=AuditEvent.Action.TWO_FACTOR_FAILED, what=what)
    raise DomainError(message, code="wrong_code")


def _mark_verified(request, device) -> None:
    """The session passed its second factor; a new session key, as at any change of privilege."""
    django_otp.login(request, device)
    request.session.cycle_key()


def second_factor_verify(*, request, code: str):
    """Check a code from the user's authenticator app, or one of their backup codes; on success the
    session counts as verified. Raises DomainError with a message a person can act on."""
    user = request.user
    token = normalise_code(code)
    authenticator = authenticator_for(user)
    if authenticator is None:
        raise DomainError("There is no authenticator app set up for this account.", code="no_device")
    backup_token = token.translate(LOOK_ALIKES)
    if TOTP_PATTERN.match(token):
        device, what, wrong = authenticator, "two-factor code", WRONG_CODE
    elif BACKUP_PATTERN.match(backup_token):
        token = backup_token
        device, what, wrong = backup_device_for(user), "backup code", WRONG_BACKUP_CODE
        if device is None:
            _refuse(request, WRONG_BACKUP_CODE, what=what)
    else:
        _refuse(request, NOT_A_CODE, what="two-factor code")
    throttled = _throttle_message(device)
    if throttled:
        _refuse(request, throttled, what=f"{what} (throttled)")
    # verify_token locks the device row, so one code cannot be used twice at the same moment.
    verified = django_otp.verify_token(user, device.persistent_id, token)
    if verified is None:
        _refuse(request, wrong, what=what)
    _mark_verified(request, verified)
    audit_record(request=request, action=AuditEvent.Action.TWO_FACTOR_VERIFIED, what=what)
    return verified


def _refuse_setup_before_code(user) -> None:
    # Setting up a new app must never be a way around the code of the one already set up.
    if not is_verified(user) and authenticator_for(user) is not None:
        raise DomainError("Enter a code from your authenticator app first.", code="not_verified")


def totp_setup_start(*, user) -> TOTPDevice:
    """The authenticator app being set up: its secret stays the same while the page is reloaded."""
    _refuse_setup_before_code(user)
    return pending_authenticator_for(user) or TOTPDevice.objects.create(
        user=user, name=AUTHENTICATOR_NAME, confirmed=False
    )


def _new_backup_codes(*, user) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(user=user, name=BACKUP_NAME, defaults={"confirmed": True})
    device.token_set.all().delete()
    # 10 base32 characters (50 random bits) each; django-otp's own random_token() makes 8.
    codes = ["".join(secrets.choice(BACKUP_ALPHABET) for _ in range(10)) for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def totp_setup_confirm(*, request, code: str) -> list[str]:
    """Confirm the authenticator app being set up with a code it shows. It replaces any earlier one,
    the session counts as verified, and ten new backup codes are returned (to be shown once)."""
    user = request.user
    _refuse_setup_before_code(user)
    device = pending_authenticator_for(user)
    if device is None:
        raise DomainError("Start again: open the set-up page to get a new secret.", code="no_device")
    token = normalise_code(code)
    if not TOTP_PATTERN.match(token):
        _refuse(request, "Enter the 6-digit code your authenticator app shows for this account.", what="set-up code")
    throttled = _throttle_message(device)
    if throttled:
        _refuse(request, throttled, what="set-up code (throttled)")
    with transaction.atomic():
        locked = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        confirmed = locked.verify_token(token)
        if confirmed:
            TOTPDevice.objects.filter(user=user).exclude(pk=locked.pk).delete()
            locked.confirmed = True
            locked.save(update_fields=["confirmed"])
            codes = _new_backup_codes(user=user)
    if not confirmed:
        _refuse(request, WRONG_CODE, what="set-up code")
    _mark_verified(request, locked)
    audit_record(request=request, action=AuditEvent.Action.TWO_FACTOR_ENROLLED, what="authenticator app")
    return codes


@transaction.atomic
def backup_codes_renew(*, request) -> list[str]:
    """Ten new backup codes; the old ones stop working."""
    codes = _new_backup_codes(user=request.user)
    audit_record(request=request, action=AuditEvent.Action.TWO_FACTOR_CODES, what="backup codes")
    return codes


def _end_sessions_of(user, *, keep: str | None = None) -> int:
    """Sign the user out everywhere but in session ``keep`` (database sessions: the only engine this app
    configures)."""
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).exclude(session_key=keep).iterator():
        if session.get_decoded().get("_auth_user_id") == str(user.pk):
            session.delete()
            ended += 1
    return ended


@transaction.atomic
def two_factor_reset(*, user, actor, request=None) -> None:
    """An admin removes a user's authenticator app and backup codes (a lost or replaced phone).

    The user is signed out everywhere, so no half-finished sign-in can set up an app in their place;
    at the next sign-in they set up a new one if their role requires it. (An admin resetting their own
    keeps the session they do it from, which then owes a new app.)
    """
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    _end_sessions_of(user, keep=request.session.session_key if request is not None else None)
    audit_record(
        request=request, user=actor, action=AuditEvent.Action.TWO_FACTOR_REMOVED,
        what=f"two-factor sign-in of user {user.pk} ({user.get_username()}), reset by an admin",
    )  # fmt: skip


def two_factor_turn_off(*, request, code: str) -> None:
    """A user whose role does not require it turns two-factor sign-in off, proving it with a code."""
    user = request.user
    if two_factor_required(user):
        raise DomainError("Your role requires two-factor sign-in, so it cannot be turned off.", code="required")
    authenticator = authenticator_for(user)
    if authenticator is None:
        raise DomainError("Two-factor sign-in is not on for this account.", code="no_device")
    token = normalise_code(code)
    if not TOTP_PATTERN.match(token):
        _refuse(request, "Enter the 6-digit code your authenticator app shows.", what="code to turn off")
    throttled = _throttle_message(authenticator)
    if throttled:
        _refuse(request, throttled, what="code to turn off (throttled)")
    if django_otp.verify_token(user, authenticator.persistent_id, token) is None:
        _refuse(request, WRONG_CODE, what="code to turn off")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        audit_record(request=request, action=AuditEvent.Action.TWO_FACTOR_REMOVED, what="turned off by the user")


REAUTH_FAILURES = 5  # wrong passwords at a signing, per account, within LOGIN_LOCKOUT_MINUTES


WRONG_PASSWORD = "That password is not right. Enter the password you sign in with."  # noqa: S105 (a message)


def reauthenticate(*, user, secret: str) -> None:
    """Prove, at the moment of an act that must be the user's own (a mediator's signature), that the person
    at the keyboard is ``user``: the code of their authenticator app when they use one, else their password.

    Raises DomainError with a message a person can act on. Codes are throttled by django-otp as at
    sign-in; after five wrong passwords in LOGIN_LOCKOUT_MINUTES the password is not even checked. The caller
    audits each refusal as "refused (<the error's code, in words>): …"; wrong passwords are counted from those rows."""
    authenticator = authenticator_for(user)
    if authenticator is not None:
        token = normalise_code(secret)
        if not TOTP_PATTERN.match(token):
            raise DomainError("Enter the 6-digit code your authenticator app shows now.", code="not_a_code")
        throttled = _throttle_message(authenticator)
        if throttled:
            raise DomainError(throttled, code="throttled")
        if django_otp.verify_token(user, authenticator.persistent_id, token) is None:
            raise DomainError(WRONG_CODE, code="wrong_code")
        return
    since = timezone.now() - timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    recent = AuditEvent.objects.filter(
        user=user, action=AuditEvent.Action.REFUSED, what__startswith="refused (wrong password)", at__gte=since
    )
    if recent.count() >= REAUTH_FAILURES:
        raise DomainError(
            f"Too many wrong passwords. Wait {settings.LOGIN_LOCKOUT_MINUTES} minutes, then try again.", code="locked"
        )
    if not secret or not user.check_password(secret):
        raise DomainError(WRONG_PASSWORD, code="wrong_password")


def client_session_verify(*, client, user) -> bool:
    """For in-process tools that sign a django.test.Client in with force_login (the benchmark; the tests'
    fixture): mark its session as having passed the second factor with the user's authenticator app, as
    entering a code does. False when the user has no app."""
    device = authenticator_for(user)
    if device is None:
        return False
    session = client.session
    session[django_otp.DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return True


def totp_demo_device(*, user, secret_base32: str) -> TOTPDevice:
    """Demo data only: a confirmed authenticator with a published secret (seed_demo prints it)."""
    key = b32decode(secret_base32).hex()
    device, _ = TOTPDevice.objects.update_or_create(
        user=user, name=DEMO_DEVICE_NAME, defaults={"key": key, "confirmed": True}
    )
    return device
