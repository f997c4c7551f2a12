"""Drill: Redis stopped and started again while people work.

gunicorn serves the app (production settings) with a Redis of the drill's own as cache and broker, and a
real worker listens on it. While Redis is down nobody may see an error: pages, sign-in and changes that
queue reminders all succeed, /healthz says 503 within about a second. When it is back, the reminders
written meanwhile (outbox rows in PostgreSQL) are delivered by the same worker, reconnected by itself.
"""

import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from devtools.serve import code_step, sign_in, wait_until
from tests.drills.conftest import PASSWORD, send_task, web_password
from tests.mediation.helpers import case_in_preparation
from tests.two_factor import code_for, give_authenticator
from vom.notifications.models import Notification
from vom.notifications.tasks import dispatch_notifications

pytestmark = pytest.mark.services


class Traffic(threading.Thread):
    """A mediator clicking through their pages without pause, recording every answer."""

    def __init__(self, client, paths):
        super().__init__(daemon=True)
        self.client, self.paths = client, paths
        self.answers: list[tuple[str, int]] = []
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            for path in self.paths:
                try:
                    self.answers.append((path, self.client.get(path).status))
                except OSError as error:
                    self.answers.append((path, repr(error)))

    def failures(self):
        return [answer for answer in self.answers if answer[1] != 200]


def healthz(client) -> tuple[int, float]:
    started = time.monotonic()
    status = client.get("/healthz").status
    return status, time.monotonic() - started


def test_requests_succeed_while_redis_restarts_and_queued_reminders_catch_up(
    test_database_url, redis_server, serve, celery_worker, tmp_path, program, coordinator, mediator
):
    case = case_in_preparation(program, coordinator, mediator)
    victim = case.parties.get(role="victim")
    victim.consent_to_contact, victim.contact_method, victim.email = True, "email", "ana@example.org"
    victim.phone, victim.texts_consented_at = "+16125550199", timezone.now()  # and by text
    victim.save()
    type(program).objects.filter(pk=program.pk).update(quiet_hours_start="00:00", quiet_hours_end="00:00")  # any hour
    Notification.objects.all().delete()  # the preparation's own reminders are not under test
    web_password(mediator, coordinator)
    web = serve(DATABASE_URL=test_database_url, REDIS_URL=redis_server.url)
    mailbox = tmp_path / "mail"
    texts = tmp_path / "sms"
    worker = celery_worker(redis_server.url, EMAIL_URL=f"filemail:///{mailbox}", SMS_URL=f"file://{texts}")
    worker.start()

    traffic = Traffic(sign_in(web.base_url, mediator.username, PASSWORD),
                      ["/my/", f"/cases/{case.pk}/", "/cases/", "/notifications/", "/follow-up/"])  # fmt: skip
    traffic.start()
    try:
        wait_until(lambda: len(traffic.answers) >= 10, timeout=30, what="traffic before the outage")
        device = give_authenticator(coordinator)  # coordinators sign in with a code
        probe = sign_in(web.base_url, coordinator.username, PASSWORD, second_step=code_step(lambda: code_for(device)))
        assert healthz(probe)[0] == 200

        redis_server.stop()
        during = len(traffic.answers)
        status, seconds = healthz(probe)
        assert status == 503 and seconds < 2.5, (status, seconds)
        # Work that queues reminders, and a fresh sign-in, with the broker gone.
        assert probe.get(f"/cases/{case.pk}/").status == 200
        mine = sign_in(web.base_url, mediator.username, PASSWORD)
        when = timezone.localtime(timezone.now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
        scheduled = mine.submit(
            f"/cases/{case.pk}/meetings/new/?kind=prep_victim",
            {"kind": "prep_victim", "scheduled_for": when, "duration_minutes": 60, "location": "Program office",
             "attendees": [victim.pk]},
        )  # fmt: skip
        assert scheduled.status == 302, scheduled.text[:2000]
        note = mine.submit(f"/cases/{case.pk}/notes/", {"body": "Called the victim."},
                           form_page=mine.get(f"/cases/{case.pk}/"))  # fmt: skip
        assert note.status == 302 and case.notes.filter(body="Called the victim.").exists()
        wait_until(lambda: len(traffic.answers) >= during + 10, timeout=30, what="traffic during the outage")
        assert Notification.objects.filter(status="pending").count() == 3  # 2-hour: mediator, victim's email and text

        redis_server.start()
        wait_until(lambda: healthz(probe)[0] == 200, timeout=20, what="/healthz to see Redis again")
        after = len(traffic.answers)
        wait_until(lambda: len(traffic.answers) >= after + 10, timeout=30, what="traffic after the outage")
    finally:
        traffic.done.set()
        traffic.join(timeout=30)
    assert traffic.failures() == [], traffic.failures()[:10]

    # Beat's next dispatch goes to the Redis that came back; the worker reconnected by itself.
    send_task(dispatch_notifications, redis_server.url, worker.queue)
    wait_until(lambda: Notification.objects.filter(status="sent").count() == 3, timeout=60,
               what=f"the reminders queued during the outage to be sent\n{worker.log.read_text()[-3000:]}")  # fmt: skip
    assert worker.proc.poll() is None and len(worker.procs) == 1
    written = "".join(path.read_text() for path in Path(mailbox).iterdir())
    assert written.count("Subject: Reminder: Preparation meeting, victim side") == 2
    (text,) = Path(texts).iterdir()
    assert text.read_text().startswith("To: +16125550199\n")
