"""Text messages: consent, both channels from one planner run, quiet hours, the real Twilio adapter against a
fake provider on loopback (accepts, rate-limits, fails), STOP/HELP and replies through the signed webhook."""

import base64
import hashlib
import hmac
from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.utils import timezone

from cases.models import Party
from mediation import services as mediation
from mediation.reminders import plan_meeting_reminders
from tests.mediation.helpers import case_in_preparation
from tests.notifications.fake_twilio import SENDER, SID, TOKEN, FakeTwilio
from vom.audit.models import AuditEvent
from vom.notifications.models import Notification, TextOptOut
from vom.notifications.services import notifications_dispatch
from vom.notifications.sms import FileProvider, TwilioProvider, fit, outside_quiet_hours, provider, segments

OFFENDER_PHONE, VICTIM_PHONE = "+16125550101", "+16125550199"


@pytest.fixture
def twilio(settings):
    with FakeTwilio.running() as server:
        settings.SMS_URL = server.url
        yield server


def consent_to_texts(party: Party, phone: str, by, *, email: str = ""):
    party.consent_to_contact, party.phone, party.texts_consented_at, party.texts_consent_recorded_by = (
        True, phone, timezone.now(), by,
    )  # fmt: skip
    if email:
        party.contact_method, party.email = "email", email
    party.save()
    return party


@pytest.fixture
def prep_case(program, coordinator, mediator):
    case = case_in_preparation(program, coordinator, mediator)
    consent_to_texts(case.parties.get(role="offender"), OFFENDER_PHONE, mediator, email="kai@example.org")
    consent_to_texts(case.parties.get(role="victim"), VICTIM_PHONE, mediator)
    return case


def at_local(day, hour, minute=0):
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def sign(url: str, params: dict) -> str:
    """Twilio's signature: HMAC-SHA1 of the URL followed by each field name and value, sorted by name."""
    data = url + "".join(f"{k}{params[k]}" for k in sorted(params))
    return base64.b64encode(hmac.new(TOKEN.encode(), data.encode(), hashlib.sha1).digest()).decode()


def reply(client, settings, number: str, words: str, sid: str = "SM1", *, signature: str | None = None):
    params = {"From": number, "To": SENDER, "Body": words, "MessageSid": sid, "AccountSid": SID}
    url = settings.SITE_URL.rstrip("/") + "/sms/inbound/"
    headers = {"HTTP_X_TWILIO_SIGNATURE": sign(url, params) if signature is None else signature}
    return client.post("/sms/inbound/", params, **headers)


# --- Length -------------------------------------------------------------------------------------------------


def test_segments_are_counted_as_phones_count_them():
    assert segments("a" * 160) == segments("a" * 160) and segments("a" * 160).count == 1
    assert segments("a" * 161).count == 2 and segments("a" * 306).count == 2 and segments("a" * 307).count == 3
    assert segments("€" * 80).units == 160 and segments("€" * 80).count == 1  # the extension set costs two
    assert segments("ñ" * 160).encoding == "GSM-7"  # Spanish ñ is in GSM-7
    assert segments("í" * 70) == segments("í" * 70) and segments("í" * 70).encoding == "UCS-2"
    assert segments("í" * 70).count == 1 and segments("í" * 71).count == 2 and segments("í" * 135).count == 3
    assert segments("🙂" * 35).units == 70 and segments("🙂" * 35).count == 1  # outside the BMP: two units


def test_a_long_text_is_cut_to_two_segments_with_an_ellipsis():
    assert fit("short") == "short"
    for text, longest, ellipsis in (("word " * 200, 306, "..."), ("palabra í " * 100, 134, "…")):
        cut = fit(text + ". Reply STOP to end texts.")
        assert cut.endswith(ellipsis + " Reply STOP to end texts.") and segments(cut).count == 2
        assert segments(cut).units >= longest - 5  # cut at the limit, not far before it


# --- Quiet hours --------------------------------------------------------------------------------------------


def test_quiet_hours_cross_midnight_and_move_a_text_out_of_them():
    day = timezone.localdate()
    quiet = {"start": time(20, 0), "end": time(8, 0)}
    assert outside_quiet_hours(at_local(day, 19, 59), **quiet) == at_local(day, 19, 59)
    assert outside_quiet_hours(at_local(day, 22, 30), **quiet) == at_local(day + timedelta(days=1), 8)
    assert outside_quiet_hours(at_local(day, 6, 0), **quiet) == at_local(day, 8)
    assert outside_quiet_hours(at_local(day, 7, 0), **quiet, earlier=True) == at_local(day - timedelta(days=1), 19, 59)
    assert outside_quiet_hours(at_local(day, 8, 0), **quiet) == at_local(day, 8)


@pytest.mark.django_db
def test_a_two_hour_text_before_a_morning_meeting_goes_the_evening_before(prep_case, mediator):
    day = timezone.localdate() + timedelta(days=4)
    offender = prep_case.parties.get(role="offender")
    mediation.meeting_schedule(case=prep_case, actor=mediator, kind="prep_offender", scheduled_for=at_local(day, 9),
                               location="Program office", attendees=[offender])  # fmt: skip
    texts = Notification.objects.filter(channel="sms").order_by("due_at")
    assert [timezone.localtime(t.due_at) for t in texts] == [
        at_local(day - timedelta(days=2), 9),  # 48 hours ahead: inside the window
        at_local(day - timedelta(days=1), 19, 59),  # 2 hours ahead would be 07:00: the evening before
    ]
    emails = Notification.objects.filter(channel="email", email="kai@example.org").order_by("due_at")
    assert [timezone.localtime(e.due_at) for e in emails][1] == at_local(day, 7)  # email keeps its time


# --- Both channels, once each -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_one_planner_run_texts_and_emails_a_party_who_chose_both_each_once(prep_case, mediator):
    offender = prep_case.parties.get(role="offender")
    start = at_local(timezone.localdate() + timedelta(days=5), 14)
    meeting = mediation.meeting_schedule(case=prep_case, actor=mediator, kind="prep_offender", scheduled_for=start,
                                         location="Program office", attendees=[offender])  # fmt: skip
    party_rows = Notification.objects.filter(case_id=prep_case.pk).exclude(user__isnull=False)
    assert sorted(party_rows.values_list("channel", flat=True)) == ["email", "email", "sms", "sms"]
    assert set(party_rows.filter(channel="sms").values_list("phone", flat=True)) == {OFFENDER_PHONE}
    assert plan_meeting_reminders(meeting_ids=[meeting.pk]) == 0


@pytest.mark.django_db
def test_no_text_without_consent_or_to_a_number_that_is_not_e164(prep_case, mediator, coordinator):
    offender = prep_case.parties.get(role="offender")
    Party.objects.filter(pk=offender.pk).update(texts_consented_at=None)
    victim = prep_case.parties.get(role="victim")
    Party.objects.filter(pk=victim.pk).update(phone="555-0199")  # typed before numbers were checked
    for kind, party in (("prep_offender", offender), ("prep_victim", victim)):
        mediation.meeting_schedule(case=prep_case, actor=mediator, kind=kind, location="Office", attendees=[party],
                                   scheduled_for=timezone.now() + timedelta(days=3))  # fmt: skip
    assert not Notification.objects.filter(channel="sms").exists()


# --- The real adapter against the fake provider -------------------------------------------------------------


def schedule_soon(case, mediator, role="offender"):
    party = case.parties.get(role=role)
    with time_machine.travel(at_local(timezone.localdate(), 12), tick=False):
        return mediation.meeting_schedule(
            case=case, actor=mediator, kind=f"prep_{role}", scheduled_for=timezone.now() + timedelta(hours=1),
            location="Program office", attendees=[party],
        )  # fmt: skip


@pytest.mark.django_db
def test_the_twilio_adapter_sends_each_text_once_with_the_providers_id(prep_case, mediator, twilio):
    schedule_soon(prep_case, mediator)
    noon = at_local(timezone.localdate(), 12)
    with time_machine.travel(noon, tick=False):
        assert notifications_dispatch(now=noon)["sent"] == 3  # the mediator's email, the offender's email and text
        assert notifications_dispatch(now=noon)["sent"] == 0
    (sent,) = twilio.received
    assert sent["To"] == OFFENDER_PHONE and sent["From"] == SENDER
    assert sent["Body"].startswith("Meeting, case ") and sent["Body"].endswith("Reply STOP to end texts.")
    assert "offender" not in sent["Body"]  # a lock screen shows texts: they do not say which side a person is
    assert segments(sent["Body"]).count <= 2
    text = Notification.objects.get(channel="sms")
    assert (text.status, text.provider_id) == ("sent", f"SM{1:032d}")


@pytest.mark.django_db
def test_a_rate_limit_and_a_provider_outage_are_retried_with_backoff(prep_case, mediator, twilio):
    schedule_soon(prep_case, mediator)
    twilio.answers = [429, 503]
    noon = at_local(timezone.localdate(), 12)
    with time_machine.travel(noon, tick=False):
        notifications_dispatch(now=noon)
    text = Notification.objects.get(channel="sms")
    assert (text.status, text.attempts, text.due_at) == ("pending", 1, noon + timedelta(minutes=2))
    assert "429" in text.last_error
    later = noon + timedelta(minutes=2)
    with time_machine.travel(later, tick=False):
        notifications_dispatch(now=later)
    text.refresh_from_db()
    assert (text.status, text.attempts, text.due_at) == ("pending", 2, later + timedelta(minutes=4))
    assert "503" in text.last_error
    last = later + timedelta(minutes=4)
    with time_machine.travel(last, tick=False):
        notifications_dispatch(now=last)
    text.refresh_from_db()
    assert (text.status, text.attempts, text.last_error) == ("sent", 3, "")
    assert [r["answered"] for r in twilio.received] == [429, 503, 201]


@pytest.mark.django_db
def test_a_number_that_cannot_take_texts_fails_at_once_and_one_that_keeps_failing_after_five(
    prep_case, mediator, twilio
):
    schedule_soon(prep_case, mediator)
    twilio.answers = [400]
    noon = at_local(timezone.localdate(), 12)
    with time_machine.travel(noon, tick=False):
        notifications_dispatch(now=noon)
    text = Notification.objects.get(channel="sms")
    assert (text.status, text.attempts) == ("failed", 1) and "21211" in text.last_error

    Notification.objects.filter(pk=text.pk).update(status="pending", attempts=0, due_at=noon, last_error="")
    twilio.answers = [500] * 5
    moment = noon
    for _ in range(5):
        with time_machine.travel(moment, tick=False):
            notifications_dispatch(now=moment)
        moment += timedelta(hours=1)
    text.refresh_from_db()
    assert (text.status, text.attempts) == ("failed", 5)


@pytest.mark.django_db
def test_a_text_due_in_quiet_hours_waits_and_is_not_counted_as_an_attempt(prep_case, mediator, twilio):
    schedule_soon(prep_case, mediator)
    night = at_local(timezone.localdate(), 23)
    Notification.objects.filter(channel="sms").update(due_at=night)  # a retry that fell due at night
    with time_machine.travel(night, tick=False):
        notifications_dispatch(now=night)
    text = Notification.objects.get(channel="sms")
    assert (text.status, text.attempts) == ("pending", 0)
    assert timezone.localtime(text.due_at) == at_local(timezone.localdate() + timedelta(days=1), 8)
    assert twilio.received == []


@pytest.mark.django_db
def test_without_a_provider_texts_are_written_to_files(prep_case, mediator, settings, tmp_path):
    settings.SMS_URL = f"file://{tmp_path}"
    schedule_soon(prep_case, mediator)
    noon = at_local(timezone.localdate(), 12)
    with time_machine.travel(noon, tick=False):
        notifications_dispatch(now=noon)
    (written,) = tmp_path.iterdir()
    content = written.read_text()
    assert content.startswith(f"To: {OFFENDER_PHONE}\n") and "Reply STOP to end texts." in content


# --- Replies through the signed webhook ---------------------------------------------------------------------


@pytest.mark.django_db
def test_an_unsigned_or_wrongly_signed_reply_is_refused_and_changes_nothing(client, settings, prep_case, twilio):
    for signature in ("", "bm90IHRoZSByaWdodCBvbmU="):
        response = reply(client, settings, OFFENDER_PHONE, "STOP", signature=signature)
        assert response.status_code == 403
    assert not TextOptOut.objects.exists()
    assert prep_case.parties.get(role="offender").texts_consented_at is not None
    assert AuditEvent.objects.filter(action="refused", what__startswith="text webhook").count() == 2


@pytest.mark.django_db
def test_stop_ends_every_text_to_that_number_in_every_case_and_is_confirmed_once(
    client, settings, prep_case, program, coordinator, mediator, twilio
):
    other = case_in_preparation(program, coordinator, mediator)
    consent_to_texts(other.parties.get(role="offender"), OFFENDER_PHONE, mediator)  # the same young person
    schedule_soon(prep_case, mediator)
    queued = Notification.objects.get(channel="sms")
    response = reply(client, settings, OFFENDER_PHONE, " Stop ")
    assert response.status_code == 200 and response["Content-Type"] == "text/xml"
    assert reply(client, settings, OFFENDER_PHONE, "STOP", sid="SM2").status_code == 200  # said twice
    assert not Party.objects.filter(phone=OFFENDER_PHONE, texts_consented_at__isnull=False).exists()
    queued.refresh_from_db()
    assert queued.status == "cancelled"
    assert AuditEvent.objects.filter(action="text", what="text reply taken as stop").count() == 4  # 2 cases, twice
    assert other.timeline.filter(summary__contains="replied STOP").count() == 1

    notifications_dispatch()  # replies are answered at once, whatever the hour
    notifications_dispatch()
    assert [r["Body"] for r in twilio.received] == [
        f"{program.name}: you will get no more texts from us. Reply START to receive texts again."
    ]
    # Consent given again by mistake: still nothing goes to a number that said STOP.
    consent_to_texts(prep_case.parties.get(role="offender"), OFFENDER_PHONE, mediator)
    mediation.meeting_schedule(case=prep_case, actor=mediator, kind="prep_offender", location="Office",
                               attendees=[prep_case.parties.get(role="offender")],
                               scheduled_for=timezone.now() + timedelta(days=3))  # fmt: skip
    assert not Notification.objects.filter(channel="sms", status="pending").exists()


@pytest.mark.django_db
def test_help_gets_the_programs_name_and_phone_and_start_lifts_the_block(client, settings, prep_case, program, twilio):
    type(program).objects.filter(pk=program.pk).update(phone="(612) 555-0100")
    reply(client, settings, OFFENDER_PHONE, "help")
    notifications_dispatch()
    reply(client, settings, OFFENDER_PHONE, "STOP", sid="SM2")
    reply(client, settings, OFFENDER_PHONE, "START", sid="SM3")
    assert not TextOptOut.objects.exists()
    notifications_dispatch()
    bodies = [r["Body"] for r in twilio.received]
    assert bodies[0] == f"{program.name}: reminders about your mediation case. Questions? Call (612) 555-0100. " + (
        "Reply STOP to end texts."
    )
    assert len(bodies) == 3 and "Reply START" in bodies[1] and "once your mediator confirms" in bodies[2]


@pytest.mark.django_db
def test_any_other_reply_is_shown_to_the_mediators_and_never_answered(client, settings, prep_case, mediator, twilio):
    assert reply(client, settings, VICTIM_PHONE, "Can we meet on Friday instead?").status_code == 200
    (notice,) = Notification.objects.filter(template="text_reply")
    assert (notice.user, notice.channel, notice.case_id) == (mediator, "in_app", prep_case.pk)
    assert notice.context["words"] == "Can we meet on Friday instead?"
    notifications_dispatch()
    assert twilio.received == []  # nothing answers the victim by itself
    client.force_login(mediator)
    assert "Text reply from Ana Price" in client.get("/notifications/").content.decode()
    audit = AuditEvent.objects.get(action="text")
    assert "Friday" not in audit.what  # the words stay out of the audit trail


def test_the_provider_comes_from_sms_url(settings, tmp_path):
    settings.SMS_URL = ""
    assert isinstance(provider(), FileProvider) and provider().folder == settings.VAR_DIR / "sms"
    settings.SMS_URL = f"twilio://{SID}:{TOKEN}@api.twilio.com?messaging_service=MG123"
    chosen = provider()
    assert isinstance(chosen, TwilioProvider) and chosen.sender == {"messaging_service_sid": "MG123"}
    assert chosen.client.api.base_url == "https://api.twilio.com"
    settings.SMS_URL = "carrier-pigeon://x"
    with pytest.raises(ValueError, match="unknown provider"):
        provider()


@pytest.mark.django_db
def test_the_case_page_and_the_dashboard_count_texts_sent_failed_and_opted_out(
    client, settings, prep_case, program, coordinator, mediator, twilio
):
    schedule_soon(prep_case, mediator)
    schedule_soon(prep_case, mediator, role="victim")
    twilio.answers = [201, 400]  # the offender's text goes, the victim's number cannot take texts
    noon = at_local(timezone.localdate(), 12)
    with time_machine.travel(noon, tick=False):
        notifications_dispatch(now=noon)
    reply(client, settings, VICTIM_PHONE, "STOP")
    client.force_login(mediator)
    page = client.get(f"/cases/{prep_case.pk}/").content.decode()
    assert "Texts to parties: 1 sent, 1 failed, 0 waiting." in page
    assert "<strong>Replied STOP</strong>: no texts" in page
    client.force_login(coordinator)
    board = client.get("/dashboard/", {"program": program.pk, "start": timezone.localdate() - timedelta(days=30),
                                       "end": timezone.localdate()}).content.decode()  # fmt: skip
    section = board[board.index('id="texts-title"') :]
    figures = [value.split("</span>")[0] for value in section.split('<span class="figure__value">')[1:4]]
    assert figures == ["1", "1", "1"]  # sent, failed, opted out


@pytest.mark.django_db
def test_a_spanish_speaker_is_texted_in_spanish_within_two_segments(prep_case, mediator, twilio):
    Party.objects.filter(pk=prep_case.parties.get(role="offender").pk).update(preferred_language="es")
    schedule_soon(prep_case, mediator)
    noon = at_local(timezone.localdate(), 12)
    with time_machine.travel(noon, tick=False):
        notifications_dispatch(now=noon)
    (sent,) = twilio.received
    assert sent["Body"].startswith("Reunión, caso ") and "¿No puede venir? Llame al programa." in sent["Body"]
    assert sent["Body"].endswith("Responda STOP para cancelar.")  # the keyword stays STOP
    assert segments(sent["Body"]).encoding == "UCS-2" and segments(sent["Body"]).count <= 2
    assert Notification.objects.get(channel="sms").language == "es"
