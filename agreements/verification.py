"""Checking a signed agreement by its verification code, with no account: for a court clerk, a lawyer, a party.

The answer says only whether the code is genuine, the case number, the version, the day it was signed,
whether it is still the agreement in force (current, superseded by a later version, or withdrawn: the case
was withdrawn by the program after signing) and whether an uploaded copy is byte for byte the stored PDF.
Never a name, a term or a contact detail. Every lookup is audited; each client address may look up a
limited number of codes per window (``VERIFY_RATE_LIMIT`` per ``VERIFY_RATE_WINDOW_MINUTES``), counted
in the shared cache so the limit holds across web processes.
"""

import re
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.utils import timezone

from cases.models import Case
from vom.audit.models import AuditEvent
from vom.audit.services import audit_record, client_ip
from vom.core.ratelimit import rate_limit_hit

from .models import Agreement

CODE_GROUPS, GROUP = 5, 4
MAX_COPY_BYTES = 20 * 1024 * 1024  # a signed agreement is well under 2 MB, even with drawn signatures


@dataclass(frozen=True)
class Verification:
    """What the public page may say about a code."""

    code: str
    genuine: bool
    case_number: str = ""
    version: int = 0
    signed_on: date | None = None
    status: str = ""  # "current", "superseded" or "withdrawn"
    superseded_by: int | None = None
    copy_identical: bool | None = None  # None when no copy was checked
    # For a signed-in user who may see the case, a link to it; never printed on the public answer.
    case_id: int | None = field(default=None, repr=False)
    agreement_id: int | None = field(default=None, repr=False)

    @property
    def status_text(self) -> str:
        if self.status == "superseded":
            later = f"version {self.superseded_by}" if self.superseded_by else "a later version"
            return f"Superseded by {later}: this version is no longer the agreement in force."
        if self.status == "withdrawn":
            return "Withdrawn: the case was withdrawn after this agreement was signed."
        return "Current: this is the agreement in force."


def normalise_code(raw: str) -> str | None:
    """A code as printed (XXXX-XXXX-XXXX-XXXX-XXXX), however it was typed; None if it cannot be one."""
    compact = re.sub(r"[\s\-\u2013\u2014]", "", raw or "").upper()  # dashes as typed or pasted
    if not re.fullmatch(rf"[0-9A-F]{{{CODE_GROUPS * GROUP}}}", compact):
        return None
    return "-".join(compact[i : i + GROUP] for i in range(0, len(compact), GROUP))


def verify_url(code: str = "") -> str:
    """The public page's address as printed on a signed PDF (and encoded in its QR code)."""
    base = settings.SITE_URL.rstrip("/") + "/verify/"
    return f"{base}?code={code}" if code else base


def copy_is_identical(agreement: Agreement, sha256: str) -> bool:
    """Whether a file (by its SHA-256) is byte for byte the stored signed PDF."""
    return bool(agreement.pdf_sha256) and sha256 == agreement.pdf_sha256


def lookups_left_wait(request) -> int:
    """Count this lookup against the client's limit: 0 if allowed, else the seconds to wait."""
    return rate_limit_hit(
        scope="verify",
        address=client_ip(request),
        limit=settings.VERIFY_RATE_LIMIT,
        window_seconds=settings.VERIFY_RATE_WINDOW_MINUTES * 60,
    )


def _status(agreement: Agreement) -> tuple[str, int | None]:
    if agreement.status == Agreement.Status.SUPERSEDED:
        later = (
            Agreement.objects.filter(case_id=agreement.case_id, status=Agreement.Status.SIGNED)
            .order_by("-number")
            .values_list("number", flat=True)
            .first()
        )
        return "superseded", later
    case = agreement.case
    if case.stage == Case.Stage.CLOSED and case.outcome == Case.Outcome.WITHDRAWN:
        return "withdrawn", None
    return "current", None


def verification_lookup(*, request, code: str, copy_sha256: str | None = None) -> Verification:
    """Look a normalised code up among signed (and superseded) versions; audited, whatever the answer."""
    agreement = (
        Agreement.objects.filter(
            verification_code=code, status__in=[Agreement.Status.SIGNED, Agreement.Status.SUPERSEDED]
        )
        .select_related("case")
        .only("number", "status", "signed_at", "pdf_sha256", "case__number", "case__stage", "case__outcome")
        .first()
    )
    if agreement is None:
        answer = Verification(code=code, genuine=False)
    else:
        status, later = _status(agreement)
        answer = Verification(
            code=code,
            genuine=True,
            case_number=agreement.case.number,
            version=agreement.number,
            signed_on=timezone.localdate(agreement.signed_at) if agreement.signed_at else None,
            status=status,
            superseded_by=later,
            copy_identical=None if copy_sha256 is None else copy_is_identical(agreement, copy_sha256),
            case_id=agreement.case_id,
            agreement_id=agreement.pk,
        )
    what = f"verification of code {code}: " + (f"genuine, {answer.status}" if answer.genuine else "not found")
    if answer.copy_identical is not None:
        what += "; uploaded copy " + ("identical" if answer.copy_identical else "different")
    audit_record(
        request=request,
        action=AuditEvent.Action.VERIFY,
        what=what,
        case_id=agreement.case_id if agreement is not None else None,
    )
    return answer
