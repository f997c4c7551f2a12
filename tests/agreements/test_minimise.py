"""Declining is respected: the party who declined leaves little behind, at the coordinator's confirmed request."""

import pytest

from cases.models import Case, Party, Person, TimelineEvent
from mediation import services as mediation
from mediation.models import ContactAttempt, Screening
from tests.mediation.helpers import TODAY, ago, assign, new_case, screen
from vom.audit.models import AuditEvent


@pytest.fixture
def declined(program, coordinator, mediator):
    case = assign(new_case(program, coordinator), coordinator, mediator)
    victim = case.parties.get(role="victim")
    Person.objects.filter(pk=victim.person_id).update(gender="female", ethnicity="hispanic",
                                                       date_of_birth=TODAY.replace(year=TODAY.year - 40))  # fmt: skip
    Party.objects.filter(pk=victim.pk).update(phone="(555) 0199-4242", address="17 Hidden Orchard Road")
    mediation.contact_attempt_record(party=victim, actor=mediator, at=ago(), method="phone", result="reached",
                                     note="Ana said she is scared of him.")  # fmt: skip
    screen(case.parties.get(role="offender"), mediator)
    screen(victim, mediator, outcome="declined", reason="Does not want to see Kai Lopez ever again.",
           safety_concerns="He lives on her street.")  # fmt: skip
    case = Case.objects.get(pk=case.pk)
    return mediation.case_close_after_screening(case=case, expected_version=case.version, actor=mediator)


@pytest.mark.django_db
def test_the_coordinator_removes_the_declining_victims_data_after_confirming(client, declined, coordinator, mediator):
    victim = declined.parties.get(role="victim")
    url = f"/cases/{declined.pk}/parties/{victim.pk}/minimise/"
    client.force_login(mediator)
    assert client.get(url).status_code == 403  # a coordinator's decision
    client.force_login(coordinator)
    assert "Remove the personal data of Ana Price" in client.get(f"/cases/{declined.pk}/").content.decode()
    unconfirmed = client.post(url, {"reason": "She asked."})
    assert unconfirmed.status_code == 200 and Party.objects.get(pk=victim.pk).minimised_at is None
    assert client.post(url, {"confirm": "on", "reason": "She asked."}).status_code == 302

    victim = Party.objects.select_related("person").get(pk=victim.pk)
    assert victim.minimised_at and victim.age_band == "35 to 49"
    assert (victim.person.last_name, victim.person.first_name, victim.person.date_of_birth) == ("Removed", "", None)
    assert (victim.person.gender, victim.person.ethnicity) == ("female", "hispanic")
    assert (victim.phone, victim.address, victim.email) == ("", "", "")
    screening = Screening.objects.get(party=victim)
    assert (screening.reason, screening.safety_concerns, screening.outcome) == ("", "", "declined")
    assert ContactAttempt.objects.get(party=victim).note == ""
    declined.refresh_from_db()
    assert (declined.outcome, declined.outcome_reason) == ("declined", "")
    timeline = " ".join(TimelineEvent.objects.filter(case=declined).values_list("summary", flat=True))
    assert "Ana" not in timeline and "Price" not in timeline and "Personal data of the victim removed" in timeline
    assert not Person.objects.filter(first_name="Ana", last_name="Price").exists()
    assert AuditEvent.objects.filter(what=f"party {victim.pk} minimised", user=coordinator).exists()
    again = client.get(url).content.decode()
    assert "already removed" in again


@pytest.mark.django_db
def test_only_the_party_who_declined_in_a_closed_case_is_minimised(client, declined, coordinator, program, mediator):
    client.force_login(coordinator)
    offender = declined.parties.get(role="offender")
    page = client.get(f"/cases/{declined.pk}/parties/{offender.pk}/minimise/").content.decode()
    assert "Only the party who declined or was screened not suitable" in page
    assert client.post(f"/cases/{declined.pk}/parties/{offender.pk}/minimise/",
                       {"confirm": "on", "reason": "x"}).status_code == 200  # fmt: skip
    assert Party.objects.get(pk=offender.pk).minimised_at is None
    open_case = assign(new_case(program, coordinator), coordinator, mediator)
    victim = open_case.parties.get(role="victim")
    page = client.get(f"/cases/{open_case.pk}/parties/{victim.pk}/minimise/").content.decode()
    assert "Only a case closed because a party declined" in page
