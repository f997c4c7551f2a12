"""The load test runs end to end on a tiny data set: gunicorn, real sign-ins, locust, the report."""

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
