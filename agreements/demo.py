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
from mediation.selectors import OFFENDER_SIDE

from .models import Agreement, Disbursement, Installment, Payment, ServiceLog, Signature, Term, TermCheck
from .schedule import due_dates, split_amount
from .selectors import required_signers
from .services import seal

SMALL_BATCH = 200
SIGNED_OUTCOMES = {Case.Outcome.COMPLETED, Case.Outcome.RETURNED}
TERM_TEXT = {
    Term.Kind.MONEY: "Repay the cost of the damage, paid through the program.",
    Term.Kind.APOLOGY: "Write a letter of apology to the victim, given to the mediator to pass on.",
    Term.Kind.COMMUNITY_SERVICE: "Community service with the Riverbend Parks Department.",
    Term.Kind.BEHAVIOUR: "Attend school every day and take part in weekly counselling.",
    Term.Kind.SERVICE_TO_VICTIM: "Help repaint the victim's fence on two Saturdays.",
}


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
    for case in cases:
        if case.stage == Case.Stage.AGREEMENT or case.stage == Case.Stage.FOLLOW_UP or case.outcome in SIGNED_OUTCOMES:
            rng = random.Random(f"{seed}:{case.number}:agreement")
            plans.append(_plan(case, parties_by_case[case.pk], rng, small))
    if not plans:
        return
    Agreement.objects.bulk_create([p["agreement"] for p in plans], batch_size=2000)
    for plan in plans:
        for term in plan["terms"]:
            term.agreement = plan["agreement"]
    Term.objects.bulk_create([t for p in plans for t in p["terms"]], batch_size=5000)
    installments = []
    for plan in plans:
        for term in plan["terms"]:
            if term.kind == Term.Kind.MONEY:
                dates = due_dates(term.first_due_date, term.installment_count, term.frequency)
                shares = split_amount(term.amount, term.installment_count)
                installments += [
                    Installment(term=term, number=n, due_date=d, amount=a)
                    for n, (d, a) in enumerate(zip(dates, shares, strict=True), start=1)
                ]
    Installment.objects.bulk_create(installments, batch_size=5000)
    for plan in plans:
        for signature in plan["signatures"]:
            signature.agreement = plan["agreement"]
    Signature.objects.bulk_create([s for p in plans for s in p["signatures"]], batch_size=5000)
    for plan in plans:
        if plan["seal"]:
            seal(plan["agreement"], plan["signed_at"])
    _seed_follow_up(plans, installments, seed)


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
        for term in plan["terms"]:
            if term.kind == Term.Kind.MONEY:
                planned = by_term[term.pk]
                due = [i for i in planned if completed or i.due_date < today]
                if not completed and (behind or len(due) == len(planned)):
                    due = due[: max(0, len(due) - (2 if behind else 1))]  # still open: not everything is paid
                for installment in due:
                    received = min(today, installment.due_date - timedelta(days=rng.randint(0, 3)))
                    payments.append(
                        Payment(term=term, amount=installment.amount, received_on=received, method="money_order",
                                recorded_by=lead)
                    )  # fmt: skip
                    disbursements.append(
                        Disbursement(term=term, amount=installment.amount, method="check",
                                     paid_on=received + timedelta(days=7), recorded_by=lead)
                    )  # fmt: skip
                if due and not completed:
                    disbursements.pop()  # the latest payment is still held by the program
            elif term.hours:
                if completed or (term.due_date < today and not behind):
                    hours, day = term.hours, min(today, term.due_date)
                    while hours > 0:
                        chunk = min(hours, Decimal(4))
                        logs.append(
                            ServiceLog(term=term, on=day, hours=chunk, place="Riverbend Parks Department",
                                       verified_by="Parks supervisor", recorded_by=lead)
                        )  # fmt: skip
                        hours -= chunk
                        day -= timedelta(days=7)
            elif completed or (term.due_date < today and not behind):
                checks.append(TermCheck(term=term, on=min(today, term.due_date), fulfilled=True, note="Confirmed",
                                        recorded_by=lead))  # fmt: skip
    Payment.objects.bulk_create(payments, batch_size=5000)
    Disbursement.objects.bulk_create([d for d in disbursements if d.paid_on <= today], batch_size=5000)
    TermCheck.objects.bulk_create(checks, batch_size=5000)
    ServiceLog.objects.bulk_create(logs, batch_size=5000)


def _plan(case: Case, parties: list[Party], rng: random.Random, small: bool) -> dict:
    session_day = timezone.localtime(case.stage_changed_at).date() - timedelta(days=1)
    signed_at = _when(session_day)
    offenders = [p for p in parties if p.role == Party.Role.OFFENDER]
    agreement = Agreement(case=case, number=1, created_by=case.lead_mediator, language=offenders[0].preferred_language)
    extra = rng.choice(
        [Term.Kind.APOLOGY, Term.Kind.COMMUNITY_SERVICE, Term.Kind.BEHAVIOUR, Term.Kind.SERVICE_TO_VICTIM]
    )
    terms = []
    for position, kind in enumerate([Term.Kind.MONEY, extra], start=1):
        term = Term(kind=kind, position=position, responsible=offenders[0], description=TERM_TEXT[kind])
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
        "agreement": agreement,
        "terms": terms,
        "signatures": signatures,
        "seal": fully_signed and small,
        "signed_at": signed_at,
    }


def _signature(case: Case, signer, signed_at, small: bool) -> Signature:
    signature = Signature(
        party=signer.party,
        mediator=signer.mediator,
        role=signer.role,
        signer_name=signer.name,
        signed_at=signed_at,
        recorded_by=case.lead_mediator,
        ip_address="127.0.0.1",
    )
    if small:
        signature.method = Signature.Method.DRAWN
        name = default_storage.save(
            f"signatures/demo/{uuid.uuid4().hex}.png", ContentFile(drawn_signature_png(signer.name))
        )
        signature.image = name
    else:
        signature.method, signature.typed_name = Signature.Method.TYPED, signer.name
    return signature
