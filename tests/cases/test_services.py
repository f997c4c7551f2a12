import threading

import pytest
from django.db import connection

from cases.models import CaseNumberCounter
from cases.services import case_numbers_reserve
from tests.conftest import require


@pytest.mark.django_db
def test_case_numbers_are_sequential_per_program_and_year(program, other_program):
    assert case_numbers_reserve(program=program, year=2026) == ["2026-0001"]
    assert case_numbers_reserve(program=program, year=2026, count=2) == ["2026-0002", "2026-0003"]
    assert case_numbers_reserve(program=program, year=2027) == ["2027-0001"]
    assert case_numbers_reserve(program=other_program, year=2026) == ["2026-0001"]


@pytest.mark.django_db
def test_case_numbers_refuse_a_zero_count(program):
    with pytest.raises(ValueError):
        case_numbers_reserve(program=program, year=2026, count=0)
    assert not CaseNumberCounter.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_reservations_never_hand_out_a_number_twice(program):
    require(connection.vendor == "postgresql", "needs PostgreSQL for true concurrency")
    results, errors = [], []

    def worker():
        try:
            for _ in range(10):
                results.extend(case_numbers_reserve(program=program, year=2026))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(results) == [f"2026-{n:04d}" for n in range(1, 61)]


@pytest.mark.django_db
def test_the_name_search_has_prefix_indexes_on_postgresql():
    require(connection.vendor == "postgresql", "the prefix indexes are PostgreSQL's (text_pattern_ops)")
    with connection.cursor() as cursor:
        indexes = connection.introspection.get_constraints(cursor, "cases_person")
    for column in ["first_name", "last_name", "organisation_name"]:
        assert f"cases_person_{column}_upper_prefix" in indexes
