"""Installment arithmetic: any total and count split to the cent and add back exactly."""

import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agreements.schedule import due_dates, split_amount

cents = st.integers(min_value=1, max_value=10**9).map(lambda c: Decimal(c) / 100)


@given(total=cents, count=st.integers(min_value=1, max_value=120))
def test_split_adds_back_exactly_and_evenly(total, count):
    if total < Decimal("0.01") * count:
        with pytest.raises(ValueError):
            split_amount(total, count)
        return
    parts = split_amount(total, count)
    assert len(parts) == count
    assert sum(parts) == total
    assert all(p > 0 and p == p.quantize(Decimal("0.01")) for p in parts)
    assert max(parts) - min(parts) <= Decimal("0.01")
    assert parts == sorted(parts, reverse=True)  # the extra cents come first


def test_split_examples():
    assert split_amount(Decimal("100.00"), 3) == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]
    assert split_amount(Decimal("0.05"), 5) == [Decimal("0.01")] * 5
    with pytest.raises(ValueError):
        split_amount(Decimal("0"), 2)
    with pytest.raises(ValueError):
        split_amount(Decimal("-5"), 2)
    with pytest.raises(ValueError):
        split_amount(Decimal("10"), 0)


def test_monthly_dates_keep_the_day_or_use_the_month_end():
    assert due_dates(datetime.date(2027, 1, 31), 3, "monthly") == [
        datetime.date(2027, 1, 31), datetime.date(2027, 2, 28), datetime.date(2027, 3, 31),
    ]  # fmt: skip
    assert due_dates(datetime.date(2027, 1, 1), 3, "fortnightly")[-1] == datetime.date(2027, 1, 29)
    assert due_dates(datetime.date(2027, 1, 1), 2, "weekly") == [datetime.date(2027, 1, 1), datetime.date(2027, 1, 8)]


@given(total=cents, per=cents)
def test_a_fixed_amount_each_period_adds_up_with_a_smaller_last_installment(total, per):
    from hypothesis import assume

    from agreements.schedule import fixed_amounts

    assume(total / per <= 120)  # the services refuse longer plans (MAX_INSTALLMENTS)
    parts = fixed_amounts(total, per)
    assert sum(parts) == total
    assert all(p == per for p in parts[:-1]) and 0 < parts[-1] <= per


def test_fixed_examples():
    from agreements.schedule import fixed_amounts

    assert fixed_amounts(Decimal("250.00"), Decimal("100.00")) == [Decimal("100.00")] * 2 + [Decimal("50.00")]
    assert fixed_amounts(Decimal("300.00"), Decimal("100.00")) == [Decimal("100.00")] * 3
