"""The outbox: idempotent planning, exactly-once dispatch, retries, cancellation."""

import smtplib
import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.utils import timezone

from mediation import services as mediation
from mediation.reminders import plan_meeting_reminders
from tests.conftest import require
from tests.mediation.helpers import case_in_preparation
from vom.core.errors import DomainError
from vom.notifications.models import Notification
from vom.notifications.services import Outgoing, message_id, notifications_dispatch, notifications_queue


@pytest.fixture
def prep_case(program, coordinator, mediator):
    case = case_in_preparation(program, coordinator, mediator)
    victim = case.parties.get(role="victim")
    victim.consent_to_contact, victim.contact_method, victim.email = True, "email", "ana@example.org"
    victim.save()
    return case


def schedule_in(case, actor, hours, kind="prep_victim", attendees=None):
    return mediation.meeting_schedule(
        case=case, actor=actor, kind=kind, scheduled_for=timezone.now() + timedelta(hours=hours),
        location="Program office", attendees=attendees or list(case.parties.filter(role="victim")),
    )  # fmt: skip


@pytest.mark.django_db
def test_scheduling_a_meeting_queues_its_reminders_in_the_same_transaction(prep_case, mediator):
    meeting = schedule_in(prep_case, mediator, hours=72)
    keys = set(Notification.objects.values_list("dedupe_key", flat=True))
    assert len(keys) == 4  # 48 h and 2 h, to the lead mediator and to the consenting victim
    assert all(key.startswith(f"meeting:{meeting.pk}:") for key in keys)
    assert Notification.objects.filter(email="ana@example.org").count() == 2


@pytest.mark.django_db
def test_planning_twice_adds_nothing(prep_case, mediator):
    schedule_in(prep_case, mediator, hours=30)
    first = Notification.objects.count()
    assert plan_meeting_reminders() == 0
    assert plan_meeting_reminders() == 0
    assert Notification.objects.count() == first


@pytest.mark.django_db
def test_parties_without_email_consent_get_nothing(prep_case, mediator):
    victim = prep_case.parties.get(role="victim")
    victim.contact_method = "phone"
    victim.save()
    schedule_in(prep_case, mediator, hours=30)
    assert not Notification.objects.filter(email="ana@example.org").exists()
    assert Notification.objects.filter(user=mediator).exists()


@pytest.mark.django_db
def test_due_reminders_are_sent_once_with_a_calendar_entry(prep_case, mediator):
    schedule_in(prep_case, mediator, hours=1)  # only the 2-hour reminder, due now
    assert notifications_dispatch() == {"sent": 2, "retry": 0, "failed": 0, "skipped": 0}
    assert notifications_dispatch()["sent"] == 0
    assert len(mail.outbox) == 2
    message = next(m for m in mail.outbox if m.to == ["ana@example.org"])
    assert message.subject.startswith("Reminder: Preparation meeting, victim side on ")
    assert "Program office" in message.body
    name, ics, mime = message.attachments[0]
    assert (name, mime) == ("meeting.ics", "text/calendar; method=REQUEST")
    assert "BEGIN:VEVENT" in ics and "LOCATION:Program office" in ics
    assert "ana@example.org" not in next(m for m in mail.outbox if m.to == [mediator.email]).body


@pytest.mark.django_db
def test_moving_a_meeting_cancels_the_old_reminders(prep_case, mediator):
    meeting = schedule_in(prep_case, mediator, hours=30)
    mediation.meeting_reschedule(
        meeting=meeting,
        expected_version=meeting.version,
        actor=mediator,
        scheduled_for=timezone.now() + timedelta(hours=40),
    )
    assert Notification.objects.filter(status="cancelled").count() == 4
    assert Notification.objects.filter(status="pending").count() == 4


@pytest.mark.django_db
def test_a_template_missing_a_variable_is_refused(mediator):
    with pytest.raises(DomainError, match="missing case_number"):
        notifications_queue(
            [Outgoing(dedupe_key="x", template="meeting_reminder", due_at=timezone.now(), user=mediator,
                      context={"kind": "x", "when": "x", "place": "x", "ics": {}})]
        )  # fmt: skip
    assert not Notification.objects.exists()


class RefusingBackend(BaseEmailBackend):
    """An SMTP server that refuses everything: the outside boundary, and the only thing mocked here."""

    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused({"x@example.org": (550, b"no such user")})


@pytest.mark.django_db
def test_smtp_refusals_retry_with_backoff_then_fail_visibly(prep_case, mediator, settings):
    settings.EMAIL_BACKEND = "tests.notifications.test_outbox.RefusingBackend"
    schedule_in(prep_case, mediator, hours=1)
    now = timezone.now()
    assert notifications_dispatch(now=now)["retry"] == 2
    row = Notification.objects.first()
    assert row.status == "pending" and row.attempts == 1 and "SMTPRecipientsRefused" in row.last_error
    assert row.due_at > now
    for attempt in range(2, 6):
        notifications_dispatch(now=now + timedelta(days=attempt))
    assert set(Notification.objects.values_list("status", flat=True)) == {"failed"}
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_dispatchers_send_each_notification_once(mediator, settings):
    require(connection.vendor == "postgresql", "needs PostgreSQL for truly concurrent claims")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    notifications_queue(
        [Outgoing(dedupe_key=f"k{i}", template="meeting_reminder", due_at=timezone.now(), user=mediator,
                  context={"case_number": "1", "kind": "Meeting", "when": "now", "place": "here", "ics": {}})
         for i in range(60)]
    )  # fmt: skip
    results = []

    def run():
        try:
            results.append(notifications_dispatch())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r["sent"] for r in results) == 60
    assert len(mail.outbox) == 60
    assert Notification.objects.filter(status="sent").count() == 60


def queue_one(mediator, key="k"):
    notifications_queue(
        [Outgoing(dedupe_key=key, template="meeting_reminder", due_at=timezone.now(), user=mediator,
                  context={"case_number": "1", "kind": "Meeting", "when": "now", "place": "here", "ics": {}})]
    )  # fmt: skip
    return Notification.objects.get(dedupe_key=key)


@pytest.mark.django_db
def test_a_claim_whose_worker_died_is_sent_once_its_lease_runs_out(mediator, settings):
    settings.NOTIFICATION_CLAIM_SECONDS = 60
    row = queue_one(mediator)
    # What a worker killed after its claim leaves behind: a row in SENDING.
    Notification.objects.filter(pk=row.pk).update(status="sending", claimed_at=timezone.now(), attempts=1)
    assert notifications_dispatch()["sent"] == 0  # the lease still runs: maybe that worker is only slow
    Notification.objects.filter(pk=row.pk).update(claimed_at=timezone.now() - timedelta(seconds=61))
    assert notifications_dispatch()["sent"] == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, len(mail.outbox)) == ("sent", 2, 1)


@pytest.mark.django_db
def test_a_notification_whose_claims_keep_dying_fails_visibly(mediator, settings):
    settings.NOTIFICATION_CLAIM_SECONDS = 60
    row = queue_one(mediator)
    Notification.objects.filter(pk=row.pk).update(
        status="sending", claimed_at=timezone.now() - timedelta(seconds=61), attempts=5
    )
    assert notifications_dispatch()["sent"] == 0
    row.refresh_from_db()
    assert row.status == "failed" and "stopped" in row.last_error


@pytest.mark.django_db
def test_every_attempt_at_a_message_carries_the_same_message_id(mediator, settings):
    row = queue_one(mediator)
    settings.EMAIL_BACKEND = "tests.notifications.test_outbox.RefusingBackend"
    notifications_dispatch()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    notifications_dispatch(now=timezone.now() + timedelta(hours=1))
    row.refresh_from_db()
    assert row.status == "sent" and row.attempts == 2
    sent = mail.outbox[0].message()
    assert sent["Message-ID"] == message_id(row)
    assert sent["Message-ID"].startswith(f"<vom.notification.{row.pk}.") and sent["Message-ID"].endswith("@localhost>")
