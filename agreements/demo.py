"""Demo agreements consistent with each seeded case's stage (registered as a demo seeder).

Cases in the agreement stage get a draft or a version awaiting signatures; cases in follow-up and
completed or returned cases get a signed version. In a small demo every signature is drawn (a PNG
like a real pad makes) and the PDF is rendered and stored; large benchmark sets get typed signatures
and no PDF, since rendering tens of thousands of documents would dominate the seeding time.
"""

import hashlib
import io
import random
import uuid
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image, ImageDraw

from cases.models import Case, Party
from mediation.models import ContactAttempt
from mediation.selectors import OFFENDER_SIDE
from vom.core.bulk import bulk_insert, new

from .follow_up import follow_up_placement
from .letters import CLOSURE_KINDS, letter_write
from .models import (
    Agreement,
    AgreementDefault,
    Disbursement,
    Installment,
    Letter,
    OffenderReturn,
    Payment,
    ServiceLog,
    Signature,
    Term,
    TermCheck,
)
from .schedule import due_dates, split_amount
from .selectors import document_languages_for, required_signers
from .services import seal
from .victim_updates import victim_update_amended

SMALL_BATCH = 200
SIGNED_OUTCOMES = {Case.Outcome.COMPLETED, Case.Outcome.RETURNED}
TERM_TEXT = {
    Term.Kind.MONEY: "Repay the cost of the damage, paid through the program.",
    Term.Kind.APOLOGY: "Write a letter of apology to the victim, given to the mediator to pass on.",
    Term.Kind.COMMUNITY_SERVICE: "Community service with the Riverbend Parks Department.",
    Term.Kind.BEHAVIOUR: "Attend school every day and take part in weekly counselling.",
    Term.Kind.SERVICE_TO_VICTIM: "Help repaint the victim's fence on two Saturdays.",
}
# The same terms as a mediator writes them for a Spanish-speaking party (a bilingual agreement).
TERM_TEXT_ES = {
    Term.Kind.MONEY: "Pagar el costo de los daños, a través del programa.",
    Term.Kind.APOLOGY: "Escribir una carta de disculpa a la víctima, entregada al mediador para que se la haga llegar.",
    Term.Kind.COMMUNITY_SERVICE: "Servicio comunitario con el Departamento de Parques de Riverbend.",
    Term.Kind.BEHAVIOUR: "Asistir a la escuela todos los días y participar en consejería semanal.",
    Term.Kind.SERVICE_TO_VICTIM: "Ayudar a pintar de nuevo la cerca de la víctima durante dos sábados.",
}
DEMO_INTERPRETER = "Lucía Herrera (Riverbend Language Services)"


def _translations(kind: str, languages: list[str]) -> dict:
    return {"es": TERM_TEXT_ES[kind]} if "es" in languages else {}


def drawn_signature_png(name: str) -> bytes:
    """A pen-like stroke, different for each name, on a transparent 400x120 canvas."""
    rng = random.Random(name)
    image = Image.new("RGBA", (400, 120), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    x, y = 20, 70
    points = [(x, y)]
    for _ in range(28):
        x += rng.randint(8, 14)
        y = max(20, min(105, y + rng.randint(-22, 22)))
        points.append((x, y))
    pen.line(points, fill=(20, 30, 90, 255), width=3, joint="curve")
    pen.line([(30, 100), (x - 10, 96)], fill=(20, 30, 90, 255), width=2)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _when(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(19, 30)))


def seed_agreements(*, cases: list[Case], parties_by_case: dict[int, list[Party]], seed: int) -> None:
    small = len(cases) <= SMALL_BATCH
    plans = []
    stories = [c for c in cases if getattr(c, "demo_story", "") == "amended"]
    for case in cases:
        if case in stories:
            continue
        if case.stage == Case.Stage.AGREEMENT or case.stage == Case.Stage.FOLLOW_UP or case.outcome in SIGNED_OUTCOMES:
            rng = random.Random(f"{seed}:{case.number}:agreement")
            plans.append(_plan(case, parties_by_case[case.pk], rng, small))
    for case in stories:
        _amended_story(case, parties_by_case[case.pk])
    follow_up_placement([case.pk for case in stories])
    if small:
        _closure_letters([c for c in cases if c.stage == Case.Stage.CLOSED and c.outcome not in SIGNED_OUTCOMES])
    if not plans:
        return
    bulk_insert([p["agreement"] for p in plans], batch_size=2000)
    for plan in plans:
        for term in plan["terms"]:
            term.agreement = plan["agreement"]
    bulk_insert([t for p in plans for t in p["terms"]], batch_size=5000)
    installments = []
    for plan in plans:
        for term in plan["terms"]:
            if term.kind == Term.Kind.MONEY:
                dates = due_dates(term.first_due_date, term.installment_count, term.frequency)
                shares = split_amount(term.amount, term.installment_count)
                installments += [
                    new(Installment, term=term, number=n, due_date=d, amount=a)
                    for n, (d, a) in enumerate(zip(dates, shares, strict=True), start=1)
                ]
    bulk_insert(installments, batch_size=5000)
    for plan in plans:
        for signature in plan["signatures"]:
            signature.agreement = plan["agreement"]
    bulk_insert([s for p in plans for s in p["signatures"]], batch_size=5000)
    for plan in plans:
        if plan["seal"]:
            seal(plan["agreement"], plan["signed_at"])
    _seed_follow_up(plans, installments, seed)
    # The Follow-up list reads the summaries alone: each followed agreement gets one (stale: computed on the
    # list's first read).
    follow_up_placement([p["agreement"].case_id for p in plans])
    if small:
        _closure_letters([p["agreement"].case for p in plans if p["agreement"].case.stage == Case.Stage.CLOSED])


def _closure_letters(cases: list[Case]) -> None:
    """The letter to the referral source that each closure writes (small demos: rendering is not free); a
    returned case's offenders were returned one by one, as the service records them."""
    for case in cases:
        case.refresh_from_db()
        if case.outcome == Case.Outcome.RETURNED:
            OffenderReturn.objects.bulk_create(
                new(OffenderReturn, case=case, party=party, on=timezone.localtime(case.closed_at).date(),
                               reason="Payments stopped despite reminders.", recorded_by=case.lead_mediator)
                for party in case.parties.filter(role=Party.Role.OFFENDER)
            )  # fmt: skip
        letter_write(case=case, kind=CLOSURE_KINDS.get(case.outcome, Letter.Kind.CLOSURE), actor=case.lead_mediator,
                     reason=case.outcome_reason)  # fmt: skip


def _amended_story(case: Case, parties: list[Party]) -> None:
    """A plan renegotiated after missed payments, told through its records: version 1 ($600 in six monthly
    installments) paid twice, then two installments missed (a default, contact attempts), then version 2 for
    the $400 still owed at $50 a month, kept since; the victim asked for progress updates."""
    start = timezone.localtime(case.stage_changed_at).date() - timedelta(days=1)  # the joint session
    offender = next(p for p in parties if p.role == Party.Role.OFFENDER)
    victim = next(p for p in parties if p.role == Party.Role.VICTIM)
    Party.objects.filter(pk=victim.pk).update(consent_to_contact=True, contact_method=Party.ContactMethod.EMAIL,
                                              victim_updates=True)  # fmt: skip
    lead = case.lead_mediator

    languages = document_languages_for(parties, case.program)

    def version(number, amends=None, reason="", reason_es=""):
        return Agreement.objects.create(case=case, number=number, created_by=lead, amends=amends,
                                        amendment_reason=reason, status=Agreement.Status.AWAITING,
                                        languages=languages, amendment_reason_translations={"es": reason_es}
                                        if reason_es and "es" in languages else {})  # fmt: skip

    def money_term(agreement, amount, dates, amounts, **extra):
        term = Term.objects.create(agreement=agreement, kind=Term.Kind.MONEY, position=1, responsible=offender,
                                   description=TERM_TEXT[Term.Kind.MONEY], amount=Decimal(amount),
                                   translations=_translations(Term.Kind.MONEY, languages),
                                   installment_count=len(dates), frequency="monthly", first_due_date=dates[0],
                                   due_date=dates[-1], **extra)  # fmt: skip
        Installment.objects.bulk_create(new(Installment, term=term, number=n, due_date=d, amount=a)
                                        for n, (d, a) in enumerate(zip(dates, amounts, strict=True), 1))  # fmt: skip
        return term

    def sign(agreement, on):
        signed_at = _when(on)
        signatures = [_signature(case, signer, signed_at, True) for signer in required_signers(case, parties)]
        for signature in signatures:
            signature.agreement = agreement
        Signature.objects.bulk_create(signatures)
        seal(agreement, signed_at)

    first = version(1)
    old = money_term(first, "600.00", due_dates(start + timedelta(days=14), 6, "monthly"), [Decimal("100.00")] * 6)
    apology = Term.objects.create(
        agreement=first,
        kind=Term.Kind.APOLOGY,
        position=2,
        responsible=offender,
        description=TERM_TEXT[Term.Kind.APOLOGY],
        translations=_translations(Term.Kind.APOLOGY, languages),
        due_date=start + timedelta(days=30),
    )
    sign(first, start)
    TermCheck.objects.create(term=apology, on=start + timedelta(days=20), fulfilled=True, note="Letter received",
                             recorded_by=lead)  # fmt: skip
    for due in [i.due_date for i in old.installments.all()[:2]]:
        Payment.objects.create(term=old, amount=Decimal("100.00"), received_on=due, method="money_order",
                               recorded_by=lead)  # fmt: skip
        Disbursement.objects.create(term=old, amount=Decimal("100.00"), paid_on=due + timedelta(days=7),
                                    method="check", recorded_by=lead)  # fmt: skip
    missed = old.installments.all()[2]
    for after, result, note in [(6, ContactAttempt.Result.NO_ANSWER, ""),
                                (16, ContactAttempt.Result.REACHED, "Lost his job; can pay $50 a month.")]:  # fmt: skip
        ContactAttempt.objects.create(party=offender, at=_when(missed.due_date + timedelta(days=after)),
                                      method=ContactAttempt.Method.PHONE, result=result, note=note,
                                      regarding=f"Installment 3 of $100.00 due {missed.due_date:%b %-d, %Y}",
                                      recorded_by=lead)  # fmt: skip
    AgreementDefault.objects.create(agreement=first, party=offender, on=missed.due_date + timedelta(days=31),
                                    item="Installment 3 of $100.00", due_on=missed.due_date)  # fmt: skip
    renegotiated = missed.due_date + timedelta(days=40)
    second = version(2, amends=first, reason="Lost his job: $50 a month for the $400 still owed.",
                     reason_es="Perdió su trabajo: $50 al mes por los $400 que todavía debe.")  # fmt: skip
    renegotiated_term = money_term(second, "400.00", due_dates(renegotiated + timedelta(days=14), 8, "monthly"),
                                   [Decimal("50.00")] * 8, schedule=Term.Schedule.FIXED, period_amount=Decimal("50.00"),
                                   continues=old, carried_base=Decimal("200.00"))  # fmt: skip
    sign(second, renegotiated)
    Agreement.objects.filter(pk=first.pk).update(status=Agreement.Status.SUPERSEDED)
    today = timezone.localdate()
    paid = [i for i in renegotiated_term.installments.all() if i.due_date <= today]
    for installment in paid:
        Payment.objects.create(term=renegotiated_term, amount=installment.amount, received_on=installment.due_date,
                               method="money_order", recorded_by=lead)  # fmt: skip
    for installment in paid[:-1]:  # the latest payment is still held by the program
        Disbursement.objects.create(term=renegotiated_term, amount=installment.amount, method="check", recorded_by=lead,
                                    paid_on=min(today, installment.due_date + timedelta(days=7)))  # fmt: skip
    victim_update_amended(agreement=second)


def _seed_follow_up(plans: list[dict], installments: list[Installment], seed: int) -> None:
    """Payments, forwarding, hours and checks: completed cases in full, most follow-up cases on time, some behind."""
    today = timezone.localdate()
    by_term: dict[int, list[Installment]] = {}
    for installment in installments:
        by_term.setdefault(installment.term_id, []).append(installment)
    payments, disbursements, checks, logs = [], [], [], []
    for plan in plans:
        case = plan["agreement"].case
        if case.stage == Case.Stage.AGREEMENT:
            continue
        rng = random.Random(f"{seed}:{case.number}:follow-up")
        completed = case.outcome == Case.Outcome.COMPLETED
        behind = case.outcome == Case.Outcome.RETURNED or (not completed and rng.random() < 0.3)
        lead = case.lead_mediator
        story = getattr(plan["case"], "demo_story", "") == "two_offenders"  # sealing reloaded agreement.case
        # A completed case was closed by its last record: nothing is dated after the closure.
        until = min(today, timezone.localtime(case.closed_at).date()) if case.closed_at else today
        for term in plan["terms"]:
            if story:  # the first offender has paid everything; the second is behind
                completed = term.responsible_id == plan["terms"][0].responsible_id
                behind = not completed
            if term.kind == Term.Kind.MONEY:
                planned = by_term[term.pk]
                due = [i for i in planned if completed or i.due_date < today]
                if not completed and (behind or len(due) == len(planned)):
                    due = due[: max(0, len(due) - (2 if behind else 1))]  # still open: not everything is paid
                for installment in due:
                    received = min(until, installment.due_date - timedelta(days=rng.randint(0, 3)))
                    payments.append(
                        new(Payment, term=term, amount=installment.amount, received_on=received, method="money_order",
                                recorded_by=lead)
                    )  # fmt: skip
                    disbursements.append(
                        new(Disbursement, term=term, amount=installment.amount, method="check",
                                     paid_on=received + timedelta(days=7), recorded_by=lead)
                    )  # fmt: skip
                if due and not completed:
                    disbursements.pop()  # the latest payment is still held by the program
            elif term.hours:
                if completed or (term.due_date < today and not behind):
                    hours, day = term.hours, min(until, term.due_date)
                    while hours > 0:
                        chunk = min(hours, Decimal(4))
                        logs.append(
                            new(ServiceLog, term=term, on=day, hours=chunk, place="Riverbend Parks Department",
                                       verified_by="Parks supervisor", recorded_by=lead)
                        )  # fmt: skip
                        hours -= chunk
                        day -= timedelta(days=7)
            elif completed or (term.due_date < today and not behind):
                checks.append(new(TermCheck, term=term, on=min(until, term.due_date), fulfilled=True, note="Confirmed",
                                        recorded_by=lead))  # fmt: skip
    bulk_insert(payments, batch_size=5000)
    bulk_insert([d for d in disbursements if d.paid_on <= today], batch_size=5000)
    bulk_insert(checks, batch_size=5000)
    bulk_insert(logs, batch_size=5000)


def _plan(case: Case, parties: list[Party], rng: random.Random, small: bool) -> dict:
    session_day = timezone.localtime(case.stage_changed_at).date() - timedelta(days=1)
    signed_at = _when(session_day)
    offenders = [p for p in parties if p.role == Party.Role.OFFENDER]
    languages = document_languages_for(parties, case.program)
    agreement = new(Agreement, case=case, number=1, created_by=case.lead_mediator, languages=languages)
    extra = rng.choice(
        [Term.Kind.APOLOGY, Term.Kind.COMMUNITY_SERVICE, Term.Kind.BEHAVIOUR, Term.Kind.SERVICE_TO_VICTIM]
    )
    terms = []
    kinds = [(Term.Kind.MONEY, offender) for offender in offenders] + [(extra, offenders[0])]
    for position, (kind, responsible) in enumerate(kinds, start=1):
        term = new(Term, kind=kind, position=position, responsible=responsible, description=TERM_TEXT[kind],
                    translations=_translations(kind, languages))  # fmt: skip
        if kind == Term.Kind.MONEY:
            term.amount = Decimal(rng.randrange(12000, 180000)) / 100
            term.installment_count = rng.choice([3, 4, 6, 8])
            term.frequency = rng.choice(["weekly", "fortnightly", "monthly"])
            term.first_due_date = session_day + timedelta(days=14)
            term.due_date = due_dates(term.first_due_date, term.installment_count, term.frequency)[-1]
        else:
            term.hours = Decimal(rng.choice([10, 20, 30, 40])) if kind == Term.Kind.COMMUNITY_SERVICE else None
            term.due_date = session_day + timedelta(days=rng.choice([30, 60, 90]))
        terms.append(term)
    signers = required_signers(case, parties)
    fully_signed = case.stage != Case.Stage.AGREEMENT
    if not fully_signed:
        awaiting = rng.random() < 0.5
        agreement.status = Agreement.Status.AWAITING if awaiting else Agreement.Status.DRAFT
        signers = [s for s in signers if s.party and s.party.role in OFFENDER_SIDE][:1] if awaiting else []
    elif small:
        agreement.status = Agreement.Status.AWAITING  # sealed after insert: code, PDF and hash
    else:
        code = hashlib.sha256(f"{case.number}:1".encode()).hexdigest().upper()[:20]
        agreement.status, agreement.signed_at = Agreement.Status.SIGNED, signed_at
        agreement.verification_code = "-".join(code[i : i + 4] for i in range(0, 20, 4))
    signatures = [_signature(case, signer, signed_at, small) for signer in signers]
    return {
        "case": case,
        "agreement": agreement,
        "terms": terms,
        "signatures": signatures,
        "seal": fully_signed and small,
        "signed_at": signed_at,
    }


def _signature(case: Case, signer, signed_at, small: bool) -> Signature:
    signature = new(
        Signature,
        party=signer.party,
        mediator=signer.mediator,
        role=signer.role,
        signer_name=signer.name,
        signed_at=signed_at,
        recorded_by=case.lead_mediator,
        ip_address="127.0.0.1",
    )
    if signer.party is not None and signer.party.needs_interpreter:  # attested at the signing, as the form asks
        signature.interpreter_name = DEMO_INTERPRETER
        signature.interpreter_language = signer.party.preferred_language
    if small:
        signature.method = Signature.Method.DRAWN
        name = default_storage.save(
            f"signatures/demo/{uuid.uuid4().hex}.png", ContentFile(drawn_signature_png(signer.name))
        )
        signature.image = name
    else:
        signature.method, signature.typed_name = Signature.Method.TYPED, signer.name
    return signature
