"""The pipeline's pages through HTTP: bad input gets a message and changes nothing."""

import datetime

import pytest

from cases.models import Case, Note, Party
from mediation.models import MediatorProfile, Meeting, Screening, TimeLog
from tests.factories import CaseFactory, PartyFactory, ReferralSourceFactory
from tests.mediation.helpers import TODAY, ago, assign, case_in_preparation, new_case

DAY = datetime.timedelta(days=1)


def intake_post(source, **overrides):
    data = {
        "case-referral_source": source.pk,
        "case-referral_date": (TODAY - 3 * DAY).isoformat(),
        "case-referral_type": "diversion",
        "case-offense_category": "property",
        "case-incident_date": (TODAY - 20 * DAY).isoformat(),
        "case-offense_description": "Graffiti on the school gym.",
        "offender-first_name": "Kai",
        "offender-last_name": "Lopez",
        "offender-date_of_birth": "1990-04-01",
        "offender-preferred_language": "en",
        "victim-kind": "individual",
        "victim-first_name": "Ana",
        "victim-last_name": "Price",
        "victim-preferred_language": "es",
        "victim-interpreter_needed": "on",
        "victim-consent_to_contact": "on",
        "victim-contact_method": "email",
        "victim-email": "ana@example.org",
        "victim-address": "4 Quiet Lane",
    }
    return data | overrides


@pytest.mark.django_db
def test_intake_creates_the_case_and_goes_straight_on_to_assigning_it(client, program, coordinator):
    client.force_login(coordinator)
    response = client.post("/cases/new/", intake_post(ReferralSourceFactory(program=program)))
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/assign/"
    victim = case.parties.get(role="victim")
    assert (victim.preferred_language, victim.interpreter_needed, victim.email) == ("es", True, "ana@example.org")
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "4 Quiet Lane" in page and "interpreter needed" in page


@pytest.mark.django_db
def test_intake_of_a_juvenile_without_guardian_says_so_and_saves_nothing(client, program, coordinator):
    client.force_login(coordinator)
    dob = (TODAY - 15 * 365 * DAY).isoformat()
    response = client.post(
        "/cases/new/", intake_post(ReferralSourceFactory(program=program), **{"offender-date_of_birth": dob})
    )
    assert response.status_code == 200
    assert "is a juvenile (under 18 on the incident date): add a parent or guardian." in response.content.decode()
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_intake_refuses_a_source_of_another_program(client, program, other_program, coordinator):
    client.force_login(coordinator)
    response = client.post("/cases/new/", intake_post(ReferralSourceFactory(program=other_program)))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_intake_refuses_a_birth_date_in_the_future(client, program, coordinator):
    client.force_login(coordinator)
    future = (TODAY + 30 * DAY).isoformat()
    response = client.post(
        "/cases/new/", intake_post(ReferralSourceFactory(program=program), **{"offender-date_of_birth": future})
    )
    assert "This date cannot be in the future." in response.content.decode()  # on the birth date field
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_add_party_refuses_a_party_of_another_case(client, case, mediator, program):
    foreign = PartyFactory(case=CaseFactory(program=program), role="offender")
    client.force_login(mediator)
    response = client.post(
        f"/cases/{case.pk}/parties/add/",
        {
            "party-role": "guardian",
            "party-for_party": foreign.pk,
            "party-last_name": "Sneaky",
            "party-preferred_language": "en",
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Party.objects.filter(person__last_name="Sneaky").exists()


@pytest.mark.django_db
def test_a_stale_edit_shows_both_versions_and_overwrites_nothing(client, case, coordinator):
    client.force_login(coordinator)
    form = {
        "case-referral_source": case.referral_source_id,
        "case-referral_date": case.referral_date.isoformat(),
        "case-referral_type": case.referral_type,
        "case-offense_category": case.offense_category,
        "case-incident_date": case.incident_date.isoformat(),
        "case-version": case.version,
    }
    first = client.post(f"/cases/{case.pk}/edit/", form | {"case-offense_description": "Their words"})
    assert first.status_code == 302
    second = client.post(f"/cases/{case.pk}/edit/", form | {"case-offense_description": "My words"})
    body = second.content.decode()
    assert second.status_code == 200
    assert "Someone else saved this case while you were editing it" in body
    assert "Their words" in body and "My words" in body
    assert Case.objects.get(pk=case.pk).offense_description == "Their words"
    # Submitting again from the comparison page saves, knowingly, over the newer version.
    current = Case.objects.get(pk=case.pk).version
    third = client.post(
        f"/cases/{case.pk}/edit/", form | {"case-offense_description": "My words", "case-version": current}
    )
    assert third.status_code == 302
    assert Case.objects.get(pk=case.pk).offense_description == "My words"


@pytest.mark.django_db
def test_a_refused_move_says_what_is_missing(client, case, mediator):
    client.force_login(mediator)
    response = client.post(f"/cases/{case.pk}/move/begin_preparation/", {"version": case.version}, follow=True)
    offender = case.parties.get(role="offender")
    assert f"Offender {offender.person} not yet screened suitable." in response.content.decode()
    assert Case.objects.get(pk=case.pk).stage == "screening"


@pytest.mark.django_db
def test_a_move_not_available_from_this_stage_is_refused(client, case, mediator):
    client.force_login(mediator)
    response = client.post(f"/cases/{case.pk}/move/record_agreement/", {"version": case.version}, follow=True)
    assert "That step is not available for this case now." in response.content.decode()
    response = client.post(f"/cases/{case.pk}/move/no-such-move/", {"version": case.version}, follow=True)
    assert response.status_code == 200
    assert Case.objects.get(pk=case.pk).stage == "screening"


@pytest.mark.django_db
def test_assignment_warns_of_a_declared_conflict(client, program, coordinator, mediator):
    case = new_case(program, coordinator)
    MediatorProfile.objects.create(user=mediator, conflicts="Ana Price", max_active_cases=5)
    client.force_login(coordinator)
    page = client.get(f"/cases/{case.pk}/assign/").content.decode()
    assert "declared a conflict with victim Ana Price" in page
    response = client.post(f"/cases/{case.pk}/assign/", {"lead": mediator.pk, "version": case.version})
    assert "confirm to assign anyway" in response.content.decode()
    assert Case.objects.get(pk=case.pk).lead_mediator is None
    response = client.post(
        f"/cases/{case.pk}/assign/", {"lead": mediator.pk, "version": case.version, "confirm_conflicts": "on"}
    )
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).stage == "screening"


@pytest.mark.django_db
def test_assignment_warns_when_a_mediator_mediated_the_same_person_before(client, program, coordinator, mediator):
    earlier = assign(new_case(program, coordinator), coordinator, mediator)
    later = new_case(program, coordinator)  # the same Kai Lopez, linked by name and birth date
    assert later.parties.get(role="offender").person == earlier.parties.get(role="offender").person
    client.force_login(coordinator)
    page = client.get(f"/cases/{later.pk}/assign/").content.decode()
    assert f"mediated case {earlier.number}, which also involved Kai Lopez" in page
    case_page = client.get(f"/cases/{later.pk}/").content.decode()
    assert f">{earlier.number}</a> (offender)" in case_page  # the re-referral shows the earlier case


@pytest.mark.django_db
def test_screening_page_refuses_an_incomplete_suitable_screening(client, case, mediator):
    offender = case.parties.get(role="offender")
    client.force_login(mediator)
    response = client.post(
        f"/cases/{case.pk}/parties/{offender.pk}/screening/",
        {
            "screening-screened_on": TODAY.isoformat(),
            "screening-outcome": "suitable",
            "screening-emotionally_ready": "on",
        },
    )
    body = response.content.decode()
    assert "The offender must acknowledge responsibility" in body
    assert "Record the date consent was given." in body
    assert not Screening.objects.exists()


@pytest.mark.django_db
def test_meeting_hold_refuses_an_attendee_of_another_case(client, program, coordinator, mediator, case):
    prep = case_in_preparation(program, coordinator, mediator)
    meeting = Meeting.objects.create(
        case=prep, kind="prep_offender", scheduled_for=ago(), location="Office", created_by=mediator
    )
    foreign = case.parties.get(role="victim")
    client.force_login(mediator)
    response = client.post(
        f"/cases/{prep.pk}/meetings/{meeting.pk}/hold/", {"version": meeting.version, "attendees": [foreign.pk]}
    )
    assert "Select a valid choice" in response.content.decode()
    assert Meeting.objects.get(pk=meeting.pk).status == "scheduled"


@pytest.mark.django_db
def test_over_long_input_is_refused(client, case, mediator):
    client.force_login(mediator)
    client.post(f"/cases/{case.pk}/notes/", {"body": "x" * 20_000})
    assert not Note.objects.exists()
    response = client.post(f"/cases/{case.pk}/time/", {"on": TODAY.isoformat(), "minutes": 2000, "activity": "travel"})
    assert "less than or equal to 1440" in response.content.decode()
    assert not TimeLog.objects.exists()


@pytest.mark.django_db
def test_binary_junk_in_a_form_is_a_message_not_a_500(client, case, mediator):
    client.force_login(mediator)
    response = client.post(f"/cases/{case.pk}/notes/", {"body": "\x00\x01\x02"})
    assert response.status_code == 302
    assert not Note.objects.exists()


@pytest.mark.django_db
def test_my_cases_lists_overdue_first_and_offender_before_victim(client, program, coordinator, mediator):
    fresh = assign(new_case(program, coordinator), coordinator, mediator)
    old = assign(new_case(program, coordinator), coordinator, mediator)
    Case.objects.filter(pk=old.pk).update(referral_date=TODAY - 30 * DAY)
    client.force_login(mediator)
    rows = client.get("/my/").context["rows"]
    assert [row["pk"] for row in rows] == [old.pk, fresh.pk]
    assert rows[1]["action"].label == "Contact the offender Kai Lopez"
    body = client.get("/my/").content.decode()
    assert "Overdue" in body


@pytest.mark.django_db
def test_assignment_says_when_lead_and_co_are_the_same_person(client, program, coordinator, mediator):
    case = new_case(program, coordinator)
    client.force_login(coordinator)
    response = client.post(
        f"/cases/{case.pk}/assign/", {"lead": mediator.pk, "co": mediator.pk, "version": case.version}
    )
    assert "The co-mediator must be someone other than the lead mediator." in response.content.decode()


@pytest.mark.django_db
def test_capacity_shows_as_a_warning_before_assigning(client, program, coordinator, mediator):
    MediatorProfile.objects.create(user=mediator, max_active_cases=1)
    assign(new_case(program, coordinator), coordinator, mediator)
    case = new_case(program, coordinator)
    client.force_login(coordinator)
    assert "At or over the maximum of 1 active cases" in client.get(f"/cases/{case.pk}/assign/").content.decode()


@pytest.mark.django_db
def test_the_close_form_offers_only_outcomes_that_fit_and_none_preselected(client, case, coordinator):
    client.force_login(coordinator)
    form = client.get(f"/cases/{case.pk}/close/").context["form"]
    values = [value for value, _ in form.fields["outcome"].choices]
    assert values[0] == "" and "no_agreement" not in values and "withdrawn" in values


@pytest.mark.django_db
def test_a_stale_contact_edit_shows_both_versions_and_overwrites_nothing(client, case, mediator):
    client.force_login(mediator)
    victim = case.parties.get(role="victim")
    url = f"/cases/{case.pk}/parties/{victim.pk}/edit/"
    form = {"preferred_language": "en", "consent_to_contact": "on", "contact_method": "email",
            "email": victim.email, "address": victim.address, "version": victim.version}  # fmt: skip
    assert client.post(url, form | {"phone": "(612) 555-0101"}).status_code == 302
    second = client.post(url, form | {"phone": "(612) 555-0202"})
    body = second.content.decode()
    assert second.status_code == 200
    assert f"Someone else saved the details of {victim.person}" in body
    assert "+16125550101" in body and "(612) 555-0202" in body  # saved as E.164; theirs as typed
    victim.refresh_from_db()
    assert (victim.phone, victim.version) == ("+16125550101", 2)
    assert case.timeline.filter(kind="edited").count() == 1
    # Submitting again from the comparison page saves, knowingly, over the newer version.
    assert client.post(url, form | {"phone": "(612) 555-0202", "version": 2}).status_code == 302
    victim.refresh_from_db()
    assert (victim.phone, victim.version) == ("+16125550202", 3)


@pytest.mark.django_db
def test_screening_errors_sit_at_their_fields_and_the_summary_links_to_them(client, case, mediator):
    offender = case.parties.get(role="offender")
    client.force_login(mediator)
    url = f"/cases/{case.pk}/parties/{offender.pk}/screening/"
    assert "Consent given on (needed when suitable)" in client.get(url).content.decode()
    body = client.post(url, {"screening-screened_on": TODAY.isoformat(), "screening-outcome": "suitable"}).content
    page = body.decode()
    assert '<a href="#id_screening-consent_given_on">Consent given on (needed when suitable): Record the date' in page
    consent = page[page.index('<label for="id_screening-consent_given_on">') :]
    assert consent.index('<p class="error">Record the date consent was given.</p>') < consent.index("</div>")
    assert not Screening.objects.exists()


@pytest.mark.django_db
def test_intake_shows_each_persons_contact_and_consent_in_view_and_the_case_page_shows_what_was_entered(
    client, program, coordinator
):
    client.force_login(coordinator)
    form = client.get("/cases/new/").content.decode()
    assert "<details" not in form  # nothing folded away
    victim = form[form.index('id="h-victim"') :]
    # The consent sits right after the way it allows, and the email updates right after the email.
    order = [victim.index(f'id="id_victim-{name}"') for name in
             ("contact_method", "consent_to_contact", "email", "victim_updates", "phone", "address")]  # fmt: skip
    assert order == sorted(order)
    assert 'data-guardian data-adult-age="18"' in form and "js/intake.js" in form
    data = intake_post(ReferralSourceFactory(program=program), **{"victim-consent_to_contact": ""})
    response = client.post("/cases/new/", data)
    case = Case.objects.get()
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "No consent to contact recorded (prefers email)" in page
    assert "ana@example.org" in page and "4 Quiet Lane" in page  # what was typed is shown, not hidden
    assert response.status_code == 302
