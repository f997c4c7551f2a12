"""Compliance derived from the follow-up records: always computed from the facts.

What the Follow-up list sorts on is kept per agreement in ``FollowUpSummary`` (whether every term is
fulfilled, the earliest date an unfulfilled term is due, the money outstanding): a cache of
``summarise(states)``, recomputed whenever a record changes, from which ``status_on`` gives the same
status as ``agreement_status`` on any day.

Payments are applied to the oldest open installment first, so partial and early payments count
where a program would count them. A term is defaulted once it has been overdue for longer than the
program's ``default_after_days`` (DEFAULT_AFTER_DAYS unless set); an agreement takes the state of its
worst term.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from .models import Term, counts_hours

DUE_SOON_DAYS = 7
DEFAULT_AFTER_DAYS = 30
ZERO = Decimal("0.00")

ON_TRACK, DUE_SOON, OVERDUE, DEFAULTED, FULFILLED = "on_track", "due_soon", "overdue", "defaulted", "fulfilled"
LABELS = {
    ON_TRACK: "On track",
    DUE_SOON: "Due soon",
    OVERDUE: "Overdue",
    DEFAULTED: "Defaulted",
    FULFILLED: "Fulfilled",
}
SEVERITY = [FULFILLED, ON_TRACK, DUE_SOON, OVERDUE, DEFAULTED]


@dataclass
class InstallmentState:
    number: int
    due_date: date
    amount: Decimal
    paid: Decimal

    @property
    def open(self) -> Decimal:
        return self.amount - self.paid


@dataclass
class TermState:
    """A term's compliance. ``received`` and ``hours_done`` count toward this version: its own payments or
    logs, and those of the version it amends recorded after it was written (``Term.carried_in``). What was
    paid under earlier versions, and what was forwarded to the victim, is the ledger's (``ledger.py``)."""

    term: Term
    status: str
    owed: Decimal = ZERO
    received: Decimal = ZERO
    hours_done: Decimal = ZERO
    installments: list[InstallmentState] = field(default_factory=list)
    next_due: date | None = None

    @property
    def outstanding(self) -> Decimal:
        return max(self.owed - self.received, ZERO)

    @property
    def hours_left(self) -> Decimal:
        return max((self.term.hours or ZERO) - self.hours_done, ZERO) if counts_hours(self.term) else ZERO

    @property
    def label(self) -> str:
        return LABELS[self.status]


def _by_date(due: date | None, today: date, default_after: int = DEFAULT_AFTER_DAYS) -> str:
    if due is None:
        return ON_TRACK
    if due < today - timedelta(days=default_after):
        return DEFAULTED
    if due < today:
        return OVERDUE
    if due <= today + timedelta(days=DUE_SOON_DAYS):
        return DUE_SOON
    return ON_TRACK


def allocate(installments, received: Decimal) -> list[InstallmentState]:
    """Apply ``received`` to the installments oldest first."""
    states, left = [], received
    for installment in sorted(installments, key=lambda i: (i.due_date, i.number)):
        paid = min(installment.amount, left)
        left -= paid
        states.append(InstallmentState(installment.number, installment.due_date, installment.amount, paid))
    return states


@dataclass
class TermRecords:
    """The facts a term's compliance is computed from: rows with the fields used below (models or tuples)."""

    installments: Iterable  # number, due_date, amount
    payments: Iterable  # amount
    service_logs: Iterable  # hours
    checks: Iterable  # fulfilled; oldest first

    @classmethod
    def of(cls, term: Term) -> "TermRecords":
        """The term's own related records (prefetched, or queried as they are read)."""
        return cls(term.installments.all(), term.payments.all(), term.service_logs.all(), term.checks.all())


def term_state(
    term: Term, today: date, records: TermRecords | None = None, default_after: int = DEFAULT_AFTER_DAYS
) -> TermState:
    """From ``records``, by default the term's prefetched installments, payments, logs and checks;
    ``default_after`` is the program's ``default_after_days``."""
    records = records or TermRecords.of(term)
    carried = term.carried_in or ZERO
    if term.kind == Term.Kind.MONEY:
        received = sum((p.amount for p in records.payments), ZERO) + carried
        states = allocate(records.installments, received)
        first_open = next((s for s in states if s.open > 0), None)
        status = FULFILLED if first_open is None else _by_date(first_open.due_date, today, default_after)
        return TermState(
            term, status, owed=term.amount, received=received, installments=states,
            next_due=first_open.due_date if first_open else None,
        )  # fmt: skip
    done = sum((log.hours for log in records.service_logs), ZERO) + carried
    if counts_hours(term):
        status = FULFILLED if done >= term.hours else _by_date(term.due_date, today, default_after)
        return TermState(term, status, hours_done=done, next_due=None if status == FULFILLED else term.due_date)
    checks = list(records.checks)
    fulfilled = bool(checks) and checks[-1].fulfilled
    status = FULFILLED if fulfilled else _by_date(term.due_date, today, default_after)
    return TermState(term, status, hours_done=done, next_due=None if fulfilled else term.due_date)


def agreement_status(states: list[TermState]) -> str:
    if not states:
        return ON_TRACK
    return max((s.status for s in states), key=SEVERITY.index)


@dataclass(frozen=True)
class Summary:
    """An agreement's compliance reduced to facts that do not change with the calendar."""

    fulfilled: bool
    next_due: date | None
    outstanding: Decimal


def summarise(states: list[TermState]) -> Summary:
    """Every term fulfilled (an agreement without terms is not), the earliest open due date, money owed."""
    return Summary(
        fulfilled=bool(states) and all(s.status == FULFILLED for s in states),
        next_due=min((s.next_due for s in states if s.status != FULFILLED and s.next_due), default=None),
        outstanding=sum((s.outstanding for s in states if s.term.kind == Term.Kind.MONEY), ZERO),
    )


def status_on(fulfilled: bool, next_due: date | None, today: date, default_after: int = DEFAULT_AFTER_DAYS) -> str:
    """``agreement_status`` from a summary: a term's status worsens as its due date nears and passes, so the
    worst term is the unfulfilled one due first."""
    return FULFILLED if fulfilled else _by_date(next_due, today, default_after)
