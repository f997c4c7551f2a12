"""Installment schedules: exact to the cent, in Decimal."""

from datetime import date
from decimal import ROUND_DOWN, Decimal

from dateutil.relativedelta import relativedelta

from vom.core.dates import date_problem

CENT = Decimal("0.01")
STEP = {
    "weekly": relativedelta(weeks=1),
    "fortnightly": relativedelta(weeks=2),
    "monthly": relativedelta(months=1),
}


def split_amount(total: Decimal, count: int) -> list[Decimal]:
    """Split ``total`` into ``count`` installments that add back to it exactly.

    Every installment is the floor share to the cent; the leftover cents go one each to the first
    installments, so no two differ by more than a cent and the sum is exact.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    total = Decimal(total).quantize(CENT)
    if total <= 0:
        raise ValueError("total must be positive")
    if total < CENT * count:
        raise ValueError("total is smaller than one cent per installment")
    share = (total / count).quantize(CENT, rounding=ROUND_DOWN)
    leftover_cents = int((total - share * count) / CENT)
    return [share + CENT if i < leftover_cents else share for i in range(count)]


def due_dates(first: date, count: int, frequency: str) -> list[date]:
    """Due dates from ``first`` at the given frequency; monthly keeps the day (or the month's last day)."""
    step = STEP[frequency]
    return [first + step * i for i in range(count)]


def schedule_problem(first: date, count: int, frequency: str) -> str | None:
    """Why installments from ``first`` cannot be scheduled (the last one would fall outside the dates a person
    may type, or past the calendar's end), or None. Checked before ``due_dates`` is asked for them."""
    try:
        last = first + STEP[frequency] * (count - 1)
    except (OverflowError, ValueError):
        last = None
    problem = date_problem(last) if last is not None else "The dates are past the end of the calendar."
    return f"The last installment would be due on a date out of range. {problem}" if problem else None
