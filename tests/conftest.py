"""Shared fixtures: role users, a second program, and the require-services switch.

With nothing configured the suite runs on SQLite with eager Celery. When DATABASE_URL and REDIS_URL
point at real services it uses them; VOM_REQUIRE_SERVICES=1 turns every "service missing" skip
into a failure, so CI cannot pass by skipping.
"""

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest

# Playwright's sync API runs an event loop in the test thread; Django must allow ORM calls there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

REQUIRE_SERVICES = os.environ.get("VOM_REQUIRE_SERVICES", "") not in {"", "0", "false", "no"}


def require(available: bool, reason: str) -> None:
    """Skip the test when a service is missing, or fail when services are required."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"VOM_REQUIRE_SERVICES is set but {reason}")
    pytest.skip(reason)


def pytest_sessionstart(session):
    if REQUIRE_SERVICES:
        from django.conf import settings

        problems = []
        if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
            problems.append("DATABASE_URL does not point at PostgreSQL")
        if not settings.CELERY_BROKER_URL:
            problems.append("REDIS_URL / CELERY_BROKER_URL is not set")
        if problems:
            raise pytest.UsageError("VOM_REQUIRE_SERVICES=1 but " + "; ".join(problems))


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 is right for production and needlessly slow for hundreds of test logins.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    # Uploaded signatures and stored PDFs go to a throwaway folder, never ./var/media.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _verification_not_rate_limited(settings):
    # The public verification page counts lookups per address in the cache (Redis when configured, shared
    # by the whole run): tests of its limit set their own, with an address of their own.
    settings.VERIFY_RATE_LIMIT = 1_000_000


@pytest.fixture(autouse=True)
def _no_next_actions_kept_from_another_test():
    # A process keeps the home's next actions and the case page's parts per case revision; tests that register
    # other providers or reuse a rolled-back case's revision must not meet what an earlier test kept.
    from cases.case_page import case_page_parts
    from cases.selectors import my_next_actions

    my_next_actions.clear()
    case_page_parts.clear()


@pytest.fixture(autouse=True)
def _mail_in_memory(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _force_login_passes_the_second_factor(monkeypatch):
    """``client.force_login`` skips the password; for users who owe a second factor (coordinators, admins,
    anyone with an authenticator app) it now skips the code as well, so tests that are not about sign-in
    need not enter one. Tests of two-factor sign-in go through the real forms, or use
    ``password_only_login`` for a session that still owes its code."""
    from django.test import Client

    from tests.two_factor import verify_session

    password_only = Client.force_login

    def force_login(self, user, backend=None):
        password_only(self, user, backend)
        verify_session(self, user)

    monkeypatch.setattr(Client, "force_login", force_login)
    monkeypatch.setattr(Client, "password_only_login", password_only, raising=False)


@pytest.fixture
def password_only_login():
    """Sign a client in as after the password step alone: ``password_only_login(client, user)``."""
    from django.test import Client

    return lambda client, user: Client.password_only_login(client, user)


PASSWORD = "correct-horse-battery-9"


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def program(db):
    from tests.factories import ProgramFactory

    return ProgramFactory(name="Riverbend VOM")


@pytest.fixture
def other_program(db):
    from tests.factories import ProgramFactory

    return ProgramFactory(name="Lakeside VOM")


@pytest.fixture
def coordinator(program):
    from tests.factories import MembershipFactory, UserFactory

    user = UserFactory(username="coord", first_name="Dana", last_name="Rivera")
    MembershipFactory(user=user, program=program, role="coordinator")
    return user


@pytest.fixture
def mediator(program):
    from tests.factories import MembershipFactory, UserFactory

    user = UserFactory(username="med", first_name="Grace", last_name="Okafor")
    MembershipFactory(user=user, program=program, role="mediator")
    return user


@pytest.fixture
def unassigned_mediator(program):
    from tests.factories import MembershipFactory, UserFactory

    user = UserFactory(username="med2", first_name="Erik", last_name="Lindqvist")
    MembershipFactory(user=user, program=program, role="mediator")
    return user


@pytest.fixture
def other_coordinator(other_program):
    from tests.factories import MembershipFactory, UserFactory

    user = UserFactory(username="othercoord")
    MembershipFactory(user=user, program=other_program, role="coordinator")
    return user


@pytest.fixture
def admin_user(db):
    from tests.factories import UserFactory

    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def no_role_user(db):
    from tests.factories import UserFactory

    return UserFactory(username="nobody")


@pytest.fixture
def case(program, mediator):
    """A case in screening, led by ``mediator``, with an offender and a victim."""
    from tests.factories import CaseFactory, PartyFactory

    case = CaseFactory(program=program, stage="screening", lead_mediator=mediator)
    PartyFactory(case=case, role="offender")
    PartyFactory(case=case, role="victim", email="victim@example.org", address="12 Hidden Lane")
    return case


# --- A real Celery worker process -------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]


def redis_reachable() -> bool:
    import redis
    from django.conf import settings

    url = settings.CELERY_BROKER_URL
    if not url:
        return False
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def database_url_for_test_db() -> str:
    from django.db import connection

    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="")
    if s["PASSWORD"]:
        auth += ":" + quote(s["PASSWORD"], safe="")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def worker(tmp_path):
    """Start `celery worker` on a queue of its own (no other worker on this Redis can take our tasks),
    against the test database. ``worker["env"]`` can be extended before ``worker["start"]()``."""
    from django.db import connection

    require(connection.vendor == "postgresql", "a real worker needs PostgreSQL (DATABASE_URL)")
    require(redis_reachable(), "a real worker needs Redis (REDIS_URL)")
    queue = f"test-{uuid.uuid4().hex}"
    node = f"testworker-{uuid.uuid4().hex[:8]}@localhost"
    log = tmp_path / "worker.log"
    env = dict(os.environ, DATABASE_URL=database_url_for_test_db(), DJANGO_SETTINGS_MODULE="vom.settings")
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    procs = []

    def start():
        command = [sys.executable, "-m", "celery", "-A", "vom", "worker", "-Q", queue, "-n", node, "--pool", "solo",
                   "-l", "info", "--without-gossip", "--without-mingle", "--without-heartbeat"]  # fmt: skip
        with log.open("w") as out:
            procs.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT))
        return procs[-1]

    try:
        yield {"queue": queue, "node": node, "log": log, "env": env, "start": start, "procs": procs}
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
