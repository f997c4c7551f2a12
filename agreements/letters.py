"""Letters to the referral source: at every closure, when one offender of several is returned, and as an
interim progress report (ahead of a court date, say).

Mediation confidentiality limits what they say: whether the parties took part (never why a party declined or
was found unsuitable), whether an agreement was reached, and per offender what was fulfilled, paid, still
held by the program awaiting forwarding, and still owed; the terms themselves only with every party's
written consent. Never notes, never contact details of anyone but the program. Each letter is rendered
once, stored with its SHA-256 and audited.
"""

import hashlib
import uuid
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.utils import timezone

from cases.models import Case, Membership, Party
from cases.policies import is_coordinator_of
from mediation.models import Screening
from mediation.selectors import latest_screenings, session_date
from vom.audit.models import AuditEvent
from vom.audit.services import audit_record

from .documents import STATIC_PREFIX, html_to_pdf
from .ledger import Ledger, OffenderPart, case_ledger
from .models import Agreement, Letter

Outcome = Case.Outcome
CLOSURE_KINDS = {
    Outcome.COMPLETED: Letter.Kind.COMPLETION,
    Outcome.RETURNED: Letter.Kind.NON_COMPLIANCE,
    Outcome.MIXED: Letter.Kind.PARTIAL,
}
# What a closure letter says of a case that ended before an agreement: the fact, never the reasons.
ENDED_BEFORE_AGREEMENT = {
    Outcome.DECLINED: "Mediation did not take place: a party chose not to take part.",
    Outcome.UNSUITABLE: "Mediation did not take place: after screening, the case was found not suitable for mediation.",
    Outcome.UNREACHABLE: "Mediation did not take place: the program could not reach a party to the case.",
    Outcome.NO_AGREEMENT: "The parties took part in mediation but did not reach an agreement.",
    Outcome.CANCELLED: "The joint session was cancelled and will not be held.",
    Outcome.WITHDRAWN: "The program withdrew the case before mediation was completed.",
}
SIDE_TEXT = {
    Screening.Outcome.SUITABLE: "willing to take part",
    Screening.Outcome.DECLINED: "chose not to take part",
    Screening.Outcome.NOT_SUITABLE: "did not take part",
    Screening.Outcome.UNREACHABLE: "could not be reached",
}


@dataclass
class Side:
    label: str
    text: str


def signatory(case: Case, actor) -> str:
    """Who signs a letter: the coordinator who wrote it, else the program's coordinator (a letter written
    when a mediator's record completed the case is the program's letter, not the mediator's)."""
    user = actor if actor is not None and is_coordinator_of(actor, case) else None
    if user is None:
        user = (
            get_user_model()
            .objects.filter(
                is_active=True, memberships__program_id=case.program_id, memberships__role=Membership.Role.COORDINATOR
            )
            .order_by("last_name", "first_name", "pk")
            .first()
        )
    if user is None:
        return ""
    return f"{user.get_full_name() or user.username}, Program coordinator"


def _sides(case: Case) -> list[Side]:
    """Whether each side took part, from the latest screenings: a court should know when an offender was
    willing and the victim was not. No reasons, no safety concerns."""
    parties = list(Party.objects.filter(case=case, role__in=[Party.Role.OFFENDER, Party.Role.VICTIM]))
    latest = latest_screenings(parties)
    sides = []
    for role, label in [(Party.Role.OFFENDER, "Offender"), (Party.Role.VICTIM, "Victim")]:
        outcomes = [latest[p.pk].outcome for p in parties if p.role == role and p.pk in latest]
        if outcomes:
            worst = next((o for o in [Screening.Outcome.DECLINED, Screening.Outcome.UNREACHABLE,
                                      Screening.Outcome.NOT_SUITABLE] if o in outcomes), outcomes[0])  # fmt: skip
            sides.append(Side(label, SIDE_TEXT[worst]))
    return sides


def letter_context(case: Case, kind: str, *, ledger: Ledger | None = None, parties: list[Party] | None = None,
                   reason: str = "", signed_by: str = "") -> dict:  # fmt: skip
    """What a letter shows. ``parties`` narrows it to some offenders (one returned while others go on)."""
    ledger = ledger if ledger is not None else case_ledger(case)
    agreement: Agreement | None = ledger.current
    offenders: list[OffenderPart] = ledger.offenders
    if parties is not None:
        wanted = {p.pk for p in parties}
        offenders = [o for o in offenders if o.party.pk in wanted]
    shares = bool(agreement and agreement.terms_shared_consent_on)
    return {
        "case": case,
        "program": case.program,
        "source": case.referral_source,
        "kind": kind,
        "title": _title(case, kind, parties),
        "outcome_text": ENDED_BEFORE_AGREEMENT.get(case.outcome, "") if kind == Letter.Kind.CLOSURE else "",
        "sides": _sides(case) if kind == Letter.Kind.CLOSURE and case.outcome == Outcome.DECLINED else [],
        "agreement": agreement,
        "ledger": ledger if agreement else None,
        "offenders": offenders if agreement else [],
        "all_offenders": [
            str(p.person)
            for p in Party.objects.filter(case=case, role=Party.Role.OFFENDER).select_related("person").order_by("pk")
        ],
        "session_date": session_date(case),
        "shares": shares,
        # The coordinator's reason for a return is about the agreement's keeping; reasons for declining,
        # unsuitability and the rest are never written to the referral source.
        "reason": reason if kind == Letter.Kind.NON_COMPLIANCE else "",
        "today": timezone.localdate(),
        "signatory": signed_by,
        "currency": case.program.currency,
        "static_prefix": STATIC_PREFIX,
    }


def _title(case: Case, kind: str, parties) -> str:
    if kind == Letter.Kind.PROGRESS:
        return "Restitution agreement: progress report"
    if kind == Letter.Kind.COMPLETION:
        return "Restitution agreement fulfilled"
    if kind == Letter.Kind.PARTIAL:
        return "Restitution agreement fulfilled in part"
    if kind == Letter.Kind.NON_COMPLIANCE:
        if parties and case.stage != Case.Stage.CLOSED:
            names = ", ".join(str(p.person) for p in parties)
            return f"Restitution agreement not fulfilled by {names}"
        return "Restitution agreement not fulfilled"
    return "Victim-offender mediation: case closed"


def letter_html(case: Case, kind: str, **options) -> str:
    return render_to_string("agreements/pdf/letter.html", letter_context(case, kind, **options))


def letter_write(*, case: Case, kind: str, actor, parties: list[Party] | None = None, reason: str = "",
                 ledger: Ledger | None = None) -> Letter:  # fmt: skip
    """Render, store and audit one letter (inside the caller's transaction)."""
    ledger = ledger if ledger is not None else case_ledger(case)
    signed_by = signatory(case, actor)
    html = letter_html(case, kind, ledger=ledger, parties=parties, reason=reason, signed_by=signed_by)
    pdf = html_to_pdf(html, paper_size=case.program.paper_size)
    agreement = ledger.current
    letter = Letter(
        case=case, agreement=agreement, kind=kind, party=parties[0] if parties and len(parties) == 1 else None,
        outcome=case.outcome if case.stage == Case.Stage.CLOSED else "", signatory=signed_by,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(), shares_terms=bool(agreement and agreement.terms_shared_consent_on),
        created_by=actor,
    )  # fmt: skip
    letter.pdf.save(f"{case.number}-{kind}-{uuid.uuid4().hex[:8]}.pdf", ContentFile(pdf), save=False)
    letter.save()
    audit_record(user=actor, action=AuditEvent.Action.CHANGE, what=f"letter {letter.pk} ({letter.get_kind_display()})",
                 case_id=case.pk)  # fmt: skip
    return letter


def closure_letter(*, case: Case, actor) -> Letter:
    """The letter every closure writes to the referral source (an ``on_close`` of the agreements extension)."""
    kind = CLOSURE_KINDS.get(case.outcome, Letter.Kind.CLOSURE)
    return letter_write(case=case, kind=kind, actor=actor, reason=case.outcome_reason)
