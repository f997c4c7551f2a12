"""Reoffending checks: scheduled at every closure, recorded by coordinators, listed when due."""

import datetime

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from cases.models import OutcomeCheck
from cases.services import case_close, case_reopen, outcome_check_record
from tests.mediation.helpers import new_case
from vom.core.errors import DomainError

TODAY = datetime.date.today()


def closed_case(program, coordinator):
    case = new_case(program, coordinator)
    return case_close(
        case=case, expected_version=case.version, actor=coordinator, outcome="declined", reason="Victim declined"
    )


@pytest.mark.django_db
def test_checks_are_scheduled_at_every_closure_at_the_program_windows(program, coordinator):
    case = closed_case(program, coordinator)
    closed_on = timezone.localtime(case.closed_at).date()
    assert list(case.outcome_checks.values_list("months", "due_on")) == [
        (6, closed_on + relativedelta(months=6)),
        (12, closed_on + relativedelta(months=12)),
        (30, closed_on + relativedelta(months=30)),
    ]
    program.outcome_check_months = "3,24"
    program.save()
    other = closed_case(program, coordinator)
    assert list(other.outcome_checks.values_list("months", flat=True)) == [3, 24]


@pytest.mark.django_db
def test_reopening_drops_unrecorded_checks_and_keeps_recorded_ones(program, coordinator):
    case = closed_case(program, coordinator)
    six = case.outcome_checks.get(months=6)
    outcome_check_record(check=six, actor=coordinator, result="no", checked_on=TODAY, source="Court records")
    case = case_reopen(case=case, expected_version=case.version, actor=coordinator, reason="Victim changed her mind")
    assert list(case.outcome_checks.values_list("months", flat=True)) == [6]
    case = case_close(case=case, expected_version=case.version, actor=coordinator, outcome="declined", reason="again")
    assert list(case.outcome_checks.values_list("months", "result")) == [(6, "no"), (12, ""), (30, "")]


@pytest.mark.django_db
def test_recording_a_check_is_validated(program, coordinator):
    case = closed_case(program, coordinator)
    check = case.outcome_checks.get(months=6)
    with pytest.raises(DomainError) as error:
        outcome_check_record(check=check, actor=coordinator, result="yes", checked_on=TODAY, source="Court")
    assert "Give the date of the new offense." in error.value.problems
    with pytest.raises(DomainError) as error:
        outcome_check_record(
            check=check, actor=coordinator, result="yes", checked_on=TODAY, source="Court",
            offense_date=TODAY - datetime.timedelta(days=400),
        )  # fmt: skip
    assert "The new offense must fall between the closure and today." in error.value.problems
    with pytest.raises(DomainError):
        outcome_check_record(check=check, actor=coordinator, result="no", checked_on=TODAY, source=" ")
    assert OutcomeCheck.objects.get(pk=check.pk).result == ""
    outcome_check_record(
        check=check, actor=coordinator, result="yes", checked_on=TODAY, source="Court", offense_date=TODAY
    )
    assert OutcomeCheck.objects.get(pk=check.pk).result == "yes"


@pytest.mark.django_db
def test_due_checks_are_listed_for_the_coordinator_and_recorded_through_the_form(client, program, coordinator):
    case = closed_case(program, coordinator)
    case.outcome_checks.filter(months=6).update(due_on=TODAY - datetime.timedelta(days=2))
    client.force_login(coordinator)
    page = client.get("/outcome-checks/")
    assert [c.months for c in page.context["page"].object_list] == [6]
    assert "Overdue" in page.content.decode()
    check = case.outcome_checks.get(months=6)
    response = client.post(
        f"/cases/{case.pk}/outcome-checks/{check.pk}/",
        {"result": "no", "source": "County court records", "checked_on": TODAY.isoformat()},
    )
    assert response.status_code == 302
    assert list(client.get("/outcome-checks/").context["page"].object_list) == []
