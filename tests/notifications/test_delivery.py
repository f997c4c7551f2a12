"""Reminders delivered by a real worker through Redis; web requests keep working while Redis is down."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from mediation import services as mediation
from tests.mediation.helpers import case_in_preparation
from vom.notifications.models import Notification
from vom.notifications.tasks import dispatch_notifications


def prep_case_with_emailable_victim(program, coordinator, mediator):
    case = case_in_preparation(program, coordinator, mediator)
    victim = case.parties.get(role="victim")
    victim.consent_to_contact, victim.contact_method, victim.email = True, "email", "ana@example.org"
    victim.save()
    return case


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_reminder_is_delivered_once_by_the_worker_process(worker, tmp_path, program, coordinator, mediator):
    mailbox = tmp_path / "mail"
    worker["env"]["EMAIL_URL"] = f"filemail:///{mailbox}"
    proc = worker["start"]()
    case = prep_case_with_emailable_victim(program, coordinator, mediator)
    mediation.meeting_schedule(
        case=case, actor=mediator, kind="prep_victim", scheduled_for=timezone.now() + timedelta(hours=1),
        location="Program office", attendees=list(case.parties.filter(role="victim")),
    )  # fmt: skip
    assert Notification.objects.filter(status="pending").count() == 2
    dispatch_notifications.apply_async(queue=worker["queue"])
    dispatch_notifications.apply_async(queue=worker["queue"])  # twice: nothing may go out twice
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and Notification.objects.filter(status="sent").count() < 2:
        assert proc.poll() is None, worker["log"].read_text()
        time.sleep(0.25)
    time.sleep(1)  # let the second dispatch finish too
    assert Notification.objects.filter(status="sent").count() == 2, worker["log"].read_text()
    written = "".join(path.read_text() for path in mailbox.iterdir())
    assert written.count("Subject: Reminder: Preparation meeting, victim side") == 2
    assert "To: ana@example.org" in written
    assert "BEGIN:VCALENDAR" in written or "meeting.ics" in written


@pytest.mark.django_db
def test_web_requests_succeed_while_redis_is_down_and_dispatch_catches_up(
    client, settings, program, coordinator, mediator
):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    case = prep_case_with_emailable_victim(program, coordinator, mediator)
    client.force_login(mediator)
    when = timezone.localtime(timezone.now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    victim = case.parties.get(role="victim")
    response = client.post(
        f"/cases/{case.pk}/meetings/new/",
        {
            "kind": "prep_victim",
            "scheduled_for": when,
            "duration_minutes": 60,
            "location": "Office",
            "attendees": [victim.pk],
        },
    )
    assert response.status_code == 302
    assert client.get("/healthz").status_code == 503
    assert Notification.objects.filter(status="pending").count() == 2  # written with the meeting
    # The broker is back: the worker's periodic dispatch (run in-process here) sends what waited.
    dispatch_notifications.apply()
    assert Notification.objects.filter(status="sent").count() == 2
