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


def fixed_amounts(total: Decimal, per_period: Decimal) -> list[Decimal]:
    """``per_period`` each time until ``total`` is reached, the last installment smaller (never zero)."""
    total, per_period = Decimal(total).quantize(CENT), Decimal(per_period).quantize(CENT)
    if total <= 0 or per_period <= 0:
        raise ValueError("total and per_period must be positive")
    full, rest = divmod(total, per_period)
    return [per_period] * int(full) + ([rest] if rest else [])


def installments_for(
    *, schedule: str, total: Decimal, first: date | None = None, frequency: str = "", count: int | None = None,
    per_period: Decimal | None = None, rows: list[tuple[date, Decimal]] | None = None,
) -> list[tuple[date, Decimal]]:  # fmt: skip
    """The (due date, amount) of each installment of a money term, in date order, adding up to ``total``.

    ``equal``: ``count`` shares a cent apart at most; ``fixed``: ``per_period`` each period until the total
    is reached; ``custom``: the dated ``rows`` as given (the caller checks that they add up)."""
    if schedule == "custom":
        return sorted(rows or [], key=lambda row: row[0])
    amounts = fixed_amounts(total, per_period) if schedule == "fixed" else split_amount(total, count)
    return list(zip(due_dates(first, len(amounts), frequency), amounts, strict=True))


def schedule_problem(first: date, count: int, frequency: str) -> str | None:
    """Why installments from ``first`` cannot be scheduled (the last one would fall outside the dates a person
    may type, or past the calendar's end), or None. Checked before ``due_dates`` is asked for them."""
    try:
        last = first + STEP[frequency] * (count - 1)
    except (OverflowError, ValueError):
        last = None
    problem = date_problem(last) if last is not None else "The dates are past the end of the calendar."
    return f"The last installment would be due on a date out of range. {problem}" if problem else None
