"""One ledger per case across every version of its agreement.

An amendment writes new terms that continue the old ones (``Term.continues``): a money term for the
balance still owed, hours for those still to do. Payments, disbursements and logged hours stay on the term
they were recorded against; the ledger follows each obligation (a chain of terms, one per version) and adds
them up, so nothing paid under an old version is lost and nothing is counted twice:

- **agreed**: the money (and hours) of the first signed version; ``agreed_now`` is what the amendments
  made of it (``received + outstanding``) and ``change`` the difference;
- **received**: every payment on any version; **forwarded**: every disbursement to the victim;
  **held**: received and not yet forwarded;
- **outstanding**: what the current signed version still asks for, net of what counts toward it.

The outcome report counts restitution the same way in SQL (``reports.report.restitution_section``); a
property test compares the two.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Prefetch, Sum
from django.utils import timezone

from cases.models import Case, Party

from .compliance import FULFILLED, LABELS, ZERO, agreement_status, term_state
from .models import Agreement, Disbursement, OffenderReturn, Payment, ServiceLog, Term, TermCheck
from .schedule import CENT


@dataclass
class Chain:
    """One obligation followed across versions: its terms, oldest first."""

    terms: list[Term]
    received: Decimal = ZERO  # money: every payment on any of its terms; hours: every hour logged
    forwarded: Decimal = ZERO
    outstanding: Decimal = ZERO  # on the current signed version (zero when it is not part of it)

    @property
    def latest(self) -> Term:
        return self.terms[-1]

    @property
    def kind(self) -> str:
        return self.latest.kind

    @property
    def held(self) -> Decimal:
        return self.received - self.forwarded


@dataclass
class OffenderPart:
    """One offender's part of the agreement: what they agreed, paid and still owe, and how it stands."""

    party: Party
    name: str
    agreed: Decimal = ZERO
    received: Decimal = ZERO
    forwarded: Decimal = ZERO
    outstanding: Decimal = ZERO
    hours_agreed: Decimal = ZERO
    hours_done: Decimal = ZERO
    hours_left: Decimal = ZERO
    status: str = ""
    returned: OffenderReturn | None = None
    fulfilled_on: date | None = None
    states: list = field(default_factory=list)  # TermStates of the current version
    next_due: date | None = None

    @property
    def held(self) -> Decimal:
        return self.received - self.forwarded

    @property
    def hours_total(self) -> Decimal:
        return self.hours_done + self.hours_left

    @property
    def label(self) -> str:
        if self.returned:
            return "Returned to the referral source"
        return LABELS.get(self.status, "")

    @property
    def completed(self) -> bool:
        return self.returned is None and self.status == FULFILLED


@dataclass
class VersionLine:
    agreement: Agreement
    money: Decimal
    hours: Decimal
    terms: list[Term]


@dataclass
class Ledger:
    currency: str
    current: Agreement | None  # the signed version that counts now
    versions: list[VersionLine]
    chains: list[Chain]
    offenders: list[OffenderPart]
    agreed: Decimal = ZERO  # money of the first signed version
    hours_agreed: Decimal = ZERO

    @property
    def money_chains(self) -> list[Chain]:
        return [c for c in self.chains if c.kind == Term.Kind.MONEY]

    @property
    def received(self) -> Decimal:
        return sum((c.received for c in self.money_chains), ZERO)

    @property
    def forwarded(self) -> Decimal:
        return sum((c.forwarded for c in self.money_chains), ZERO)

    @property
    def held(self) -> Decimal:
        return self.received - self.forwarded

    @property
    def outstanding(self) -> Decimal:
        return sum((c.outstanding for c in self.money_chains), ZERO)

    @property
    def agreed_now(self) -> Decimal:
        return self.received + self.outstanding

    @property
    def change(self) -> Decimal:
        return self.agreed_now - self.agreed

    @property
    def hours_done(self) -> Decimal:
        return sum((c.received for c in self.chains if c.latest.counts_hours), ZERO)

    @property
    def hours_left(self) -> Decimal:
        return sum((c.outstanding for c in self.chains if c.latest.counts_hours), ZERO)

    @property
    def status(self) -> str:
        """The current version's status over the offenders still followed (``follow_up.compliance``'s)."""
        return agreement_status([state for o in self.offenders if o.returned is None for state in o.states])

    @property
    def amended(self) -> bool:
        return len([v for v in self.versions if v.agreement.signed_at]) > 1

    def chain_of(self, term: Term) -> Chain | None:
        return next((c for c in self.chains if any(t.pk == term.pk for t in c.terms)), None)


def _sums(model, field_name: str, term_ids) -> dict[int, Decimal]:
    rows = model.objects.filter(term__in=term_ids).order_by().values("term").annotate(total=Sum(field_name))
    return {row["term"]: Decimal(row["total"]).quantize(CENT) for row in rows}  # SQLite sums in floats


def _last_record_day(terms: list[Term]) -> date | None:
    """The day the last payment, hours or check of these terms was recorded as done (when they were fulfilled)."""
    days = []
    for term in terms:
        days += [p.received_on for p in term.payments.all()] + [log.on for log in term.service_logs.all()]
        days += [c.on for c in term.checks.all() if c.fulfilled]
    return max(days, default=None)


def case_ledger(case: Case, today: date | None = None) -> Ledger:
    """The case's ledger across every version, in a fixed number of queries."""
    today = today or timezone.localdate()
    program = case.program
    agreements = list(Agreement.objects.filter(case=case).order_by("number"))
    signed = [a for a in agreements if a.signed_at and a.status in {Agreement.Status.SIGNED,
                                                                     Agreement.Status.SUPERSEDED}]  # fmt: skip
    current = next((a for a in signed if a.status == Agreement.Status.SIGNED), None)
    terms = list(
        Term.objects.filter(agreement__in=signed)
        .select_related("responsible__person")
        .prefetch_related(
            "installments",
            Prefetch("payments", queryset=Payment.objects.order_by("received_on", "pk")),
            Prefetch("service_logs", queryset=ServiceLog.objects.order_by("on", "pk")),
            Prefetch("checks", queryset=TermCheck.objects.order_by("on", "pk")),
        )
        .order_by("agreement__number", "position", "pk")
    )
    forwarded = _sums(Disbursement, "amount", [t.pk for t in terms])
    by_pk = {t.pk: t for t in terms}
    for term in terms:
        term.agreement = next(a for a in agreements if a.pk == term.agreement_id)

    # Chains: each term joins the chain of the term it continues.
    chain_of: dict[int, Chain] = {}
    chains: list[Chain] = []
    for term in terms:
        chain = chain_of.get(term.continues_id) if term.continues_id in by_pk else None
        if chain is None:
            chain = Chain([])
            chains.append(chain)
        chain.terms.append(term)
        chain_of[term.pk] = chain

    states = {}
    if current is not None:
        for term in terms:
            if term.agreement_id == current.pk:
                states[term.pk] = term_state(term, today, default_after=program.default_after_days)
    for chain in chains:
        if chain.kind == Term.Kind.MONEY:
            chain.received = sum((p.amount for t in chain.terms for p in t.payments.all()), ZERO)
            chain.forwarded = sum((forwarded.get(t.pk) or ZERO for t in chain.terms), ZERO)
        elif chain.latest.counts_hours:
            chain.received = sum((log.hours for t in chain.terms for log in t.service_logs.all()), ZERO)
        state = states.get(chain.latest.pk)
        if state is not None:
            chain.outstanding = state.outstanding if chain.kind == Term.Kind.MONEY else state.hours_left

    versions = [
        VersionLine(
            agreement,
            sum(
                (t.amount or ZERO for t in terms if t.agreement_id == agreement.pk and t.kind == Term.Kind.MONEY), ZERO
            ),
            sum((t.hours or ZERO for t in terms if t.agreement_id == agreement.pk and t.counts_hours), ZERO),
            [t for t in terms if t.agreement_id == agreement.pk],
        )
        for agreement in agreements
    ]
    first = next((v for v in versions if v.agreement.signed_at), None)

    returns = {r.party_id: r for r in OffenderReturn.objects.filter(case=case)}
    offenders = []
    for party in Party.objects.filter(case=case, role=Party.Role.OFFENDER).select_related("person").order_by("pk"):
        part = OffenderPart(party, str(party.person), returned=returns.get(party.pk))
        for chain in chains:
            if chain.latest.responsible_id != party.pk:
                continue
            original = chain.terms[0] if first and chain.terms[0].agreement_id == first.agreement.pk else None
            if chain.kind == Term.Kind.MONEY:
                part.agreed += original.amount if original else ZERO
                part.received += chain.received
                part.forwarded += chain.forwarded
                part.outstanding += chain.outstanding
            elif chain.latest.counts_hours:
                part.hours_agreed += original.hours if original else ZERO
                part.hours_done += chain.received
                part.hours_left += chain.outstanding
        part.states = [states[t.pk] for t in terms if t.pk in states and t.responsible_id == party.pk]
        if part.states:
            part.status = agreement_status(part.states)
            due = [s.next_due for s in part.states if s.status != FULFILLED and s.next_due]
            part.next_due = min(due, default=None)
            if part.status == FULFILLED:
                part.fulfilled_on = _last_record_day([s.term for s in part.states])
        offenders.append(part)

    return Ledger(
        currency=program.currency,
        current=current,
        versions=versions,
        chains=chains,
        offenders=offenders,
        agreed=first.money if first else ZERO,
        hours_agreed=first.hours if first else ZERO,
    )
