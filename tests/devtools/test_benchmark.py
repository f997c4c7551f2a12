"""The benchmark command runs end to end on a tiny data set (its figures are not asserted)."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from agreements.models import Signature
from devtools.bench import PAGES


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
        median, p95, queries = line[len(label) :].split()
        assert 0 < float(median) <= float(p95)
        assert int(queries) > 0


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
    assert "bare view, 50 rows from memory" in out.getvalue() and "PDF render" not in out.getvalue()
