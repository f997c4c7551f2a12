"""Phone numbers are stored as E.164, read in the program's region; consent to texts is asked beside the
number and recorded with when and by whom; a number that replied STOP cannot be signed up again."""

import pytest
from django.utils import timezone

from cases.models import Case, Party, Program
from cases.services import party_update_contact
from tests.cases.test_pipeline_views import intake_post
from tests.factories import ReferralSourceFactory
from vom.core.errors import DomainError
from vom.notifications.models import Notification, TextOptOut


@pytest.mark.django_db
def test_intake_stores_the_number_as_e164_and_records_who_took_consent_to_texts(client, program, coordinator):
    client.force_login(coordinator)
    post = intake_post(ReferralSourceFactory(program=program), **{
        "offender-consent_to_contact": "on", "offender-contact_method": "phone",
        "offender-phone": "(612) 555-0101", "offender-consents_to_texts": "on",
    })  # fmt: skip
    response = client.post("/cases/new/", post)
    assert response.status_code == 302
    offender = Party.objects.get(role="offender")
    assert offender.phone == "+16125550101"
    assert offender.texts_consent_recorded_by == coordinator
    assert abs((timezone.now() - offender.texts_consented_at).total_seconds()) < 60
    assert offender.may_text
    page = client.get(f"/cases/{offender.case_id}/").content.decode()
    assert "(612) 555-0101" in page and "Texts since" in page


@pytest.mark.django_db
def test_a_number_that_is_not_one_is_refused_at_intake_and_nothing_is_saved(client, program, coordinator):
    client.force_login(coordinator)
    post = intake_post(ReferralSourceFactory(program=program), **{"offender-phone": "555-0101"})
    response = client.post("/cases/new/", post)
    assert response.status_code == 200
    assert "is not a valid phone number in US" in response.content.decode()
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_texts_need_consent_to_contact_and_a_number(client, program, coordinator):
    client.force_login(coordinator)
    post = intake_post(ReferralSourceFactory(program=program), **{"offender-consents_to_texts": "on"})
    response = client.post("/cases/new/", post)
    assert "texts need consent to be contacted and a phone number" in response.content.decode()
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_a_program_abroad_reads_numbers_in_its_own_region(case, mediator):
    Program.objects.filter(pk=case.program_id).update(phone_region="GB")
    case.refresh_from_db()
    victim = case.parties.get(role="victim")
    party_update_contact(party=victim, expected_version=victim.version, actor=mediator,
                         contact={"phone": "020 7946 0018"})  # fmt: skip
    victim.refresh_from_db()
    assert victim.phone == "+442079460018"


@pytest.mark.django_db
def test_a_number_recorded_before_checks_does_not_block_other_changes(case, mediator):
    victim = case.parties.get(role="victim")
    Party.objects.filter(pk=victim.pk).update(phone="555-0199")
    victim.refresh_from_db()
    party_update_contact(party=victim, expected_version=victim.version, actor=mediator,
                         contact={"address": "1 New Road", "phone": "555-0199"})  # fmt: skip
    victim.refresh_from_db()
    assert (victim.address, victim.phone) == ("1 New Road", "555-0199")
    assert not victim.may_text  # never texted until it is corrected


@pytest.mark.django_db
def test_consent_to_texts_given_and_withdrawn_from_the_party_form(client, case, mediator):
    victim = case.parties.get(role="victim")
    client.force_login(mediator)
    url = f"/cases/{case.pk}/parties/{victim.pk}/edit/"
    form = {"preferred_language": "en", "consent_to_contact": "on", "contact_method": "phone",
            "phone": "612 555 0199", "version": victim.version}  # fmt: skip
    assert client.post(url, form | {"consents_to_texts": "on"}).status_code == 302
    victim.refresh_from_db()
    assert (victim.phone, victim.texts_consent_recorded_by) == ("+16125550199", mediator)
    assert "consent to text messages given" in case.timeline.first().summary
    Notification.objects.create(dedupe_key="x", template="meeting_reminder", channel="sms", phone=victim.phone,
                                name=str(victim.person), case_id=case.pk, due_at=timezone.now())  # fmt: skip
    assert client.post(url, form | {"version": victim.version, "phone": "+16125550199"}).status_code == 302
    victim.refresh_from_db()
    assert victim.texts_consented_at is None and victim.texts_consent_recorded_by is None
    assert Notification.objects.get(dedupe_key="x").status == "cancelled"  # nothing more goes by text
    assert "consent to text messages withdrawn" in case.timeline.first().summary


@pytest.mark.django_db
def test_a_number_that_replied_stop_cannot_be_signed_up_again(case, mediator):
    victim = case.parties.get(role="victim")
    TextOptOut.objects.create(number="+16125550199", keyword="STOP", at=timezone.now())
    with pytest.raises(DomainError) as refused:
        party_update_contact(party=victim, expected_version=victim.version, actor=mediator, contact={
            "consent_to_contact": True, "phone": "(612) 555-0199", "consents_to_texts": True,
        })  # fmt: skip
    assert "replied STOP" in str(refused.value.problems) and "START" in str(refused.value.problems)
    victim.refresh_from_db()
    assert victim.texts_consented_at is None and victim.phone != "+16125550199"


@pytest.mark.django_db
def test_the_party_form_shows_the_number_as_people_write_it_and_an_unchanged_one_is_no_change(client, case, mediator):
    victim = case.parties.get(role="victim")
    Party.objects.filter(pk=victim.pk).update(phone="+16125550199", consent_to_contact=True, contact_method="phone")
    client.force_login(mediator)
    url = f"/cases/{case.pk}/parties/{victim.pk}/edit/"
    assert 'value="(612) 555-0199"' in client.get(url).content.decode()
    form = {"preferred_language": "en", "consent_to_contact": "on", "contact_method": "phone",
            "phone": "(612) 555-0199", "email": "victim@example.org", "address": "12 Hidden Lane",
            "version": 1}  # fmt: skip
    response = client.post(url, form, follow=True)
    assert "Nothing was changed" in response.content.decode()
    bad = client.post(url, form | {"phone": "12"})
    assert bad.status_code == 200 and "is not a valid phone number" in bad.content.decode()
