"""Drill: PostgreSQL restarted under a running app; the app recovers without a restart of its own.

The cluster is the drill's own (initdb in a temporary folder, a free port), migrated and seeded with the
small demo; gunicorn serves the app on it with production settings. While the database is down /healthz
says 503 within about a second and pages answer a quick 503 "briefly unavailable" with Retry-After (not a
500, not a hang); once it is back the same gunicorn workers, with the same signed-in sessions, answer 200
again: persistent connections are health-checked and replaced.
"""

import subprocess
import sys
import time

import pytest

from devtools.serve import DEMO_PASSWORD, WebClient, production_env, sign_in, wait_until
from tests.conftest import ROOT

pytestmark = pytest.mark.services
PAGES = ["/my/", "/cases/", "/follow-up/", "/notifications/"]


def manage(*args: str, env: dict) -> None:
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]


def timed(client, path: str) -> tuple[int, float]:
    started = time.monotonic()
    status = client.get(path).status
    return status, time.monotonic() - started


def test_the_app_recovers_from_a_postgresql_restart_without_restarting(postgres_cluster, serve, tmp_path):
    env = production_env(DATABASE_URL=postgres_cluster.url, EMAIL_URL=f"filemail:///{tmp_path / 'mail'}")
    manage("migrate", "-v0", env=env)
    manage("seed_demo", "--cases", "8", env=env)
    web = serve(DATABASE_URL=postgres_cluster.url)
    mediator = sign_in(web.base_url, "mediator", DEMO_PASSWORD)
    other = sign_in(web.base_url, "mediator3", DEMO_PASSWORD)
    colleague = sign_in(web.base_url, "mediator2", DEMO_PASSWORD)
    balancer = WebClient(web.base_url)  # probes /healthz without a session, as a load balancer does
    for path in PAGES:
        assert mediator.get(path).status == 200
    assert other.get("/cases/").status == 200
    assert balancer.get("/healthz").status == 200
    workers = web.worker_pids()

    postgres_cluster.stop("fast")
    status, seconds = timed(balancer, "/healthz")
    assert status == 503 and seconds < 2, (status, seconds)
    page = colleague.get("/my/")
    assert page.status == 503 and page.headers["retry-after"] == "30" and "briefly unavailable" in page.text
    assert page.ms < 5000

    postgres_cluster.start()
    wait_until(lambda: balancer.get("/healthz").status == 200, timeout=30, what="/healthz to see PostgreSQL again")
    # Enough requests that every worker of the pool serves some (the kernel hands connections out).
    for client in [mediator, other, colleague] * 4:
        for path in PAGES:
            page = client.get(path)
            assert page.status == 200, (path, page.status, postgres_cluster.log()[-2000:])
    assert web.proc.poll() is None and web.worker_pids() == workers  # recovered without a restart
