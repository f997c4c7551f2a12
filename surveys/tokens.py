"""The survey link's token: the invitation id and its nonce, signed with a salt of its own.

Signed (so it cannot be forged or pointed at another invitation), timestamped (so an old link dies
even if the row were mistakenly extended) and single use through the nonce and ``used_at`` on the
invitation, which is what the view finally trusts.
"""

import secrets
from dataclasses import dataclass

from django.core import signing

from .models import VALID_FOR

SALT = "vom.surveys.invitation"


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def invitation_token(invitation) -> str:
    return signing.dumps({"i": invitation.pk, "n": invitation.nonce}, salt=SALT)


@dataclass(frozen=True)
class TokenContent:
    invitation_id: int
    nonce: str
    too_old: bool  # the signature is good but older than the link's lifetime


def read_token(token: str) -> TokenContent | None:
    """What a genuine token says, or None for anything this app did not sign."""
    try:
        payload = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("i"), int) or not isinstance(payload.get("n"), str):
        return None
    try:
        signing.loads(token, salt=SALT, max_age=VALID_FOR)
        too_old = False
    except signing.SignatureExpired:
        too_old = True
    return TokenContent(invitation_id=payload["i"], nonce=payload["n"], too_old=too_old)
