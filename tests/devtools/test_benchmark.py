"""The benchmark command runs end to end on a tiny data set (its figures are not asserted)."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.core.signals import request_started
from django.utils import timezone

from agreements.models import Signature
from devtools.bench import ADMIN, BARE, PAGES, median_mediator
from devtools.management.commands.benchmark import open_caseloads
from tests.factories import CaseFactory, UserFactory


@pytest.mark.django_db
def test_benchmark_prints_every_page_with_its_query_count():
    out = StringIO()
    call_command("benchmark", "--cases", "40", "--repeat", "1", "--renders", "2", "--sweeps", "1", stdout=out)
    lines = out.getvalue().splitlines()
    table = lines[next(i for i, line in enumerate(lines) if line.startswith("page ")) + 1 :]
    labels = [page.label for page in PAGES] + ["signed agreement PDF render", "reminder-planning sweep (all planners)"]
    assert len(table) == len(labels)
    for label, line in zip(labels, table, strict=True):
        assert line.startswith(label)
        median, p95, times_bare, queries = line[len(label) :].split()
        assert 0 < float(median) <= float(p95)
        assert float(times_bare) == pytest.approx(float(median) / bare_median(table), rel=0.05, abs=0.06)
        assert int(queries) > 0
    assert "busy before measuring" in out.getvalue() and "load average" in out.getvalue()


def bare_median(table: list[str]) -> float:
    line = next(line for line in table if line.startswith(BARE.label))
    return float(line[len(BARE.label) :].split()[0])


@pytest.mark.django_db
def test_benchmark_measures_the_yardsticks_whatever_only_asks_in_interleaved_rounds():
    out = StringIO()
    args = ["--cases", "40", "--repeat", "3", "--renders", "0", "--sweeps", "0", "--only", "mediator home"]
    requested = []

    def record(sender, environ, **kwargs):
        requested.append(environ["PATH_INFO"])

    request_started.connect(record)
    try:
        call_command("benchmark", *args, stdout=out)
    finally:
        request_started.disconnect(record)
    lines = out.getvalue().splitlines()
    table = lines[next(i for i, line in enumerate(lines) if line.startswith("page ")) + 1 :]
    assert [line.split("  ")[0] for line in table] == [ADMIN.label, BARE.label, "mediator home"]
    assert [line.split()[-2] for line in table if line.startswith(BARE.label)] == ["1.0"]
    admin, bare, home = "/admin/cases/case/", "/bench/bare/", "/my/"
    warm_ups = [admin, admin, bare, bare, home, home]
    # Each round asks for every page once, then each page once more with its queries counted.
    assert requested == warm_ups + [admin, bare, home] * 3 + [admin, bare, home]


@pytest.mark.django_db
def test_benchmark_without_an_agreement_to_render_stops_before_measuring_any_page():
    call_command("seed_demo", "--cases", "40", stdout=StringIO())
    Signature.objects.filter(method=Signature.Method.DRAWN).update(method=Signature.Method.TYPED)
    out = StringIO()
    with pytest.raises(CommandError, match="--renders 0"):
        call_command("benchmark", "--cases", "40", "--repeat", "1", "--renders", "2", "--sweeps", "0", stdout=out)
    assert "median ms" not in out.getvalue()  # no table: nothing was measured
    args = ["--cases", "40", "--repeat", "1", "--renders", "0", "--sweeps", "0", "--only", "bare"]
    call_command("benchmark", *args, stdout=out)
    assert BARE.label in out.getvalue() and "PDF render" not in out.getvalue()


@pytest.mark.django_db
def test_the_median_mediator_is_the_middle_of_the_open_caseloads(program, mediator):
    busy, light = UserFactory(username="busy"), UserFactory(username="light")
    for lead, co, stage in [(busy, mediator, "screening"), (busy, None, "preparation"), (busy, light, "follow_up"),
                            (mediator, None, "closed"), (light, busy, "closed")]:  # fmt: skip
        closed = {"outcome": "declined", "closed_at": timezone.now()} if stage == "closed" else {}
        CaseFactory(program=program, lead_mediator=lead, co_mediator=co, stage=stage, **closed)
    assert open_caseloads() == {"light": 1, mediator.username: 1, "busy": 3}
    assert median_mediator(open_caseloads()) == mediator.username


def test_with_no_open_case_the_median_mediator_is_the_demo_one():
    assert median_mediator({}) == "mediator"
