"""Writes to cases: plain functions, one transaction each."""

from django.db import transaction
from django.db.models import F

from .models import CaseNumberCounter, Program


def case_numbers_reserve(*, program: Program, year: int, count: int = 1) -> list[str]:
    """Hand out ``count`` consecutive case numbers ("2026-0042") for a program and year.

    The counter row is claimed with an atomic UPDATE … SET last_value = last_value + count, which
    serialises concurrent callers on PostgreSQL and SQLite alike, so no number is given twice.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    with transaction.atomic():
        CaseNumberCounter.objects.get_or_create(program=program, year=year)
        CaseNumberCounter.objects.filter(program=program, year=year).update(
            last_value=F("last_value") + count
        )
        last = CaseNumberCounter.objects.values_list("last_value", flat=True).get(program=program, year=year)
    return [f"{year}-{n:04d}" for n in range(last - count + 1, last + 1)]
