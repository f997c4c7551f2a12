"""Shared fixtures: role users, a second program, and the require-services switch.

With nothing configured the suite runs on SQLite with eager Celery. When DATABASE_URL and REDIS_URL
point at real services it uses them; VOM_REQUIRE_SERVICES=1 turns every "service missing" skip
into a failure, so CI cannot pass by skipping.
"""

import os

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
def _mail_in_memory(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


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
