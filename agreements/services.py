"""Writes for agreements: drafting, terms, signatures, locking with the PDF, amendments."""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import weasyprint
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from cases.models import Case, Party, TimelineEvent
from cases.services import case_move, timeline_add
from mediation.selectors import session_date
from vom.audit.models import AuditEvent
from vom.audit.services import audit_record
from vom.core.dates import date_problem
from vom.core.errors import DomainError, StaleObjectError
from vom.users.services import reauthenticate

from .documents import agreement_pdf
from .models import Agreement, Installment, Signature, Term
from .schedule import due_dates, schedule_problem, split_amount
from .selectors import (
    Signer,
    SignerStatus,
    current_agreement,
    document_content,
    signer_statuses,
    terms_of,
    verification_code,
)
from .uploads import check_scan, decode_drawn

S = Case.Stage
MAX_INSTALLMENTS = 120
MAX_HOURS = Decimal("1000")


def _claim(agreement: Agreement, expected_version: int, from_status: str, **fields) -> None:
    """Change an agreement only if nobody changed it since ``expected_version`` and it is in ``from_status``."""
    rows = Agreement.objects.filter(pk=agreement.pk, version=expected_version, status=from_status).update(
        version=F("version") + 1, **fields
    )
    if rows != 1:
        current = Agreement.objects.filter(pk=agreement.pk).values_list("status", flat=True).first()
        if current != from_status:
            raise DomainError(f"This version is {Agreement.Status(current).label.lower()}; it cannot be changed.")
        raise StaleObjectError("This agreement was changed by someone else since you opened it. Nothing was saved.")
    agreement.refresh_from_db()


@transaction.atomic
def agreement_create(*, case: Case, actor, language: str = "") -> Agreement:
    """Draft the first version from a mediation that reached agreement."""
    if case.stage != S.AGREEMENT:
        raise DomainError("The agreement is drafted once the mediation has reached agreement.")
    if Agreement.objects.filter(case=case).exists():
        raise DomainError("This case already has an agreement; amend it instead.")
    offender = Party.objects.filter(case=case, role=Party.Role.OFFENDER).first()
    agreement = Agreement.objects.create(
        case=case,
        number=1,
        language=language or (offender.preferred_language if offender else "English"),
        created_by=actor,
    )
    timeline_add(case=case, kind=TimelineEvent.Kind.AGREEMENT, summary="Agreement drafted (version 1)", actor=actor)
    return agreement


def _check_term(case: Case, kind: str, responsible: Party, values: dict) -> list[str]:
    problems = []
    if responsible.case_id != case.pk or responsible.role != Party.Role.OFFENDER:
        problems.append("The responsible person must be an offender of this case.")
    if not values.get("description", "").strip():
        problems.append("Describe the term.")
    earliest = session_date(case) or case.referral_date
    dates = [values.get("due_date"), values.get("first_due_date")]
    if any(d is not None and d < earliest for d in dates):
        problems.append(f"Due dates cannot be before the session ({earliest:%b %-d, %Y}).")
    problems += sorted({problem for d in dates if (problem := date_problem(d))})
    if kind == Term.Kind.MONEY:
        amount, count = values.get("amount"), values.get("installment_count")
        if amount is None or amount <= 0:
            problems.append("The amount must be more than zero.")
        elif amount != amount.quantize(Decimal("0.01")):
            problems.append("The amount cannot have fractions of a cent.")
        if not count or not 1 <= count <= MAX_INSTALLMENTS:
            problems.append(f"The number of installments must be between 1 and {MAX_INSTALLMENTS}.")
        elif amount and amount > 0 and amount < Decimal("0.01") * count:
            problems.append("Each installment must be at least one cent.")
        if values.get("frequency") not in Term.Frequency.values:
            problems.append("Choose how often installments are due.")
        if values.get("first_due_date") is None:
            problems.append("Give the first due date.")
        elif not problems and (problem := schedule_problem(values["first_due_date"], count, values["frequency"])):
            problems.append(problem)
    elif kind == Term.Kind.COMMUNITY_SERVICE:
        hours = values.get("hours")
        if hours is None or hours <= 0:
            problems.append("The hours of community service must be more than zero.")
        elif hours > MAX_HOURS:
            problems.append(f"At most {MAX_HOURS} hours can be agreed in one term.")
    if kind != Term.Kind.MONEY and values.get("due_date") is None:
        problems.append("Give the due date.")
    return problems


def _create_term(agreement: Agreement, *, kind: str, responsible: Party, position: int, **values) -> Term:
    term = Term(agreement=agreement, kind=kind, responsible=responsible, position=position)
    term.description = values["description"].strip()
    if kind == Term.Kind.MONEY:
        amount, count = values["amount"], values["installment_count"]
        dates = due_dates(values["first_due_date"], count, values["frequency"])
        term.amount, term.installment_count, term.frequency = amount, count, values["frequency"]
        term.first_due_date = values["first_due_date"]
        term.due_date = dates[-1]
        term.save()
        Installment.objects.bulk_create(
            Installment(term=term, number=n, due_date=day, amount=share)
            for n, (day, share) in enumerate(zip(dates, split_amount(amount, count), strict=True), start=1)
        )
    else:
        term.hours = values.get("hours") if kind == Term.Kind.COMMUNITY_SERVICE else None
        term.due_date = values["due_date"]
        term.save()
    return term


@transaction.atomic
def term_add(
    *,
    agreement: Agreement,
    expected_version: int,
    actor,
    kind: str,
    responsible: Party,
    description: str,
    due_date: date | None = None,
    amount: Decimal | None = None,
    installment_count: int | None = None,
    frequency: str = "",
    first_due_date: date | None = None,
    hours: Decimal | None = None,
) -> Term:
    """Add a term to a draft; a money term gets its installment schedule, exact to the cent."""
    values = {
        "description": description,
        "due_date": due_date,
        "amount": amount,
        "installment_count": installment_count,
        "frequency": frequency,
        "first_due_date": first_due_date,
        "hours": hours,
    }
    if kind not in Term.Kind.values:
        raise DomainError("Choose the kind of term.")
    problems = _check_term(agreement.case, kind, responsible, values)
    if problems:
        raise DomainError("The term was not added.", problems)
    _claim(agreement, expected_version, Agreement.Status.DRAFT)
    position = agreement.terms.count() + 1
    return _create_term(agreement, kind=kind, responsible=responsible, position=position, **values)


@transaction.atomic
def term_remove(*, term: Term, expected_version: int, actor) -> None:
    _claim(term.agreement, expected_version, Agreement.Status.DRAFT)
    term.delete()


@transaction.atomic
def agreement_send_for_signatures(*, agreement: Agreement, expected_version: int, actor) -> Agreement:
    if not agreement.terms.exists():
        raise DomainError("Add at least one term before collecting signatures.")
    _claim(agreement, expected_version, Agreement.Status.DRAFT, status=Agreement.Status.AWAITING)
    timeline_add(
        case=agreement.case,
        kind=TimelineEvent.Kind.AGREEMENT,
        summary=f"Agreement version {agreement.number} ready for signatures",
        actor=actor,
    )
    return agreement


@transaction.atomic
def agreement_back_to_draft(*, agreement: Agreement, expected_version: int, actor) -> Agreement:
    if agreement.signatures.exists():
        raise DomainError("Someone has signed already: the terms can no longer change. Amend after signing instead.")
    _claim(agreement, expected_version, Agreement.Status.AWAITING, status=Agreement.Status.DRAFT)
    return agreement


@dataclass
class _Content:
    """What a signature carries, checked before anything is written."""

    image: bytes | None = None
    typed_name: str = ""
    scan: bytes | None = None
    scan_content_type: str = ""


def _signature_content(
    signer: Signer, method: str, *, typed_name: str, consent: bool, drawn: str, scan: bytes | None
) -> _Content:
    if method == Signature.Method.DRAWN:
        return _Content(image=decode_drawn(drawn))
    if method == Signature.Method.TYPED:
        if " ".join(typed_name.split()).casefold() != " ".join(signer.name.split()).casefold():
            raise DomainError(f"Type the signer's full name exactly: {signer.name}.")
        if not consent:
            raise DomainError("The signer must tick the box agreeing to sign electronically.")
        return _Content(typed_name=" ".join(typed_name.split()))
    if method == Signature.Method.SCANNED:
        kind, stored = check_scan(scan or b"")
        return _Content(scan=stored, scan_content_type=kind)
    raise DomainError("Choose how the signature is given.")


def _open_status(agreement: Agreement, signer_key: str) -> tuple[Agreement, dict, SignerStatus]:
    if agreement.status != Agreement.Status.AWAITING:
        raise DomainError(f"This version is {agreement.get_status_display().lower()}; it cannot be signed.")
    statuses = {s.signer.key: s for s in signer_statuses(agreement)}
    status = statuses.get(signer_key)
    if status is None:
        raise DomainError("That person is not a required signer of this agreement.")
    if status.signature is not None:
        raise DomainError(f"{status.signer.name} has already signed this version.")
    return agreement, statuses, status


def signature_refusal(*, actor, signer: Signer) -> str | None:
    """Why ``actor`` may not give ``signer``'s signature, or None. A mediator's signature is given only from
    that mediator's own account; parties sign on the team's device, whoever holds it."""
    if signer.mediator is not None and signer.mediator.pk != actor.pk:
        return (
            f"Only {signer.name} can sign as {signer.role.lower()}, signed in to their own account and confirming "
            f"with their password or code. You are signed in as {actor.get_full_name() or actor.get_username()}: "
            "nothing was signed."
        )
    return None


NOT_THEIR_SIGNATURE = "signed in as someone else"


def signature_refuse(*, request, actor, agreement: Agreement, signer: Signer, why: str, record: str) -> DomainError:
    """Record a refused signature (``record``: someone else's, or the wrong password or code) and return the
    error to raise (``why``, for the person). Written outside any transaction of the signing, so the refusal
    stays on record."""
    audit_record(
        request=request, user=actor, action=AuditEvent.Action.REFUSED, case_id=agreement.case_id,
        what=f"refused ({record}): signature of {signer.role.lower()} {signer.name} on agreement {agreement.pk}",
    )  # fmt: skip
    return DomainError(why)


def signature_add(
    *,
    agreement: Agreement,
    signer_key: str,
    actor,
    method: str,
    typed_name: str = "",
    consent: bool = False,
    drawn: str = "",
    scan: bytes | None = None,
    credential: str = "",
    request=None,
    ip_address: str | None = None,
    user_agent: str = "",
) -> Signature:
    """Record one required signer's signature; the last one locks the version and renders its PDF.

    A party signs on the team's device (``recorded_by`` keeps who held it). A mediator signs only as
    themselves, re-entering their password, or the code of their authenticator app when they use one
    (``credential``): signing as anyone else, or with a wrong password or code, is refused, audited, and
    changes nothing."""
    _agreement, _statuses, status = _open_status(agreement, signer_key)
    signer = status.signer
    content = _signature_content(signer, method, typed_name=typed_name, consent=consent, drawn=drawn, scan=scan)
    if signer.mediator is not None:
        refusal = signature_refusal(actor=actor, signer=signer)
        if refusal:
            raise signature_refuse(
                request=request,
                actor=actor,
                agreement=agreement,
                signer=signer,
                why=refusal,
                record=NOT_THEIR_SIGNATURE,
            )
        try:
            reauthenticate(user=actor, secret=credential)
        except ValidationError as exc:
            why, record = f"{exc.messages[0]} Nothing was signed.", exc.code.replace("_", " ")
            raise signature_refuse(
                request=request, actor=actor, agreement=agreement, signer=signer, why=why, record=record
            ) from exc
    return _signature_record(
        agreement, signer_key, actor, method, content, ip_address=ip_address, user_agent=user_agent
    )


@transaction.atomic
def _signature_record(
    agreement: Agreement, signer_key: str, actor, method: str, content: _Content, *, ip_address, user_agent: str
) -> Signature:
    agreement = Agreement.objects.select_for_update().select_related("case__program").get(pk=agreement.pk)
    agreement, statuses, status = _open_status(agreement, signer_key)  # again, under the lock
    signature = Signature(
        agreement=agreement,
        party=status.signer.party,
        mediator=status.signer.mediator,
        role=status.signer.role,
        signer_name=status.signer.name,
        method=method,
        signed_at=timezone.now(),
        ip_address=ip_address,
        user_agent=user_agent[:300],
        recorded_by=actor,
        typed_name=content.typed_name,
        scan_content_type=content.scan_content_type,
    )
    if content.image is not None:
        signature.image.save(f"{uuid.uuid4().hex}.png", ContentFile(content.image), save=False)
    if content.scan is not None:
        extension = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}[content.scan_content_type]
        signature.scan.save(f"{uuid.uuid4().hex}.{extension}", ContentFile(content.scan), save=False)
    signature.save()
    timeline_add(
        case=agreement.case,
        kind=TimelineEvent.Kind.AGREEMENT,
        summary=f"{status.signer.role} {status.signer.name} signed version {agreement.number} "
        f"({signature.get_method_display().lower()})",
        actor=actor,
    )
    if all(s.signature is not None or key == signer_key for key, s in statuses.items()):
        _lock(agreement, actor)
    return signature


def seal(agreement: Agreement, signed_at) -> None:
    """Compute the verification code, render the PDF once and store it with its SHA-256 and the renderer."""
    Agreement.objects.filter(pk=agreement.pk).update(signed_at=signed_at)
    agreement.signed_at = signed_at
    content = document_content(agreement, terms_of(agreement), signer_statuses(agreement))
    agreement.verification_code = verification_code(content)
    pdf = agreement_pdf(agreement, draft=False)
    agreement.pdf.save(
        f"{agreement.case.number}-v{agreement.number}-{uuid.uuid4().hex[:8]}.pdf", ContentFile(pdf), save=False
    )
    _claim(
        agreement,
        agreement.version,
        Agreement.Status.AWAITING,
        status=Agreement.Status.SIGNED,
        verification_code=agreement.verification_code,
        pdf=agreement.pdf.name,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        weasyprint_version=weasyprint.__version__,
    )


def _lock(agreement: Agreement, actor) -> None:
    """Freeze the fully signed version, supersede older ones and start follow-up."""
    seal(agreement, timezone.now())
    older = Agreement.objects.filter(case=agreement.case, status=Agreement.Status.SIGNED, number__lt=agreement.number)
    older.update(status=Agreement.Status.SUPERSEDED)
    timeline_add(
        case=agreement.case,
        kind=TimelineEvent.Kind.AGREEMENT,
        summary=f"Agreement version {agreement.number} fully signed and locked (code {agreement.verification_code})",
        actor=actor,
    )
    case = Case.objects.get(pk=agreement.case_id)
    if case.stage == S.AGREEMENT:
        case_move(
            case=case,
            to_stage=S.FOLLOW_UP,
            expected_version=case.version,
            actor=actor,
            summary="Agreement signed by everyone. Follow-up begins.",
        )


def guard_begin_follow_up(case: Case) -> list[str]:
    agreement = current_agreement(case)
    if agreement is None:
        return ["The agreement has not been drafted yet."]
    if agreement.status != Agreement.Status.SIGNED:
        missing = [s.signer for s in signer_statuses(agreement) if s.signature is None]
        if agreement.status == Agreement.Status.DRAFT:
            return ["The agreement is still a draft: add its terms and send it for signatures."]
        return [f"{signer.name} ({signer.role}) has not signed yet." for signer in missing]
    return []


@transaction.atomic
def case_begin_follow_up(*, case: Case, expected_version: int, actor) -> Case:
    missing = guard_begin_follow_up(case)
    if missing:
        raise DomainError("Follow-up cannot start yet.", missing)
    return case_move(
        case=case, to_stage=S.FOLLOW_UP, expected_version=expected_version, actor=actor, summary="Follow-up begins."
    )


@transaction.atomic
def agreement_amend(*, agreement: Agreement, actor, reason: str) -> Agreement:
    """Start a new version from the signed one; it needs new signatures, the old one stays until then."""
    if agreement.status != Agreement.Status.SIGNED:
        raise DomainError("Only the signed, current version can be amended.")
    if not reason.strip():
        raise DomainError("Give the reason for the amendment (for example, missed payments).")
    if Agreement.objects.filter(
        case=agreement.case, status__in=[Agreement.Status.DRAFT, Agreement.Status.AWAITING]
    ).exists():
        raise DomainError("An amendment is already in progress.")
    new = Agreement.objects.create(
        case=agreement.case,
        number=agreement.number + 1,
        language=agreement.language,
        amends=agreement,
        amendment_reason=reason.strip(),
        created_by=actor,
    )
    for term in terms_of(agreement):
        values = {
            "description": term.description,
            "due_date": term.due_date,
            "amount": term.amount,
            "installment_count": term.installment_count,
            "frequency": term.frequency,
            "first_due_date": term.first_due_date,
            "hours": term.hours,
        }
        _create_term(new, kind=term.kind, responsible=term.responsible, position=term.position, **values)
    timeline_add(
        case=agreement.case,
        kind=TimelineEvent.Kind.AGREEMENT,
        summary=f"Amendment started (version {new.number}): {reason.strip()}",
        actor=actor,
    )
    return new
