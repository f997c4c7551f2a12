"""A real `celery worker` process takes a task from Redis and writes to PostgreSQL."""

import time

import pytest

from vom.core.models import WorkerHeartbeat
from vom.core.tasks import record_heartbeat


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_task_sent_through_redis(worker):
    proc = worker["start"]()
    record_heartbeat.apply_async(queue=worker["queue"])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if WorkerHeartbeat.objects.filter(hostname=worker["node"]).exists():
            break
        assert proc.poll() is None, worker["log"].read_text()
        time.sleep(0.25)
    else:
        pytest.fail("the worker did not run the task within 60 s:\n" + worker["log"].read_text())
    beat = WorkerHeartbeat.objects.get(hostname=worker["node"])
    assert beat.beats == 1
    assert "vom.core.tasks.record_heartbeat" in worker["log"].read_text()
