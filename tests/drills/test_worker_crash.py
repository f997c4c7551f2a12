"""Drill: a Celery worker killed (kill -9) in the middle of dispatching notifications, then restarted.

The worker is real, on a Redis of the drill's own; the mail server is a real SMTP server in the test (the
outside boundary), which counts what it accepted by Message-ID. The two places a crash can hit are drilled
one by one, at a moment the SMTP server chooses, so neither drill depends on timing:

- while the server has not yet accepted a message: every notification is delivered exactly once;
- after the server accepted a message, before the worker recorded it: that one message is delivered a second
  time with the same Message-ID (the outbox's stated guarantee, vom/notifications/services.py), no other.
"""

import time

import pytest
from django.utils import timezone

from devtools.serve import wait_until
from tests.drills.conftest import send_task
from tests.notifications.fake_twilio import FakeTwilio
from vom.notifications.models import Notification
from vom.notifications.services import Outgoing, message_id, notifications_queue
from vom.notifications.tasks import dispatch_notifications

pytestmark = pytest.mark.services
LEASE_SECONDS = 3  # the restarted worker may send a dead worker's claim after this


def queue_due(count: int) -> list[Notification]:
    context = {"case_number": "2026-0001", "kind": "Preparation meeting", "when": "Monday 10:00",
               "place": "Program office", "ics": {}}  # fmt: skip
    notifications_queue(
        [Outgoing(dedupe_key=f"drill:{n}", template="meeting_reminder", due_at=timezone.now(),
                  email=f"party{n}@example.org", name=f"Party {n}", context=context) for n in range(count)]
    )  # fmt: skip
    return list(Notification.objects.order_by("due_at", "pk"))


def statuses() -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in Notification.objects.values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return counts


def dispatch_until_all_sent(worker, broker_url: str, total: int, timeout: float = 60) -> None:
    """Play beat: ask for a dispatch every second until every row is sent (beat does it every minute)."""
    deadline = time.monotonic() + timeout
    while Notification.objects.filter(status="sent").count() < total:
        assert worker.proc.poll() is None, worker.log.read_text()[-3000:]
        assert time.monotonic() < deadline, f"not all sent: {statuses()}\n{worker.log.read_text()[-3000:]}"
        send_task(dispatch_notifications, broker_url, worker.queue)
        time.sleep(1)


def start_worker(celery_worker, redis_server, smtp_sink, **env):
    worker = celery_worker(
        redis_server.url, EMAIL_URL=f"smtp://127.0.0.1:{smtp_sink.port}", NOTIFICATION_CLAIM_SECONDS=str(LEASE_SECONDS),
        **env,
    )  # fmt: skip
    worker.start()
    return worker


def test_a_worker_killed_before_the_server_accepted_leaves_each_notification_delivered_once(
    test_database_url, redis_server, celery_worker, smtp_sink
):
    rows = queue_due(30)
    worker = start_worker(celery_worker, redis_server, smtp_sink)
    smtp_sink.hold(12)
    send_task(dispatch_notifications, redis_server.url, worker.queue)
    assert smtp_sink.holding.wait(60), worker.log.read_text()[-3000:]
    # Mid-batch: eleven delivered and recorded, the twelfth on the wire, the rest waiting.
    assert statuses() == {"sent": 11, "sending": 1, "pending": 18}

    worker.kill()
    wait_until(lambda: smtp_sink.discarded, timeout=10, what="the SMTP server to notice the sender is gone")
    assert statuses() == {"sent": 11, "sending": 1, "pending": 18}  # the dead worker's claim is still held
    worker.start()
    dispatch_until_all_sent(worker, redis_server.url, total=30)

    delivered = smtp_sink.count_by_message_id()
    assert delivered == {message_id(row): 1 for row in rows}  # each exactly once, none missing
    assert sorted(item["to"] for item in smtp_sink.accepted) == sorted(row.email for row in rows)
    attempts = dict(Notification.objects.values_list("pk", "attempts"))
    assert attempts[rows[11].pk] == 2 and {attempts[row.pk] for row in rows if row != rows[11]} == {1}
    assert smtp_sink.discarded == [message_id(rows[11])]


def test_a_worker_killed_after_the_server_accepted_repeats_only_that_message_with_its_message_id(
    test_database_url, redis_server, celery_worker, smtp_sink
):
    rows = queue_due(10)
    worker = start_worker(celery_worker, redis_server, smtp_sink)
    smtp_sink.hold(4, accepted=True)  # the server takes message 4; its "250" dies with the worker
    send_task(dispatch_notifications, redis_server.url, worker.queue)
    assert smtp_sink.holding.wait(60), worker.log.read_text()[-3000:]
    worker.kill()
    wait_until(lambda: len(smtp_sink.accepted) == 4, timeout=10, what="the server to keep message 4")
    assert statuses() == {"sent": 3, "sending": 1, "pending": 6}  # sent, but not recorded as sent

    worker.start()
    dispatch_until_all_sent(worker, redis_server.url, total=10)

    delivered = smtp_sink.count_by_message_id()
    assert set(delivered) == {message_id(row) for row in rows}  # nothing lost
    assert delivered[message_id(rows[3])] == 2  # the one in doubt, twice, recognisably the same message
    assert {count for mid, count in delivered.items() if mid != message_id(rows[3])} == {1}


def test_texts_in_the_batch_of_a_killed_worker_are_each_sent_once(
    test_database_url, redis_server, celery_worker, smtp_sink
):
    """Emails and texts in one batch; the worker dies while an email is on the wire. Every text reaches the
    provider (the fake Twilio on loopback, the real adapter) exactly once: claims and leases cover texts."""
    context = {"case_number": "2026-0001", "kind": "Preparation meeting", "when": "Monday 10:00",
               "place": "Program office", "ics": {}}  # fmt: skip
    items = []
    for n in range(12):
        items.append(Outgoing(f"drill:e{n}", "meeting_reminder", timezone.now(), context, email=f"p{n}@example.org"))
        items.append(Outgoing(f"drill:t{n}", "meeting_reminder", timezone.now(), context, phone=f"+1612555{n:04d}",
                              channel=Notification.Channel.SMS))  # fmt: skip
    notifications_queue(items)
    with FakeTwilio.running() as twilio:
        worker = start_worker(celery_worker, redis_server, smtp_sink, SMS_URL=twilio.url)
        smtp_sink.hold(5)  # the fifth email: four emails and four or five texts are out by then
        send_task(dispatch_notifications, redis_server.url, worker.queue)
        assert smtp_sink.holding.wait(60), worker.log.read_text()[-3000:]
        worker.kill()
        texts_before = len(twilio.received)
        assert 4 <= texts_before < 12
        worker.start()
        dispatch_until_all_sent(worker, redis_server.url, total=24)
        numbers = sorted(r["To"] for r in twilio.received)
    assert numbers == sorted(f"+1612555{n:04d}" for n in range(12))  # each text once, none missing
    assert len(smtp_sink.count_by_message_id()) == 12
