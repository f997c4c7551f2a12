"""Contact during follow-up is recorded, and a party's changed details take effect on what is queued."""

import datetime

import pytest

from agreements.models import Installment
from agreements.reminders import plan_follow_up_reminders
from cases.models import TimelineEvent
from mediation.models import ContactAttempt
from tests.agreements.helpers import case_in_agreement, draft_with_money, send, sign_all
from tests.mediation.helpers import TODAY
from vom.notifications.models import Notification


@pytest.fixture
def signed(program, coordinator, mediator):
    case = case_in_agreement(program, coordinator, mediator, juvenile=True)
    agreement = sign_all(send(draft_with_money(case, mediator), mediator), mediator)
    Installment.objects.filter(term__agreement=agreement, number=1).update(due_date=TODAY - datetime.timedelta(days=4))
    return agreement


@pytest.mark.django_db
def test_a_contact_about_a_missed_installment_is_on_the_follow_up_page_and_the_timeline(client, signed, mediator):
    case = signed.case
    client.force_login(mediator)
    base = f"/cases/{case.pk}/agreements/{signed.pk}/follow-up"
    page = client.get(f"{base}/").content.decode()
    missed = f"Installment 1 of $100.00 due {TODAY - datetime.timedelta(days=4):%b %-d, %Y} (Kai Lopez)"
    assert missed in page  # offered as what the contact was about
    guardian = case.parties.get(role="guardian")
    form = {"contact-party": guardian.pk, "contact-regarding": missed, "contact-method": "phone",
            "contact-result": "reached", "contact-at": "", "contact-note": "Will pay Friday."}  # fmt: skip
    bad = client.post(f"{base}/contact/", form).content.decode()
    assert "This field is required" in bad and not ContactAttempt.objects.filter(regarding=missed).exists()
    form["contact-at"] = datetime.datetime.now().strftime("%Y-%m-%dT%H:%M")
    assert client.post(f"{base}/contact/", form).status_code == 302
    attempt = ContactAttempt.objects.get(regarding=missed)
    assert (attempt.party, attempt.note) == (guardian, "Will pay Friday.")
    assert TimelineEvent.objects.filter(case=case, kind="contact", summary__contains=f"about {missed}").exists()
    assert "Will pay Friday." in client.get(f"{base}/").content.decode()
    victim = case.parties.get(role="victim")
    refused = client.post(f"{base}/contact/", form | {"contact-party": victim.pk}).content.decode()
    assert "Select a valid choice" in refused  # the victim side is not chased about payments


@pytest.mark.django_db
def test_a_changed_email_during_follow_up_reroutes_the_reminders_already_queued(client, signed, mediator):
    offender = signed.case.parties.get(role="offender")
    offender.consent_to_contact, offender.contact_method, offender.email = True, "email", "old@example.org"
    offender.save()
    Installment.objects.filter(term__agreement=signed, number=2).update(due_date=TODAY + datetime.timedelta(days=2))
    plan_follow_up_reminders()
    queued = Notification.objects.get(template="installment_due", email="old@example.org")
    client.force_login(mediator)
    url = f"/cases/{signed.case_id}/parties/{offender.pk}/edit/"
    form = {"preferred_language": "en", "consent_to_contact": "on", "contact_method": "email",
            "email": "new@example.org", "phone": "", "address": "", "accessibility_needs": "",
            "version": offender.version}  # fmt: skip
    response = client.post(url, form, follow=True)
    assert "Details of Kai Lopez saved." in response.content.decode()
    queued.refresh_from_db()
    assert (queued.email, queued.status) == ("new@example.org", "pending")
    offender.refresh_from_db()
    same = client.post(url, form | {"version": offender.version}, follow=True).content.decode()
    assert "Nothing was changed" in same
    form |= {"consent_to_contact": "", "contact_method": "", "version": offender.version}
    client.post(url, form)
    queued.refresh_from_db()
    assert queued.status == "cancelled"  # consent withdrawn: nothing more goes out
