"""Calendar entries: one entry per meeting, updated when it moves, removed when it is cancelled.

Every entry the app sends is parsed with the icalendar library, as a calendar program would read it."""

from datetime import UTC, timedelta
from io import StringIO

import icalendar
import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from mediation import services as mediation
from mediation.models import Meeting
from mediation.reminders import plan_meeting_reminders
from tests.mediation.helpers import case_in_preparation
from vom.notifications.calendar import meeting_uid
from vom.notifications.services import notifications_dispatch


@pytest.fixture
def prep_case(program, coordinator, mediator):
    case = case_in_preparation(program, coordinator, mediator)
    victim = case.parties.get(role="victim")
    victim.consent_to_contact, victim.contact_method, victim.email = True, "email", "ana@example.org"
    victim.save()
    return case


def entries(messages) -> list[tuple[str, icalendar.Calendar]]:
    """(recipient, parsed calendar) for every calendar attachment sent, checked as a calendar would."""
    found = []
    for message in messages:
        for name, content, mime in message.attachments:
            assert name == "meeting.ics"
            assert all(len(line.encode()) <= 75 for line in content.split("\r\n")), "lines must be folded"
            calendar = icalendar.Calendar.from_ical(content)
            assert mime == f"text/calendar; method={calendar['METHOD']}"
            found.append((message.to[0], calendar))
    return found


def event(calendar):
    (only,) = calendar.walk("VEVENT")
    return only


def send_due(now):
    mail.outbox.clear()
    with time_machine.travel(now, tick=False):
        notifications_dispatch(now=now)
    return entries(mail.outbox)


@pytest.mark.django_db
def test_both_reminders_carry_one_entry_with_the_time_of_sending(prep_case, mediator):
    start = (timezone.now() + timedelta(days=4)).replace(microsecond=0)
    victim = prep_case.parties.get(role="victim")
    meeting = mediation.meeting_schedule(
        case=prep_case, actor=mediator, kind="prep_victim", scheduled_for=start, attendees=[victim],
        location="Program office, 12 Long Street, Room 3 (ring the bell at the side door; the front is locked)",
    )  # fmt: skip
    first = send_due(start - timedelta(hours=48))
    second = send_due(start - timedelta(hours=2))
    assert {to for to, _ in first} == {to for to, _ in second} == {mediator.email, "ana@example.org"}
    for sent_at, batch in ((start - timedelta(hours=48), first), (start - timedelta(hours=2), second)):
        for _, calendar in batch:
            entry = event(calendar)
            assert str(calendar["METHOD"]) == "REQUEST"
            assert str(entry["UID"]) == meeting_uid(meeting.pk)  # the same entry, not a second one
            assert int(entry["SEQUENCE"]) == 0
            assert entry.decoded("DTSTAMP") == sent_at.astimezone(UTC)  # when it was sent, not the start
            assert entry.decoded("DTSTART") == start.astimezone(UTC)
            assert entry.decoded("DTEND") - entry.decoded("DTSTART") == timedelta(minutes=60)
            assert str(entry["LOCATION"]).endswith("the front is locked)")
    ana = next(calendar for to, calendar in first if to == "ana@example.org")
    assert str(event(ana)["ATTENDEE"]) == "mailto:ana@example.org"
    assert mediator.email not in ana.to_ical().decode()  # a party's entry names only the party


@pytest.mark.django_db
def test_a_reschedule_updates_the_entry_at_once_with_a_higher_sequence(prep_case, mediator):
    start = (timezone.now() + timedelta(days=1)).replace(microsecond=0)
    victim = prep_case.parties.get(role="victim")
    meeting = mediation.meeting_schedule(case=prep_case, actor=mediator, kind="prep_victim", scheduled_for=start,
                                         location="Program office", attendees=[victim])  # fmt: skip
    send_due(timezone.now())  # the 48-hour reminder is already due: both calendars hold the entry
    later = start + timedelta(days=3)
    meeting = mediation.meeting_reschedule(
        meeting=meeting, expected_version=meeting.version, actor=mediator, scheduled_for=later
    )
    update = send_due(timezone.now())
    assert {to for to, _ in update} == {mediator.email, "ana@example.org"}
    assert all(m.subject.startswith("Meeting moved:") for m in mail.outbox)
    for _, calendar in update:
        entry = event(calendar)
        assert str(calendar["METHOD"]) == "REQUEST" and str(entry["UID"]) == meeting_uid(meeting.pk)
        assert int(entry["SEQUENCE"]) == 1
        assert entry.decoded("DTSTART") == later.astimezone(UTC)
    assert send_due(timezone.now()) == []  # sent once
    reminder = send_due(later - timedelta(hours=2))  # the new time's reminder keeps the new sequence
    assert {int(event(calendar)["SEQUENCE"]) for _, calendar in reminder} == {1}
    assert {str(event(calendar)["UID"]) for _, calendar in reminder} == {meeting_uid(meeting.pk)}


@pytest.mark.django_db
def test_a_cancellation_removes_the_entry_from_every_calendar_that_holds_it(prep_case, mediator):
    start = (timezone.now() + timedelta(days=1)).replace(microsecond=0)
    victim = prep_case.parties.get(role="victim")
    meeting = mediation.meeting_schedule(case=prep_case, actor=mediator, kind="prep_victim", scheduled_for=start,
                                         location="Program office", attendees=[victim])  # fmt: skip
    send_due(timezone.now())
    meeting = mediation.meeting_reschedule(
        meeting=meeting, expected_version=meeting.version, actor=mediator, scheduled_for=start + timedelta(hours=3)
    )
    send_due(timezone.now())
    mediation.meeting_cancel(meeting=meeting, expected_version=meeting.version, actor=mediator, reason="Illness")
    cancels = send_due(timezone.now())
    assert {to for to, _ in cancels} == {mediator.email, "ana@example.org"}
    for _, calendar in cancels:
        entry = event(calendar)
        assert str(calendar["METHOD"]) == "CANCEL" and str(entry["STATUS"]) == "CANCELLED"
        assert str(entry["UID"]) == meeting_uid(meeting.pk)
        assert int(entry["SEQUENCE"]) > 1  # later than the last update the calendars saw
    assert all(m.subject.startswith("Cancelled:") and "Illness" not in m.body for m in mail.outbox)
    assert send_due(start + timedelta(hours=1)) == []  # and no reminder for the cancelled meeting


@pytest.mark.django_db
def test_nothing_is_sent_to_those_who_never_got_the_entry_or_no_longer_consent(prep_case, mediator):
    start = (timezone.now() + timedelta(days=5)).replace(microsecond=0)
    victim = prep_case.parties.get(role="victim")
    quiet = mediation.meeting_schedule(case=prep_case, actor=mediator, kind="prep_victim", scheduled_for=start,
                                       location="Program office", attendees=[victim])  # fmt: skip
    mediation.meeting_cancel(meeting=quiet, expected_version=quiet.version, actor=mediator, reason="Moved away")
    assert send_due(timezone.now()) == []  # no reminder had gone out: no calendar holds it

    soon = mediation.meeting_schedule(case=prep_case, actor=mediator, kind="prep_victim", scheduled_for=start,
                                      location="Program office", attendees=[victim])  # fmt: skip
    send_due(start - timedelta(hours=47))
    victim.refresh_from_db()
    victim.contact_method = "phone"  # she asked not to be emailed any more
    victim.save()
    soon.refresh_from_db()
    with time_machine.travel(start - timedelta(hours=40), tick=False):
        mediation.meeting_cancel(meeting=soon, expected_version=soon.version, actor=mediator, reason="Illness")
    assert [to for to, _ in send_due(start - timedelta(hours=40))] == [mediator.email]


@pytest.mark.django_db
def test_the_demos_reminders_carry_entries_that_parse_with_one_uid_per_meeting():
    call_command("seed_demo", stdout=StringIO())
    plan_meeting_reminders()
    coming = Meeting.objects.filter(status="scheduled", scheduled_for__gt=timezone.now())
    assert coming.exists(), "the demo schedules meetings in the coming days"
    sent = send_due(timezone.now() + timedelta(hours=49))  # every reminder of the next two days
    assert sent
    uids = {}
    for _, calendar in sent:
        entry = event(calendar)
        uids.setdefault(str(entry["UID"]), set()).add(entry.decoded("DTSTART"))
    assert set(uids) <= {meeting_uid(pk) for pk in coming.values_list("pk", flat=True)}
    assert all(len(starts) == 1 for starts in uids.values())  # one entry, one time, whoever got it
