"""Writes for agreements: drafting, terms, signatures, locking with the PDF, amendments."""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import weasyprint
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from cases.extensions import CaseFacts
from cases.models import Case, Party, TimelineEvent
from cases.selectors import case_facts
from cases.services import case_move, timeline_add
from mediation.selectors import session_date
from vom.audit.models import AuditEvent
from vom.audit.services import audit_record
from vom.core.claims import claim
from vom.core.dates import date_problem
from vom.core.errors import DomainError, FieldProblem, StaleObjectError
from vom.core.i18n import LANGUAGE_NAMES
from vom.users.services import reauthenticate

from .compliance import FULFILLED, term_state
from .documents import agreement_pdf
from .facts import agreement_facts
from .follow_up import compliance, follow_up_placement, returned_offenders, terms_with_records
from .models import HOURS_TERMS, Agreement, Installment, Signature, Term, TermCheck
from .receivers import follow_up_changed
from .schedule import CENT, STEP, installments_for, schedule_problem
from .selectors import (
    Signer,
    SignerStatus,
    agreement_languages,
    document_content,
    missing_translations,
    signer_statuses,
    terms_of,
    verification_code,
)
from .uploads import check_scan, decode_drawn
from .victim_updates import victim_update_amended

S = Case.Stage
MAX_INSTALLMENTS = 120
MAX_HOURS = Decimal("1000")


def _claim(agreement: Agreement, expected_version: int, from_status: str, **fields) -> None:
    """Change an agreement only if nobody changed it since ``expected_version`` and it is in ``from_status``."""
    try:
        claim(
            Agreement.objects.filter(pk=agreement.pk, version=expected_version, status=from_status),
            stale="This agreement was changed by someone else since you opened it. Nothing was saved.",
            version=F("version") + 1, **fields,
        )  # fmt: skip
    except StaleObjectError:
        current = Agreement.objects.filter(pk=agreement.pk).values_list("status", flat=True).first()
        if current != from_status:
            raise DomainError(
                f"This version is {Agreement.Status(current).label.lower()}; it cannot be changed."
            ) from None
        raise
    agreement.refresh_from_db()


@transaction.atomic
def agreement_create(*, case: Case, actor) -> Agreement:
    """Draft the first version from a mediation that reached agreement, in the parties' languages."""
    if case.stage != S.AGREEMENT:
        raise DomainError("The agreement is drafted once the mediation has reached agreement.")
    if Agreement.objects.filter(case=case).exists():
        raise DomainError("This case already has an agreement; amend it instead.")
    agreement = Agreement.objects.create(case=case, number=1, languages=agreement_languages(case), created_by=actor)
    timeline_add(case=case, kind=TimelineEvent.Kind.AGREEMENT, summary="Agreement drafted (version 1)", actor=actor)
    return agreement


TERM_FIELDS = (
    "description", "due_date", "amount", "schedule", "installment_count", "frequency", "first_due_date",
    "period_amount", "installments", "hours", "translations",
)  # fmt: skip


def _check_money(values: dict) -> list[str]:
    problems = []
    amount, schedule = values.get("amount"), values.get("schedule") or Term.Schedule.EQUAL
    if amount is None or amount <= 0:
        return [FieldProblem("amount", "The amount must be more than zero.")]
    if amount != amount.quantize(CENT):
        return [FieldProblem("amount", "The amount cannot have fractions of a cent.")]
    if schedule not in Term.Schedule.values:
        return [FieldProblem("schedule", "Choose how the amount is scheduled.")]
    if schedule in {Term.Schedule.EQUAL, Term.Schedule.FIXED}:
        if values.get("frequency") not in Term.Frequency.values:
            problems.append(FieldProblem("frequency", "Choose how often installments are due."))
        if values.get("first_due_date") is None:
            problems.append(FieldProblem("first_due_date", "Give the first due date."))
    if schedule == Term.Schedule.EQUAL:
        count = values.get("installment_count")
        if not count or not 1 <= count <= MAX_INSTALLMENTS:
            problems.append(
                FieldProblem(
                    "installment_count", f"The number of installments must be between 1 and {MAX_INSTALLMENTS}."
                )
            )
        elif amount < CENT * count:
            problems.append(FieldProblem("installment_count", "Each installment must be at least one cent."))
    elif schedule == Term.Schedule.FIXED:
        per = values.get("period_amount")
        if per is None or per <= 0 or per != per.quantize(CENT):
            problems.append(
                FieldProblem("period_amount", "Give the amount due each period, in dollars and cents, more than zero.")
            )
        elif per > amount:
            problems.append(FieldProblem("period_amount", "The amount each period cannot be more than the total."))
        elif amount / per > MAX_INSTALLMENTS:  # counted before the plan is built (a cent a month is a long list)
            problems.append(f"At that amount the plan would need more than {MAX_INSTALLMENTS} installments.")
    if not problems and schedule != Term.Schedule.CUSTOM:
        per = values.get("period_amount")
        count = values.get("installment_count") if schedule == Term.Schedule.EQUAL else -(-amount // per)
        problem = schedule_problem(values["first_due_date"], int(count), values["frequency"])
        if problem:
            problems.append(problem)
    if schedule == Term.Schedule.CUSTOM:
        rows = values.get("installments") or []
        if not rows:
            problems.append("Enter the date and amount of each installment.")
        elif len(rows) > MAX_INSTALLMENTS:
            problems.append(f"At most {MAX_INSTALLMENTS} installments.")
        else:
            if any(share is None or share <= 0 or share != share.quantize(CENT) for _, share in rows):
                problems.append("Each installment must be more than zero, in dollars and cents.")
            if len({day for day, _ in rows}) != len(rows):
                problems.append("Two installments cannot fall on the same day.")
            total = sum((share for _, share in rows if share is not None), Decimal("0"))
            if not problems and total != amount:
                difference = amount - total
                problems.append(
                    f"The installments add up to {total:,.2f}, not the total of {amount:,.2f}: "
                    f"{'add' if difference > 0 else 'take off'} {abs(difference):,.2f}."
                )
    return problems


def _check_term(case: Case, kind: str, responsible: Party, values: dict) -> list[str]:
    problems = []
    if responsible.case_id != case.pk or responsible.role != Party.Role.OFFENDER:
        problems.append("The responsible person must be an offender of this case.")
    if not values.get("description", "").strip():
        problems.append(FieldProblem("description", "Describe the term."))
    earliest = session_date(case) or case.referral_date
    dates = [values.get("due_date"), values.get("first_due_date")]
    if kind == Term.Kind.MONEY and values.get("schedule") == Term.Schedule.CUSTOM:
        dates = [day for day, _ in values.get("installments") or []]
    if any(d is not None and d < earliest for d in dates):
        problems.append(f"Due dates cannot be before the session ({earliest:%b %-d, %Y}).")
    problems += sorted({problem for d in dates if (problem := date_problem(d))})
    if kind == Term.Kind.MONEY:
        problems += _check_money(values)
    elif kind in HOURS_TERMS:
        hours, what = values.get("hours"), Term.Kind(kind).label.lower()
        if hours is None or hours <= 0:
            problems.append(FieldProblem("hours", f"The hours of {what} must be more than zero."))
        elif hours > MAX_HOURS:
            problems.append(FieldProblem("hours", f"At most {MAX_HOURS} hours can be agreed in one term."))
    if kind != Term.Kind.MONEY and values.get("due_date") is None:
        problems.append(FieldProblem("due_date", "Give the due date."))
    return problems


def _write_term(term: Term, values: dict) -> Term:
    """Set a term's fields from checked ``values`` and (re)write a money term's installments."""
    term.description = values["description"].strip()
    translations = values.get("translations") or {}
    term.translations = {lang: text.strip() for lang, text in translations.items() if text.strip()}
    term.amount = term.installment_count = term.period_amount = term.first_due_date = term.hours = None
    term.frequency, term.schedule = "", Term.Schedule.EQUAL
    if term.kind == Term.Kind.MONEY:
        term.amount, term.schedule = values["amount"], values.get("schedule") or Term.Schedule.EQUAL
        if term.schedule != Term.Schedule.CUSTOM:
            term.frequency, term.first_due_date = values["frequency"], values["first_due_date"]
        if term.schedule == Term.Schedule.FIXED:
            term.period_amount = values["period_amount"]
        plan = installments_for(
            schedule=term.schedule, total=term.amount, first=term.first_due_date, frequency=term.frequency,
            count=values.get("installment_count"), per_period=term.period_amount, rows=values.get("installments"),
        )  # fmt: skip
        term.installment_count, term.due_date = len(plan), plan[-1][0]
        term.first_due_date = plan[0][0]
        term.save()
        Installment.objects.filter(term=term).delete()
        Installment.objects.bulk_create(
            Installment(term=term, number=n, due_date=day, amount=share) for n, (day, share) in enumerate(plan, 1)
        )
    else:
        term.hours = values.get("hours") if term.kind in HOURS_TERMS else None
        term.due_date = values["due_date"]
        term.save()
    return term


def _term_values(description: str, **values) -> dict:
    values["description"] = description
    unknown = set(values) - set(TERM_FIELDS)
    if unknown:
        raise TypeError(f"unexpected term fields: {sorted(unknown)}")
    return {name: values.get(name) for name in TERM_FIELDS} | {"schedule": values.get("schedule") or "equal"}


@transaction.atomic
def term_add(
    *, agreement: Agreement, expected_version: int, actor, kind: str, responsible: Party, description: str, **values
) -> Term:
    """Add a term to a draft; a money term gets its installment schedule, exact to the cent.

    ``values``: ``due_date``; for money ``amount`` and ``schedule`` (``equal``: ``installment_count``,
    ``frequency``, ``first_due_date``; ``fixed``: ``period_amount``, ``frequency``, ``first_due_date``;
    ``custom``: ``installments``, a list of (date, amount)); for hours ``hours``."""
    values = _term_values(description, **values)
    if kind not in Term.Kind.values:
        raise DomainError("Choose the kind of term.")
    problems = _check_term(agreement.case, kind, responsible, values)
    if problems:
        raise DomainError("The term was not added.", problems)
    _claim(agreement, expected_version, Agreement.Status.DRAFT)
    position = agreement.terms.count() + 1
    return _write_term(Term(agreement=agreement, kind=kind, responsible=responsible, position=position), values)


@transaction.atomic
def term_update(*, term: Term, expected_version: int, actor, responsible: Party, description: str, **values) -> Term:
    """Change a term of a draft (its kind stays); an amendment's carried term keeps what it continues."""
    values = _term_values(description, **values)
    problems = _check_term(term.agreement.case, term.kind, responsible, values)
    if problems:
        raise DomainError("The term was not changed.", problems)
    _claim(term.agreement, expected_version, Agreement.Status.DRAFT)
    term.responsible = responsible
    return _write_term(term, values)


def term_warnings(case: Case, terms: list[Term]) -> list[str]:
    """What a coordinator should know about a plan without it being wrong: a last due date after the
    court return date (the court may lose its hold on the case before the plan ends)."""
    if not case.court_return_date:
        return []
    return [
        f"{term.get_kind_display()} ({term.description[:40]}) is due until {term.due_date:%b %-d, %Y}, after the "
        f"court return date of {case.court_return_date:%b %-d, %Y}: report progress to the court before then."
        for term in terms
        if term.due_date > case.court_return_date
    ]


def draft_language_warnings(agreement: Agreement) -> list[str]:
    """What a draft still needs before it can go for signatures in its parties' languages."""
    languages = agreement_languages(agreement.case)
    draft = Agreement(pk=agreement.pk, languages=languages, amendment_reason=agreement.amendment_reason,
                      amendment_reason_translations=agreement.amendment_reason_translations)  # fmt: skip
    notes = []
    if len(languages) > 1:
        names = " and ".join(LANGUAGE_NAMES.get(code, code) for code in languages)
        notes.append(f"The parties read different languages: this agreement is printed in {names}, one document.")
    return notes + missing_translations(draft, terms_of(agreement))


@transaction.atomic
def term_remove(*, term: Term, expected_version: int, actor) -> None:
    _claim(term.agreement, expected_version, Agreement.Status.DRAFT)
    term.delete()


@transaction.atomic
def agreement_send_for_signatures(*, agreement: Agreement, expected_version: int, actor) -> Agreement:
    """Freeze the draft for signing, in the languages its signing parties read now; every free text (a term's
    description, the reason for an amendment) must be written in each of them first."""
    terms = terms_of(agreement)
    if not terms:
        raise DomainError("Add at least one term before collecting signatures.")
    agreement.languages = agreement_languages(agreement.case)
    missing = missing_translations(agreement, terms)
    if missing:
        raise DomainError("The agreement cannot be sent for signatures until every text is written in each of its "
                          "languages.", missing)  # fmt: skip
    _claim(agreement, expected_version, Agreement.Status.DRAFT, status=Agreement.Status.AWAITING,
           languages=agreement.languages)  # fmt: skip
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
    interpreter_name: str = ""
    interpreter_language: str = ""


def _interpreter(signer: Signer, name: str, attests: bool) -> tuple[str, str]:
    """The interpreter's name and language for a party who needs one, checked; nothing for anyone else."""
    party = signer.party
    if party is None or not party.needs_interpreter:
        return "", ""
    name = " ".join(name.split())
    language = party.get_preferred_language_display()
    if not name:
        raise DomainError(
            f"{signer.name} signs with an interpreter: give the {language} interpreter's name (and agency)."
        )
    if not attests:
        raise DomainError(
            f"The interpreter must confirm that they interpreted the agreement to {signer.name} in {language}, "
            "who said they understood it."
        )
    return name[:200], party.preferred_language


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
    interpreter_name: str = "",
    interpreter_attests: bool = False,
    request=None,
    ip_address: str | None = None,
    user_agent: str = "",
) -> Signature:
    """Record one required signer's signature; the last one locks the version and renders its PDF.

    A party signs on the team's device (``recorded_by`` keeps who held it). A mediator signs only as
    themselves, re-entering their password, or the code of their authenticator app when they use one
    (``credential``): signing as anyone else, or with a wrong password or code, is refused, audited, and
    changes nothing.

    A party who needed an interpreter (``Party.needs_interpreter``) signs only with the interpreter's name
    (``interpreter_name``, with the agency) and the interpreter's attestation (``interpreter_attests``) that
    they interpreted the agreement to the signer, who said they understood it; both are printed in the
    signature block."""
    _agreement, _statuses, status = _open_status(agreement, signer_key)
    signer = status.signer
    content = _signature_content(signer, method, typed_name=typed_name, consent=consent, drawn=drawn, scan=scan)
    content.interpreter_name, content.interpreter_language = _interpreter(signer, interpreter_name, interpreter_attests)
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
        except DomainError as exc:
            why, record = f"{exc.message} Nothing was signed.", exc.code.replace("_", " ")
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
        interpreter_name=content.interpreter_name,
        interpreter_language=content.interpreter_language,
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
    _carry_in(agreement)
    older = Agreement.objects.filter(case=agreement.case, status=Agreement.Status.SIGNED, number__lt=agreement.number)
    older.update(status=Agreement.Status.SUPERSEDED)
    follow_up_placement([agreement.case_id])  # the new version followed in place of the old one
    if agreement.number > 1:
        victim_update_amended(agreement=agreement)
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


def guard_begin_follow_up(facts: CaseFacts) -> list[str]:
    found = agreement_facts(facts)
    agreement = found.current
    if agreement is None:
        return ["The agreement has not been drafted yet."]
    if agreement.status != Agreement.Status.SIGNED:
        missing = [signer for signer in found.signers if signer.key not in found.signed]
        if agreement.status == Agreement.Status.DRAFT:
            return ["The agreement is still a draft: add its terms and send it for signatures."]
        return [f"{signer.name} ({signer.role}) has not signed yet." for signer in missing]
    return []


@transaction.atomic
def case_begin_follow_up(*, case: Case, expected_version: int, actor) -> Case:
    missing = guard_begin_follow_up(case_facts(case, apps={"agreements"}))
    if missing:
        raise DomainError("Follow-up cannot start yet.", missing)
    return case_move(
        case=case, to_stage=S.FOLLOW_UP, expected_version=expected_version, actor=actor, summary="Follow-up begins."
    )


def _carried_values(state, today: date) -> dict | None:
    """What an amendment carries of a term of the signed version: nothing once it is fulfilled; a money term
    for the balance, in as many equal installments as were still open, from its next due date (or a period
    from today when that has passed); hours for those not yet done; other terms as they were."""
    term = state.term
    values = {"description": term.description, "due_date": term.due_date, "translations": term.translations}
    if state.status == FULFILLED:
        return None
    if term.kind == Term.Kind.MONEY:
        open_installments = [i for i in state.installments if i.open > 0]
        frequency = term.frequency or Term.Frequency.MONTHLY
        first = open_installments[0].due_date if open_installments else today
        if first < today:
            first = today + STEP[frequency]
        count = max(1, min(len(open_installments), int(state.outstanding / CENT)))
        return values | {"amount": state.outstanding, "schedule": Term.Schedule.EQUAL, "installment_count": count,
                         "frequency": frequency, "first_due_date": first, "base": state.received}  # fmt: skip
    if term.counts_hours:
        return values | {"hours": term.hours - state.hours_done, "base": state.hours_done}
    return values | {"hours": term.hours}


@transaction.atomic
def agreement_amend(*, agreement: Agreement, actor, reason: str, reason_translations: dict | None = None) -> Agreement:
    """Start a new version from the signed one; it needs new signatures, the old one stays until then.

    The draft carries what is still to do (``_carried_values``): a money term for the remaining balance, not
    the original amount, so payments made under the old version are not asked for twice. Returned
    offenders' terms are not carried."""
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
        languages=agreement_languages(agreement.case),
        amends=agreement,
        amendment_reason=reason.strip(),
        amendment_reason_translations={k: v.strip() for k, v in (reason_translations or {}).items() if v.strip()},
        created_by=actor,
    )
    today, returned = timezone.localdate(), returned_offenders(agreement.case)
    _status, states = compliance(agreement)
    position = 0
    for state in states:
        values = None if state.term.responsible_id in returned else _carried_values(state, today)
        if values is None:
            continue
        position += 1
        base = values.pop("base", Decimal("0"))
        term = Term(agreement=new, kind=state.term.kind, responsible=state.term.responsible, position=position,
                    continues=state.term, carried_base=base)  # fmt: skip
        _write_term(term, _term_values(**values))
    timeline_add(
        case=agreement.case,
        kind=TimelineEvent.Kind.AGREEMENT,
        summary=f"Amendment started (version {new.number}): {reason.strip()}",
        actor=actor,
    )
    return new


def _carry_in(agreement: Agreement) -> None:
    """When an amendment is signed, what was received or done on the version it replaces since its terms
    were written counts toward them: the old version took payments until the new one was signed."""
    today = timezone.localdate()
    for term in Term.objects.filter(agreement=agreement, continues__isnull=False).select_related("continues"):
        old = next(t for t in terms_with_records(term.continues.agreement) if t.pk == term.continues_id)
        state = term_state(old, today)
        if term.kind == Term.Kind.MONEY or term.counts_hours:
            done = state.received if term.kind == Term.Kind.MONEY else state.hours_done
            Term.objects.filter(pk=term.pk).update(carried_in=max(done - term.carried_base, Decimal("0")))
            follow_up_changed(agreement.case_id)
        elif state.status == FULFILLED:
            check = list(old.checks.all())[-1]
            TermCheck.objects.create(term=term, on=check.on, fulfilled=True, recorded_by=check.recorded_by,
                                     note=f"Fulfilled under version {old.agreement.number}.")  # fmt: skip
