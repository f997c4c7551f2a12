"""Checks behind /healthz. Each is bounded in time and never raises."""

import time
from urllib.parse import urlsplit

import redis
from django.conf import settings
from django.db import connection
from kombu import Connection

from .models import WorkerHeartbeat

BROKER_TIMEOUT_SECONDS = 1.0


def _timed(check) -> dict:
    started = time.monotonic()
    try:
        result = {"ok": True, **(check() or {})}
    except Exception as exc:  # a health check reports every failure, whatever its kind
        result = {"ok": False, "error": type(exc).__name__}
    result["ms"] = round((time.monotonic() - started) * 1000, 1)
    return result


def _database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        # Drop the broken connection so the next request opens a fresh one.
        connection.close()
        raise
    return {"vendor": connection.vendor}


def _broker() -> dict:
    url = settings.CELERY_BROKER_URL
    if not url:
        return {"mode": "eager"}
    if urlsplit(url).scheme in {"redis", "rediss"}:
        client = redis.Redis.from_url(
            url, socket_connect_timeout=BROKER_TIMEOUT_SECONDS, socket_timeout=BROKER_TIMEOUT_SECONDS
        )
        try:
            client.ping()
        finally:
            client.close()
    else:
        with Connection(url, connect_timeout=BROKER_TIMEOUT_SECONDS) as conn:
            conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
    return {"mode": "broker"}


def _workers() -> dict:
    latest = WorkerHeartbeat.objects.order_by("-last_seen").values_list("last_seen", flat=True).first()
    return {"last_heartbeat": latest.isoformat() if latest else None}


def run_checks() -> tuple[bool, dict]:
    """Database and broker decide health; the worker heartbeat is reported for information."""
    checks = {"database": _timed(_database), "broker": _timed(_broker)}
    healthy = all(c["ok"] for c in checks.values())
    if checks["database"]["ok"]:
        checks["workers"] = _timed(_workers)
    return healthy, checks
