"""Everything a party is sent or opens, in their own language, chosen per recipient."""

import datetime
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from agreements.reminders import plan_follow_up_reminders
from mediation import services as mediation
from mediation.reminders import plan_meeting_reminders
from mediation.selectors import interpreter_warnings
from surveys.models import SurveyInvitation
from surveys.services import survey_invitations_plan
from surveys.tokens import invitation_token
from tests.agreements.helpers import case_in_agreement, send, sign_all
from tests.mediation.helpers import TODAY, case_in_preparation
from tests.surveys.conftest import emailable
from vom.notifications.models import Notification
from vom.notifications.services import notifications_dispatch

from .helpers import bilingual_draft, speaks


def sent_to(address):
    return [m for m in mail.outbox if address in m.to]


@pytest.mark.django_db
def test_one_meeting_reminds_the_spanish_speaker_in_spanish_and_the_other_in_english(program, coordinator, mediator):
    case = case_in_preparation(program, coordinator, mediator)
    offender = speaks(emailable(case.parties.get(role="offender"), "kai@example.org"), "es", interpreter=True)
    victim = emailable(case.parties.get(role="victim"), "ana@example.org")
    when = timezone.now() + timedelta(hours=30)
    mediation.meeting_schedule(case=case, actor=mediator, kind="joint", scheduled_for=when, location="Biblioteca",
                               attendees=[offender, victim])  # fmt: skip
    assert set(Notification.objects.filter(email="kai@example.org").values_list("language", flat=True)) == {"es"}
    notifications_dispatch()  # the reminder 48 hours ahead (or at once, when scheduled later than that)
    (spanish,) = sent_to("kai@example.org")
    (english,) = sent_to("ana@example.org")
    assert spanish.subject.startswith("Recordatorio: Sesión conjunta el ")
    assert "Este es un recordatorio de la sesión conjunta del caso" in spanish.body
    assert " de 20" in spanish.subject and " a las " in spanish.subject  # "jueves, 4 de diciembre de 2026 a las …"
    assert english.subject.startswith("Reminder: Joint session on ")
    calendar = spanish.attachments[0][1]
    assert f"SUMMARY;LANGUAGE=es:Sesión conjunta (caso {case.number})" in calendar
    (staff,) = sent_to(mediator.email)
    assert "Spanish interpreter not yet booked!" in staff.body  # the mediator knows what to expect


@pytest.mark.django_db
def test_installment_reminders_go_to_each_recipient_in_their_language(program, coordinator, mediator):
    case = case_in_agreement(program, coordinator, mediator, juvenile=True)
    speaks(emailable(case.parties.get(role="offender"), "kai@example.org"), "es")
    emailable(case.parties.get(role="guardian"), "rita@example.org")  # the guardian reads English
    sign_all(send(bilingual_draft(case, mediator), mediator), mediator)
    Notification.objects.all().delete()
    due = TODAY + datetime.timedelta(days=14)
    plan_follow_up_reminders(now=timezone.now() + timedelta(days=12))
    notifications_dispatch(now=timezone.now() + timedelta(days=12))
    (spanish,) = sent_to("kai@example.org")
    (english,) = sent_to("rita@example.org")
    assert spanish.subject.startswith("Pago de $250.00 con vencimiento el ")
    assert f"{due.day} de " in spanish.subject
    assert "Un recordatorio amable de Riverbend VOM" in spanish.body
    assert english.subject.startswith("Payment of $250.00 due ")


@pytest.mark.django_db
def test_a_spanish_speaker_is_invited_to_the_survey_and_answers_it_in_spanish(client, program, coordinator, mediator):
    case = case_in_agreement(program, coordinator, mediator)
    speaks(emailable(case.parties.get(role="offender"), "kai@example.org"), "es")
    Notification.objects.all().delete()
    survey_invitations_plan()
    notifications_dispatch()
    (email,) = sent_to("kai@example.org")
    assert email.subject == "¿Cómo fue su mediación? Unas preguntas de Riverbend VOM"
    assert "El enlace funciona una vez, hasta el" in email.body
    invitation = SurveyInvitation.objects.get(party__role="offender")
    url = f"/survey/{invitation_token(invitation)}/"
    page = client.get(url)
    body = page.content.decode()
    assert page["Content-Language"] == "es" and '<html lang="es">' in body
    for text in ["¿Cómo fue su mediación?", "El proceso fue justo.", "Prefiero no decirlo", "Enviar mis respuestas"]:
        assert text in body
    refused = client.post(url, {"fair": "5"}).content.decode()
    assert "Hay un problema" in refused and "No se guardó nada." in refused
    assert "Elija una respuesta, o «Prefiero no decirlo»." in refused
    answers = {"fair": "5", "satisfied": "4", "safe": "5", "heard": "5", "recommend": "skip", "comment": ""}
    response = client.post(url, answers, follow=True)
    assert "Recibimos sus respuestas" in response.content.decode()
    again = client.get(url)
    assert again.status_code == 410 and "Este enlace ya no es válido" in again.content.decode()


@pytest.mark.django_db
def test_an_english_speaker_keeps_english_pages(client, program, coordinator, mediator):
    case = case_in_agreement(program, coordinator, mediator)
    emailable(case.parties.get(role="offender"), "kai@example.org")
    survey_invitations_plan()
    invitation = SurveyInvitation.objects.get(party__role="offender")
    body = client.get(f"/survey/{invitation_token(invitation)}/").content.decode()
    assert "How was your mediation?" in body and '<html lang="en">' in body


@pytest.mark.django_db
def test_booking_the_interpreter_clears_the_warning_and_tells_the_mediators(client, program, coordinator, mediator):
    case = case_in_preparation(program, coordinator, mediator)
    offender = speaks(case.parties.get(role="offender"), "so")  # Somali: no documents, an interpreter at meetings
    when = timezone.now() + timedelta(hours=60)
    meeting = mediation.meeting_schedule(case=case, actor=mediator, kind="prep_offender", scheduled_for=when,
                                         location="Office", attendees=[offender])  # fmt: skip
    client.force_login(mediator)
    for page in [f"/cases/{case.pk}/", f"/cases/{case.pk}/meetings/{meeting.pk}/"]:
        assert "Somali interpreter not yet booked" in client.get(page).content.decode()
    assert "Somali interpreter not yet booked for the preparation meeting" in client.get("/my/").content.decode()
    url = f"/cases/{case.pk}/meetings/{meeting.pk}/interpreter/"
    refused = client.post(url, {"version": meeting.version, "interpreter": "", "interpreter_language": "so"})
    assert refused.status_code == 200 and "This field is required." in refused.content.decode()
    booked = client.post(url, {"version": meeting.version, "interpreter": "Hodan Ali (Twin Cities Interpreting)",
                               "interpreter_language": "so"}, follow=True)  # fmt: skip
    assert "Interpreter recorded." in booked.content.decode()
    assert "interpreter not yet booked" not in client.get(f"/cases/{case.pk}/").content.decode()
    reminder = Notification.objects.filter(user=mediator, status="pending").first()
    assert reminder.context["interpreter"] == "Interpreter: Hodan Ali (Twin Cities Interpreting) (Somali)."
    stale = client.post(url, {"version": meeting.version, "interpreter": "Someone else", "interpreter_language": "so"})
    assert "changed by someone else" in stale.content.decode()


@pytest.mark.django_db
def test_scheduling_with_the_interpreter_named_raises_no_warning(program, coordinator, mediator):
    case = case_in_preparation(program, coordinator, mediator)
    offender = speaks(case.parties.get(role="offender"), "es", interpreter=True)
    meeting = mediation.meeting_schedule(
        case=case, actor=mediator, kind="prep_offender", scheduled_for=timezone.now() + timedelta(days=3),
        location="Office", attendees=[offender], interpreter="Lucía Herrera", interpreter_language="es",
    )  # fmt: skip
    assert interpreter_warnings(meeting) == []
    plan_meeting_reminders(meeting_ids=[meeting.pk])
    reminder = Notification.objects.filter(user=mediator).first()
    assert reminder.context["interpreter"] == "Interpreter: Lucía Herrera (Spanish)."


@pytest.mark.django_db
def test_scheduling_asks_for_the_interpreter_the_invited_need(client, program, coordinator, mediator):
    case = case_in_preparation(program, coordinator, mediator)
    speaks(case.parties.get(role="offender"), "so")
    client.force_login(mediator)
    page = client.get(f"/cases/{case.pk}/meetings/new/?kind=prep_offender")
    form = page.context["form"]
    assert form["interpreter_language"].initial == "so"
    assert "Somali interpreter needed." in page.content.decode()
    victim_side = client.get(f"/cases/{case.pk}/meetings/new/?kind=prep_victim").context["form"]
    assert victim_side["interpreter_language"].initial in (None, "")
