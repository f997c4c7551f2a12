"""Reads for agreements: who must sign, the current version, and the document's content."""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, time

from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Case, Party, Person
from cases.rules import is_juvenile
from mediation.models import ContactAttempt
from vom.core.i18n import ENGLISH, document_language, language_name

from .models import Agreement, Signature, Term


@dataclass(frozen=True)
class Signer:
    """Someone whose signature a version needs."""

    key: str  # "p<party id>" or "m<user id>": stable across versions of one case
    role: str
    name: str
    party: Party | None = None
    mediator: object | None = None
    kind: str = ""  # offender, guardian, victim, victim_rep, mediator, co_mediator: what the document translates
    of: str = ""  # whom a guardian or a representative signs for


def signer_role(signer: Signer) -> str:
    """The signer's role in the active language, for the document (``role`` is the staff pages' English)."""
    labels = {
        "offender": _("Offender"),
        "victim": _("Victim"),
        "mediator": _("Mediator"),
        "co_mediator": _("Co-mediator"),
        "guardian": _("Parent / guardian of %(name)s"),
        "victim_rep": _("For the victim, %(name)s"),
    }
    label = labels.get(signer.kind)
    return str(label) % {"name": signer.of} if label is not None else signer.role


def required_signers(case: Case, parties: list[Party] | None = None) -> list[Signer]:
    """Each victim (an organisation signs through its representative), each offender, the parent or
    guardian of each juvenile offender, the lead mediator, and the co-mediator where the program asks for
    both mediators' signatures (``Program.co_mediator_signs``)."""
    if parties is None:
        parties = list(
            Party.objects.filter(case=case)
            .select_related("person", "related_party__person", "case__program")
            .in_display_order()
        )
    reference = case.age_reference_date
    juveniles = {
        p.pk for p in parties if p.role == Party.Role.OFFENDER and is_juvenile(p.person.date_of_birth, reference)
    }
    signers = []
    for party in parties:
        if party.role == Party.Role.OFFENDER:
            signers.append(Signer(f"p{party.pk}", "Offender", str(party.person), party=party, kind="offender"))
    for party in parties:
        if party.role == Party.Role.GUARDIAN and party.related_party_id in juveniles:
            signers.append(
                Signer(
                    f"p{party.pk}",
                    f"Parent / guardian of {party.related_party.person}",
                    str(party.person),
                    party=party,
                    kind="guardian",
                    of=str(party.related_party.person),
                )
            )
    for party in parties:
        if party.role == Party.Role.VICTIM and party.person.kind == Person.Kind.INDIVIDUAL:
            signers.append(Signer(f"p{party.pk}", "Victim", str(party.person), party=party, kind="victim"))
        elif party.role == Party.Role.VICTIM_REPRESENTATIVE:
            signers.append(Signer(f"p{party.pk}", f"For the victim, {party.related_party.person}", str(party.person),
                                  party=party, kind="victim_rep", of=str(party.related_party.person)))  # fmt: skip
    if case.lead_mediator_id:
        lead = case.lead_mediator
        signers.append(Signer(f"m{lead.pk}", "Mediator", lead.get_full_name() or lead.username, mediator=lead,
                              kind="mediator"))  # fmt: skip
    if case.co_mediator_id and case.program.co_mediator_signs:
        co = case.co_mediator
        signers.append(Signer(f"m{co.pk}", "Co-mediator", co.get_full_name() or co.username, mediator=co,
                              kind="co_mediator"))  # fmt: skip
    return signers


PARTY_SIGNERS = {Party.Role.OFFENDER, Party.Role.GUARDIAN, Party.Role.VICTIM, Party.Role.VICTIM_REPRESENTATIVE}


def document_languages_for(parties: list[Party], program) -> list[str]:
    """The languages a case's agreement is written in: each signing party's document language, in the order
    they sign (offenders first), once each. Two of them make one bilingual document."""
    languages = []
    for party in sorted(parties, key=lambda p: SIGNING_ORDER.index(p.role) if p.role in SIGNING_ORDER else 9):
        if party.role in PARTY_SIGNERS:
            language = document_language(party.preferred_language, program.document_languages)
            if language not in languages:
                languages.append(language)
    return languages or [ENGLISH]


SIGNING_ORDER = [Party.Role.OFFENDER, Party.Role.GUARDIAN, Party.Role.VICTIM, Party.Role.VICTIM_REPRESENTATIVE]


def agreement_languages(case: Case) -> list[str]:
    return document_languages_for(list(Party.objects.filter(case=case)), case.program)


def missing_translations(agreement: Agreement, terms: list[Term]) -> list[str]:
    """Free text the mediator still has to write in one of the document's languages other than English."""
    missing = []
    for language in agreement.languages:
        if language == ENGLISH:
            continue
        name = language_name(language, in_language=ENGLISH)
        for position, term in enumerate(terms, 1):
            if not (term.translations or {}).get(language, "").strip():
                missing.append(f"Term {position} ({term.get_kind_display().lower()}) has no {name} text yet.")
        if agreement.amendment_reason and not (agreement.amendment_reason_translations or {}).get(language, "").strip():
            missing.append(f"The reason for the amendment has no {name} text yet.")
    return missing


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
        "languages": agreement.languages,
        "amendment_reason": {lang: text_in(agreement, lang, "amendment_reason") for lang in agreement.languages},
        "terms": [
            {
                "kind": t.kind,
                "responsible": str(t.responsible.person),
                "description": {lang: text_in(t, lang) for lang in agreement.languages},
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
                "interpreter": [s.signature.interpreter_name, s.signature.interpreter_language]
                if s.signature and s.signature.interpreter_name
                else None,
            }
            for s in statuses
        ],
    }


def text_in(obj, language: str, field: str = "description") -> str:
    """A term's description (or an amendment's reason) as written for ``language``: the English text is the
    field itself, every other language's is in its translations."""
    if language == ENGLISH:
        return getattr(obj, field)
    translations = obj.translations if field == "description" else getattr(obj, f"{field}_translations")
    return (translations or {}).get(language, "")


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
