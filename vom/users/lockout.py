"""Sign-in locks, read from the audit trail's failed sign-ins, and the ways back in.

A lock is per account *and* address: five failures for one account from one address lock that account
from that address for 15 minutes, so nobody elsewhere can lock a coordinator out. Twenty failures from one
address, whatever the accounts, lock that address (password spraying). Both lift by themselves. A locked
user still gets in from a browser they signed in with before (a signed "known device" cookie), or after
an admin unlocks the account (*Users* → *Unlock sign-in*), which is audited.

Failures are counted in the audit trail (one place, shared by every web node, no cache needed); the
limits are settings (``LOGIN_LOCKOUT_FAILURES``, ``LOGIN_ADDRESS_LOCKOUT_FAILURES``, ``LOGIN_LOCKOUT_MINUTES``).
"""

from datetime import timedelta
from typing import Literal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.utils import timezone

from vom.audit.models import AuditEvent
from vom.audit.services import audit_record

KNOWN_DEVICE_COOKIE = "vom_known_device"
KNOWN_DEVICE_DAYS = 90
_SALT = "vom.users.known-device"

Lock = Literal["account", "address"]


def known_device_value(user) -> str:
    """The cookie a browser keeps after signing in as ``user``: signed, so it cannot be forged."""
    return signing.dumps(user.pk, salt=_SALT)


def known_device_user_id(request) -> int | None:
    value = request.COOKIES.get(KNOWN_DEVICE_COOKIE, "") if request is not None else ""
    try:
        return signing.loads(value, salt=_SALT, max_age=timedelta(days=KNOWN_DEVICE_DAYS)) if value else None
    except signing.BadSignature:
        return None


def sign_in_lock(*, username: str, address: str | None, known_user_id: int | None = None) -> Lock | None:
    """Whether a sign-in as ``username`` from ``address`` is refused now, and why."""
    if not username:
        return None
    since = timezone.now() - timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    account = get_user_model().objects.filter(username__iexact=username).only("sign_in_unlocked_at").first()
    if account is not None:
        if account.pk == known_user_id:
            return None  # this browser signed in as them before: the lock is for strangers
        if account.sign_in_unlocked_at and account.sign_in_unlocked_at > since:
            since = account.sign_in_unlocked_at
    failures = AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_FAILED, at__gte=since, ip_address=address)
    if failures.filter(username__iexact=username).count() >= settings.LOGIN_LOCKOUT_FAILURES:
        return "account"
    if failures.count() >= settings.LOGIN_ADDRESS_LOCKOUT_FAILURES:
        return "address"
    return None


@transaction.atomic
def sign_in_unlock(*, user, actor, request=None) -> None:
    """An admin lifts the sign-in locks on ``user``: earlier failures no longer count for them."""
    get_user_model().objects.filter(pk=user.pk).update(sign_in_unlocked_at=timezone.now())
    audit_record(
        request=request, user=actor, action=AuditEvent.Action.UNLOCK,
        what=f"sign-in of user {user.pk} ({user.get_username()}), unlocked by an admin",
    )  # fmt: skip
