"""Reads for agreements: who must sign, the current version, and the document's content."""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, time

from django.utils import timezone

from cases.models import Case, Party, Person
from cases.rules import is_juvenile
from mediation.models import ContactAttempt

from .models import Agreement, Signature, Term


@dataclass(frozen=True)
class Signer:
    """Someone whose signature a version needs."""

    key: str  # "p<party id>" or "m<user id>": stable across versions of one case
    role: str
    name: str
    party: Party | None = None
    mediator: object | None = None


def required_signers(case: Case, parties: list[Party] | None = None) -> list[Signer]:
    """Each victim (an organisation signs through its representative), each offender, the parent or
    guardian of each juvenile offender, the lead mediator, and the co-mediator where the program asks for
    both mediators' signatures (``Program.co_mediator_signs``)."""
    if parties is None:
        parties = list(
            Party.objects.filter(case=case).select_related("person", "related_party__person").in_display_order()
        )
    reference = case.age_reference_date
    juveniles = {
        p.pk for p in parties if p.role == Party.Role.OFFENDER and is_juvenile(p.person.date_of_birth, reference)
    }
    signers = []
    for party in parties:
        if party.role == Party.Role.OFFENDER:
            signers.append(Signer(f"p{party.pk}", "Offender", str(party.person), party=party))
    for party in parties:
        if party.role == Party.Role.GUARDIAN and party.related_party_id in juveniles:
            signers.append(
                Signer(
                    f"p{party.pk}", f"Parent / guardian of {party.related_party.person}", str(party.person), party=party
                )
            )
    for party in parties:
        if party.role == Party.Role.VICTIM and party.person.kind == Person.Kind.INDIVIDUAL:
            signers.append(Signer(f"p{party.pk}", "Victim", str(party.person), party=party))
        elif party.role == Party.Role.VICTIM_REPRESENTATIVE:
            signers.append(
                Signer(f"p{party.pk}", f"For the victim, {party.related_party.person}", str(party.person), party=party)
            )
    if case.lead_mediator_id:
        lead = case.lead_mediator
        signers.append(Signer(f"m{lead.pk}", "Mediator", lead.get_full_name() or lead.username, mediator=lead))
    if case.co_mediator_id and case.program.co_mediator_signs:
        co = case.co_mediator
        signers.append(Signer(f"m{co.pk}", "Co-mediator", co.get_full_name() or co.username, mediator=co))
    return signers


def signature_key(signature: Signature) -> str:
    return f"p{signature.party_id}" if signature.party_id else f"m{signature.mediator_id}"


def current_agreement(case: Case) -> Agreement | None:
    """The version that counts now: the open draft or awaiting one, else the latest signed one."""
    versions = list(Agreement.objects.filter(case=case).exclude(status=Agreement.Status.SUPERSEDED).order_by("-number"))
    return versions[0] if versions else None


def terms_of(agreement: Agreement) -> list[Term]:
    return list(
        agreement.terms.select_related("responsible__person")
        .prefetch_related("installments")
        .order_by("position", "pk")
    )


@dataclass
class SignerStatus:
    signer: Signer
    signature: Signature | None


def signer_statuses(agreement: Agreement) -> list[SignerStatus]:
    signed = {signature_key(s): s for s in agreement.signatures.all()}
    return [SignerStatus(signer, signed.get(signer.key)) for signer in required_signers(agreement.case)]


def document_content(agreement: Agreement, terms: list[Term], statuses: list[SignerStatus]) -> dict:
    """What the signed document says, as plain data: the verification code is the hash of this.

    Names and roles only: no addresses, phone numbers or email addresses, ever.
    """
    return {
        "program": agreement.case.program.name,
        "case": agreement.case.number,
        "version": agreement.number,
        "language": agreement.language,
        "terms": [
            {
                "kind": t.kind,
                "responsible": str(t.responsible.person),
                "description": t.description,
                "amount": str(t.amount) if t.amount is not None else None,
                "hours": str(t.hours) if t.hours is not None else None,
                "due": t.due_date.isoformat(),
                "installments": [[i.number, i.due_date.isoformat(), str(i.amount)] for i in t.installments.all()],
            }
            for t in terms
        ],
        "signatures": [
            {
                "role": s.signer.role,
                "name": s.signer.name,
                "method": s.signature.method if s.signature else None,
                "signed_at": s.signature.signed_at.isoformat() if s.signature else None,
            }
            for s in statuses
        ],
    }


def verification_code(content: dict) -> str:
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest().upper()
    return "-".join(digest[i : i + 4] for i in range(0, 20, 4))


def follow_up_contacts(case: Case, since=None):
    """Contact attempts with the offender side since the agreement was signed, newest first."""
    attempts = ContactAttempt.objects.filter(party__case=case, party__role__in=[Party.Role.OFFENDER,
                                                                                Party.Role.GUARDIAN])  # fmt: skip
    if since is not None:  # from the start of that day: a contact is recorded to the minute, in local time
        day = timezone.localtime(since).date()
        attempts = attempts.filter(at__gte=timezone.make_aware(datetime.combine(day, time.min)))
    return attempts.select_related("party__person", "recorded_by").order_by("-at", "-pk")
