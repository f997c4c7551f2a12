import time

import pytest

from tests.conftest import redis_reachable, require
from vom.core.tasks import record_heartbeat


@pytest.mark.django_db
def test_it_reports_ok_on_embedded_defaults(client, settings):
    settings.CELERY_BROKER_URL = ""
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["broker"] == {"ok": True, "mode": "eager", "ms": body["broker"]["ms"]}
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_it_answers_503_without_delay_when_the_broker_is_down(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    started = time.monotonic()
    response = client.get("/healthz")
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"]["ok"] is True
    assert body["broker"]["ok"] is False
    assert body["broker"]["error"] == "ConnectionError"
    assert "127.0.0.1:1" not in response.content.decode()  # no connection details leak
    # Not a performance figure: a hang guard. The check is bounded by a 1 s socket timeout.
    assert elapsed < 5


@pytest.mark.django_db
def test_it_reports_a_live_redis_broker(client):
    require(redis_reachable(), "Redis is not reachable at REDIS_URL")
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["broker"]["mode"] == "broker"


@pytest.mark.django_db
def test_it_shows_the_last_worker_heartbeat(client, settings):
    settings.CELERY_BROKER_URL = ""
    assert client.get("/healthz").json()["workers"]["last_heartbeat"] is None
    record_heartbeat.apply()  # runs the task in-process, as the eager default does
    assert client.get("/healthz").json()["workers"]["last_heartbeat"] is not None


@pytest.mark.django_db
def test_it_refuses_post_with_a_readable_page(client):
    response = client.post("/healthz")
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    assert b"does not accept a POST request" in response.content
