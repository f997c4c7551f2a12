"""A real `celery worker` process takes a task from Redis and writes to PostgreSQL."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from tests.conftest import require
from tests.vom.test_health import redis_reachable
from vom.core.models import WorkerHeartbeat
from vom.core.tasks import record_heartbeat

ROOT = Path(__file__).resolve().parents[2]


def database_url_for_test_db() -> str:
    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="")
    if s["PASSWORD"]:
        auth += ":" + quote(s["PASSWORD"], safe="")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def worker(tmp_path):
    """Start a worker on a queue of its own, so no other worker on this Redis can take our task."""
    require(connection.vendor == "postgresql", "a real worker needs PostgreSQL (DATABASE_URL)")
    require(redis_reachable(), "a real worker needs Redis (REDIS_URL)")
    queue = f"test-{uuid.uuid4().hex}"
    node = f"testworker-{uuid.uuid4().hex[:8]}@localhost"
    log = tmp_path / "worker.log"
    env = dict(os.environ, DATABASE_URL=database_url_for_test_db(), DJANGO_SETTINGS_MODULE="vom.settings")
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "vom", "worker", "-Q", queue, "-n", node, "--pool", "solo",
             "-l", "info", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        yield {"queue": queue, "node": node, "log": log, "proc": proc}
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_task_sent_through_redis(worker):
    record_heartbeat.apply_async(queue=worker["queue"])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if WorkerHeartbeat.objects.filter(hostname=worker["node"]).exists():
            break
        assert worker["proc"].poll() is None, worker["log"].read_text()
        time.sleep(0.25)
    else:
        pytest.fail("the worker did not run the task within 60 s:\n" + worker["log"].read_text())
    beat = WorkerHeartbeat.objects.get(hostname=worker["node"])
    assert beat.beats == 1
    assert "vom.core.tasks.record_heartbeat" in worker["log"].read_text()
