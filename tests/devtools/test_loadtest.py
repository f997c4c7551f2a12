"""The load test runs end to end on a tiny data set: gunicorn, real sign-ins, locust, the report."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from devtools.management.commands.loadtest import MIX
from devtools.serve import ROOT
from tests.conftest import require


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_loadtest_serves_signs_in_drives_the_mix_and_reports_every_endpoint(settings):
    require(connection.vendor == "postgresql", "gunicorn shares the test database: needs PostgreSQL")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]  # the web process checks them
    call_command("seed_demo", "--cases", "40", stdout=StringIO())
    out = StringIO()
    # Targets loose enough for a busy CI machine: this checks the machinery, the README has the figures.
    call_command("loadtest", "--users", "3", "--duration", "4", "--warmup", "0", "--workers", "2",
                 "--p95", "60000", "--ratio", "0", stdout=out)  # fmt: skip
    text = out.getvalue()
    table = text[text.index("endpoint") :].splitlines()[1:-2]
    names = {request.name for request in MIX}
    endpoints = [line.rsplit(None, 5)[0] for line in table]
    assert "mediator home" in endpoints and "caseload list" in endpoints  # a few seconds reach the common ones
    assert set(endpoints) <= names | {"all requests (mix)", "bare view, 50 rows from memory"}
    assert endpoints[-2:] == ["all requests (mix)", "bare view, 50 rows from memory"]
    assert "mix throughput / bare view throughput:" in text
    assert "All targets met." in text
    assert (ROOT / "devtools" / "locustfile.py").exists()


@pytest.mark.django_db
def test_the_later_pages_are_the_addresses_next_leads_to(client, program, coordinator, mediator):
    from devtools.bench import followed_next
    from devtools.management.commands.loadtest import caseload_reached_by_next
    from tests.factories import CaseFactory

    for index in range(130):
        stage = "screening" if index % 2 else "referred"
        CaseFactory(program=program, stage=stage, lead_mediator=mediator, referral_date=date(2026, 3, 1 + index % 4))
    client.force_login(coordinator)
    caseload_reached_by_next.cache_clear()
    assert caseload_reached_by_next("coord", (), 3) == followed_next(client.get, "/cases/", 2)
    assert "after=" in caseload_reached_by_next("coord", (), 3)
    filtered = caseload_reached_by_next("coord", (("stage", "screening"),), 2)
    assert filtered == followed_next(client.get, "/cases/?stage=screening", 1) != "/cases/?stage=screening"
    assert followed_next(client.get, "/cases/", 99) == followed_next(client.get, "/cases/", 2)  # as far as Next leads
