"""A case whose joint session was just held, with parties who may (or may not) be emailed."""

import pytest

from cases.models import Program
from mediation.models import Meeting
from surveys.models import SurveyInvitation
from surveys.services import survey_invitations_plan
from surveys.tokens import invitation_token
from tests.agreements.helpers import case_in_agreement
from vom.notifications.models import Notification


def emailable(party, address):
    party.consent_to_contact, party.contact_method, party.email = True, "email", address
    party.save()
    return party


@pytest.fixture
def held(program, coordinator, mediator):
    """Juvenile offender Kai and guardian Rita may be emailed; victim Ana consented to phone calls only."""
    Program.objects.filter(pk=program.pk).update(phone="(555) 0100-2000", email="vom@riverbend.example.org")
    case = case_in_agreement(program, coordinator, mediator, juvenile=True)
    emailable(case.parties.get(role="offender"), "kai@example.org")
    emailable(case.parties.get(role="guardian"), "rita@example.org")
    victim = case.parties.get(role="victim")
    victim.consent_to_contact, victim.contact_method = True, "phone"
    victim.save()
    Notification.objects.all().delete()  # meeting reminders are not under test here
    return case


@pytest.fixture
def joint(held):
    return Meeting.objects.get(case=held, kind="joint")


@pytest.fixture
def invitation(held):
    survey_invitations_plan()
    return SurveyInvitation.objects.select_related("party").get(party__role="offender", occasion="joint_session")


@pytest.fixture
def url(invitation):
    return f"/survey/{invitation_token(invitation)}/"


ALL_AGREE = {"fair": "5", "satisfied": "4", "safe": "5", "heard": "5", "recommend": "skip", "comment": "Thank you."}
