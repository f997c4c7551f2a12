"""``Case.juvenile`` follows the offenders' birth dates and the incident date wherever they change."""

import datetime

import pytest

from cases.models import Case
from cases.services import PartyInput, case_update, party_add
from tests.mediation.helpers import TODAY, new_case

pytestmark = pytest.mark.django_db


def test_intake_sets_the_flag(program, coordinator):
    assert new_case(program, coordinator, juvenile=True).juvenile is True
    assert new_case(program, coordinator).juvenile is False


def test_a_juvenile_offender_added_later_makes_the_case_juvenile(program, coordinator):
    case = new_case(program, coordinator)
    young = PartyInput(role="offender", first_name="Mia", last_name="Lopez",
                       date_of_birth=TODAY - datetime.timedelta(days=16 * 365))  # fmt: skip
    guardian = PartyInput(role="guardian", first_name="Rita", last_name="Lopez")
    party_add(case=case, actor=coordinator, party=young, guardian=guardian)
    assert Case.objects.get(pk=case.pk).juvenile is True


def test_moving_the_incident_date_or_correcting_a_birth_date_updates_it(program, coordinator):
    case = new_case(program, coordinator)  # offender born 30 * 365 days ago: an adult
    # The incident turns out to have happened fifteen years ago, when the offender was a child.
    case_update(case=case, expected_version=case.version, actor=coordinator,
                changes={"incident_date": TODAY - datetime.timedelta(days=15 * 365)})  # fmt: skip
    assert Case.objects.get(pk=case.pk).juvenile is True
    offender = case.parties.get(role="offender").person
    offender.date_of_birth = TODAY - datetime.timedelta(days=60 * 365)  # corrected, e.g. in Django admin
    offender.save()
    assert Case.objects.get(pk=case.pk).juvenile is False
