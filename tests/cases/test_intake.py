"""Referral intake, parties and case edits, through the services."""

import datetime

import pytest

from cases.models import Case, Party, Person, TimelineEvent
from cases.services import (
    PartyInput,
    case_intake,
    case_update,
    note_add,
    party_add,
    party_add_supporter,
    party_update_contact,
)
from tests.factories import CaseFactory, PartyFactory, PersonFactory, ReferralSourceFactory
from vom.core.errors import DomainError, StaleObjectError

TODAY = datetime.date.today()


def referral(program, **overrides):
    values = {
        "referral_source": ReferralSourceFactory(program=program),
        "referral_date": TODAY - datetime.timedelta(days=3),
        "referral_type": Case.ReferralType.DIVERSION,
        "court_ordered": False,
        "court_return_date": None,
        "offense_category": Case.OffenseCategory.PROPERTY,
        "incident_date": TODAY - datetime.timedelta(days=20),
        "offense_description": "Broke the shop window.",
    }
    return values | overrides


def adult_offender(**kw):
    return PartyInput(
        role="offender", first_name="Sam", last_name="Reyes", date_of_birth=datetime.date(1995, 1, 2), **kw
    )


def juvenile_offender():
    return PartyInput(
        role="offender", first_name="Kai", last_name="Lopez", date_of_birth=TODAY - datetime.timedelta(days=15 * 365)
    )


def victim(**kw):
    return PartyInput(role="victim", first_name="Ana", last_name="Price", email="ana@example.org", **kw)


@pytest.mark.django_db
def test_intake_creates_a_numbered_case_with_parties_and_a_timeline(program, coordinator):
    case = case_intake(
        program=program, actor=coordinator, referral=referral(program), parties=[adult_offender(), victim()]
    )
    assert case.number == f"{case.referral_date.year}-0001"
    assert case.stage == Case.Stage.REFERRED
    assert sorted(case.parties.values_list("role", flat=True)) == ["offender", "victim"]
    assert case.timeline.get().kind == TimelineEvent.Kind.CREATED


@pytest.mark.django_db
def test_intake_refuses_a_juvenile_offender_without_a_guardian(program, coordinator):
    with pytest.raises(DomainError) as error:
        case_intake(
            program=program, actor=coordinator, referral=referral(program), parties=[juvenile_offender(), victim()]
        )
    assert "Kai Lopez is a juvenile (under 18 on the incident date): add a parent or guardian." in error.value.problems
    assert not Case.objects.exists()
    assert not Person.objects.exists()


@pytest.mark.django_db
def test_intake_accepts_a_juvenile_with_a_guardian(program, coordinator):
    guardian = PartyInput(role="guardian", first_name="Rita", last_name="Lopez", related_index=0)
    case = case_intake(
        program=program,
        actor=coordinator,
        referral=referral(program),
        parties=[juvenile_offender(), guardian, victim()],
    )
    guardian_party = case.parties.get(role="guardian")
    assert guardian_party.related_party == case.parties.get(role="offender")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"referral_date": TODAY + datetime.timedelta(days=1)}, "The referral date cannot be in the future."),
        ({"incident_date": TODAY - datetime.timedelta(days=1), "referral_date": TODAY - datetime.timedelta(days=5)},
         "The incident date cannot be after the referral date."),
        ({"court_return_date": TODAY - datetime.timedelta(days=30)},
         "The court return date cannot be before the referral date."),
    ],
)  # fmt: skip
@pytest.mark.django_db
def test_intake_refuses_impossible_dates(program, coordinator, overrides, message):
    with pytest.raises(DomainError) as error:
        case_intake(
            program=program,
            actor=coordinator,
            referral=referral(program, **overrides),
            parties=[adult_offender(), victim()],
        )
    assert message in error.value.problems
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_intake_refuses_a_birth_date_in_the_future(program, coordinator):
    future = PartyInput(
        role="offender", first_name="X", last_name="Y", date_of_birth=TODAY + datetime.timedelta(days=2)
    )
    with pytest.raises(DomainError) as error:
        case_intake(program=program, actor=coordinator, referral=referral(program), parties=[future, victim()])
    assert "X Y: the date of birth cannot be in the future." in error.value.problems


@pytest.mark.django_db
def test_intake_needs_an_offender_and_a_victim(program, coordinator):
    with pytest.raises(DomainError) as error:
        case_intake(program=program, actor=coordinator, referral=referral(program), parties=[adult_offender()])
    assert "A case needs at least one victim." in error.value.problems


@pytest.mark.django_db
def test_organisation_victims_need_a_representative_and_a_willing_program(program, coordinator):
    shop = PartyInput(role="victim", kind=Person.Kind.ORGANISATION, organisation_name="Corner Market")
    with pytest.raises(DomainError) as error:
        case_intake(program=program, actor=coordinator, referral=referral(program), parties=[adult_offender(), shop])
    assert "Corner Market: an organisation victim needs a named representative." in error.value.problems

    rep = PartyInput(role="victim_rep", first_name="Lee", last_name="Manager", related_index=1)
    case = case_intake(
        program=program, actor=coordinator, referral=referral(program), parties=[adult_offender(), shop, rep]
    )
    assert case.parties.get(role="victim_rep").related_party.person.organisation_name == "Corner Market"

    program.accepts_organisation_victims = False
    program.save()
    with pytest.raises(DomainError) as error:
        case_intake(
            program=program, actor=coordinator, referral=referral(program), parties=[adult_offender(), shop, rep]
        )
    assert f"{program.name} does not accept organisations as victims." in error.value.problems


@pytest.mark.django_db
def test_intake_links_a_known_person_by_name_and_birth_date(program, coordinator):
    known = PersonFactory(first_name="Sam", last_name="Reyes", date_of_birth=datetime.date(1995, 1, 2))
    offender = PartyInput(role="offender", first_name="sam", last_name="REYES", date_of_birth=datetime.date(1995, 1, 2))
    case = case_intake(program=program, actor=coordinator, referral=referral(program), parties=[offender, victim()])
    assert case.parties.get(role="offender").person == known
    same_name_other_birthday = PartyInput(
        role="offender", first_name="Sam", last_name="Reyes", date_of_birth=datetime.date(1996, 1, 2)
    )
    second = case_intake(
        program=program, actor=coordinator, referral=referral(program), parties=[same_name_other_birthday, victim()]
    )
    assert second.parties.get(role="offender").person != known


@pytest.mark.django_db
def test_intake_refuses_a_referral_source_of_another_program(program, other_program, coordinator):
    with pytest.raises(DomainError) as error:
        case_intake(
            program=program,
            actor=coordinator,
            referral=referral(program, referral_source=ReferralSourceFactory(program=other_program)),
            parties=[adult_offender(), victim()],
        )
    assert "The referral source belongs to another program." in error.value.problems


@pytest.mark.django_db
def test_contact_method_needs_the_matching_detail(program, coordinator):
    silent = victim(consent_to_contact=True, contact_method="phone")
    with pytest.raises(DomainError) as error:
        case_intake(program=program, actor=coordinator, referral=referral(program), parties=[adult_offender(), silent])
    assert "Ana Price: contact by phone was chosen but no phone number was given." in error.value.problems


@pytest.mark.django_db
def test_party_add_requires_a_guardian_for_a_juvenile_offender(case, coordinator):
    with pytest.raises(DomainError):
        party_add(case=case, actor=coordinator, party=juvenile_offender())
    added = party_add(
        case=case,
        actor=coordinator,
        party=juvenile_offender(),
        guardian=PartyInput(role="guardian", first_name="Rita", last_name="Lopez"),
    )
    assert case.parties.get(role="guardian").related_party == added


@pytest.mark.django_db
def test_supporter_must_stand_for_a_party_of_the_same_case(case, coordinator, program):
    foreign = PartyFactory(case=CaseFactory(program=program), role="offender")
    with pytest.raises(DomainError, match="does not belong to this case"):
        party_add_supporter(
            case=case, actor=coordinator, supporter=PartyInput(role="guardian", last_name="Z"), for_party=foreign
        )
    victim_party = case.parties.get(role="victim")
    with pytest.raises(DomainError, match="must be linked to an offender"):
        party_add_supporter(
            case=case, actor=coordinator, supporter=PartyInput(role="guardian", last_name="Z"), for_party=victim_party
        )
    support = party_add_supporter(
        case=case, actor=coordinator, supporter=PartyInput(role="support", last_name="Friend"), for_party=victim_party
    )
    assert support.related_party == victim_party


@pytest.mark.django_db
def test_contact_changes_are_timelined_by_field_name_never_by_value(case, mediator):
    party = case.parties.get(role="victim")
    party_update_contact(
        party=party, expected_version=party.version, actor=mediator,
        contact={"address": "99 Secret Road", "phone": "(612) 555-0199"},
    )  # fmt: skip
    party.refresh_from_db()
    assert party.address == "99 Secret Road"
    event = case.timeline.get()
    assert "address" in event.summary
    assert "99 Secret Road" not in event.summary and "555-0199" not in event.summary


@pytest.mark.django_db
def test_case_update_saves_with_the_current_version(case, coordinator):
    seen = case.version
    updated = case_update(case=case, expected_version=seen, actor=coordinator, changes={"offense_description": "New"})
    assert updated.offense_description == "New"
    assert updated.version == seen + 1
    assert "offense description" in updated.timeline.get().summary


@pytest.mark.django_db
def test_a_stale_edit_overwrites_nothing(case, coordinator):
    seen = case.version  # both editors opened the form at this version
    case_update(case=case, expected_version=seen, actor=coordinator, changes={"offense_description": "First"})
    with pytest.raises(StaleObjectError):
        case_update(case=case, expected_version=seen, actor=coordinator, changes={"offense_description": "Second"})
    assert Case.objects.get(pk=case.pk).offense_description == "First"


@pytest.mark.django_db
def test_case_update_refuses_fields_moved_only_by_services(case, coordinator):
    with pytest.raises(DomainError, match="cannot be edited here: stage"):
        case_update(case=case, expected_version=case.version, actor=coordinator, changes={"stage": "closed"})


@pytest.mark.django_db
def test_confidential_notes_never_reach_the_timeline(case, mediator):
    note_add(case=case, actor=mediator, body="Victim's new partner is violent", confidential=True)
    event = case.timeline.get()
    assert event.summary == "Confidential note added"
    with pytest.raises(DomainError):
        note_add(case=case, actor=mediator, body="   ", confidential=False)


@pytest.mark.django_db
def test_party_roles_keep_display_order(case):
    roles = list(Party.objects.filter(case=case).in_display_order().values_list("role", flat=True))
    assert roles == ["offender", "victim"]
