"""The demo has survey answers to report on, only where a joint session was held."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Avg

from mediation.models import Meeting
from surveys.models import SurveyInvitation, SurveyResponse


@pytest.mark.django_db
def test_the_demo_seeds_answers_for_cases_that_held_a_joint_session():
    call_command("seed_demo", "--cases", "40", stdout=StringIO())
    held = set(Meeting.objects.filter(kind="joint", status="held").values_list("case_id", flat=True))
    responses = SurveyResponse.objects.select_related("invitation__party")
    assert responses.count() >= 5
    assert {r.case_id for r in responses} <= held
    assert all(r.invitation.party.may_email and r.respondent_role == r.invitation.party.role for r in responses)
    assert all(r.invitation.used_at == r.submitted_at for r in responses)
    averages = responses.aggregate(fair=Avg("fair"), recommend=Avg("recommend"))
    assert 3.5 < averages["fair"] <= 5 and 3.5 < averages["recommend"] <= 5
    assert SurveyInvitation.objects.filter(used_at__isnull=True).exists()  # some never answer
    before = (SurveyInvitation.objects.count(), SurveyResponse.objects.count())
    call_command("seed_demo", "--cases", "40", stdout=StringIO())
    assert (SurveyInvitation.objects.count(), SurveyResponse.objects.count()) == before
