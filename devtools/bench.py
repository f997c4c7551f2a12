"""What the benchmark measures, and the bare comparison view (mounted only by devtools.bench_urls).

Pages are addressed by URL, not by importing the domain apps, so vom stays below them.
"""

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from html import unescape
from pathlib import Path

from django.db import connection
from django.http import HttpResponse
from django.template import engines


@dataclass(frozen=True)
class BenchPage:
    label: str
    user: str
    path: Callable[[dict], str]
    # Reached as users reach it: from ``path``, following the "Next" link each page renders this many times.
    next_links: int = 0


NEXT_LINK = re.compile(r'<a href="([^"]*)" rel="next">')


def followed_next(get: Callable[[str], object], path: str, times: int) -> str:
    """The address ``times`` "Next" links on from ``path`` (``get`` returns a response): as far as they lead."""
    for _ in range(times):
        found = NEXT_LINK.search(get(path).content.decode())
        if found is None:
            break
        path = unescape(found.group(1))
    return path


def median_mediator(caseloads: dict[str, int]) -> str:
    """The username in the middle of ``caseloads`` (username: open cases, fewest first); the demo mediator when
    nobody has an open case."""
    names = list(caseloads)
    return names[(len(names) - 1) // 2] if names else "mediator"


def _first_case_id(stage: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM cases_case WHERE stage = %s ORDER BY referral_date DESC, id DESC LIMIT 1", [stage]
        )
        return cursor.fetchone()[0]


PAGES = [
    BenchPage("caseload list (50 rows)", "coordinator", lambda u: "/cases/"),
    BenchPage("caseload, page 100 by Next", "coordinator", lambda u: "/cases/", next_links=99),
    # No link leads to it, but an address typed in or bookmarked from before keyset pages: counted with OFFSET.
    BenchPage("caseload, ?page=100 typed in", "coordinator", lambda u: "/cases/?page=100"),
    BenchPage("caseload, stage=screening", "coordinator", lambda u: "/cases/?stage=screening"),
    BenchPage("caseload, overdue only", "coordinator", lambda u: "/cases/?overdue=on"),
    BenchPage("caseload, search by name", "coordinator", lambda u: "/cases/?q=Okafor"),
    ADMIN := BenchPage("admin change list (50 rows)", "admin", lambda u: "/admin/cases/case/"),
    BARE := BenchPage("bare view, 50 rows from memory", "coordinator", lambda u: "/bench/bare/"),
    BenchPage("case page (referred)", "coordinator", lambda u: f"/cases/{_first_case_id('referred')}/"),
    BenchPage("case page (screening)", "coordinator", lambda u: f"/cases/{_first_case_id('screening')}/"),
    BenchPage("case page (preparation)", "coordinator", lambda u: f"/cases/{_first_case_id('preparation')}/"),
    BenchPage("case page (joint session)", "coordinator", lambda u: f"/cases/{_first_case_id('joint_session')}/"),
    BenchPage("case page (agreement)", "coordinator", lambda u: f"/cases/{_first_case_id('agreement')}/"),
    BenchPage("case page (follow-up)", "coordinator", lambda u: f"/cases/{_first_case_id('follow_up')}/"),
    BenchPage("case page (closed)", "coordinator", lambda u: f"/cases/{_first_case_id('closed')}/"),
    BenchPage("mediator home", "mediator", lambda u: "/my/"),
    # The demo mediator's open cases grow when a data set is topped up (its first cases were shared among fewer
    # mediators): the home of a typical volunteer, compared across sizes (``median_mediator``).
    BenchPage("home of a median-caseload mediator", MEDIAN_MEDIATOR := "median mediator", lambda u: "/my/"),
    BenchPage("follow-up list (coordinator)", "coordinator", lambda u: "/follow-up/"),
    BenchPage("follow-up list (mediator)", "mediator", lambda u: "/follow-up/"),
    BenchPage("dashboard (last 90 days)", "coordinator", lambda u: "/dashboard/"),
    BenchPage("dashboard (last 12 months)", "coordinator", lambda u: f"/dashboard/?{_last_year()}"),
    BenchPage("outcome report (last quarter)", "coordinator", lambda u: "/reports/outcomes/"),
    BenchPage("outcome report (last 12 months)", "coordinator", lambda u: f"/reports/outcomes/?{_last_year()}"),
    BenchPage("outcome report (all 10 years)", "coordinator", lambda u: f"/reports/outcomes/?{_last_year(3650)}"),
    BenchPage("outcome report CSV (last quarter)", "coordinator", lambda u: "/reports/outcomes.csv"),
    BenchPage("outcome report PDF (last quarter)", "coordinator", lambda u: "/reports/outcomes.pdf"),
    BenchPage("caseload CSV (screening)", "coordinator", lambda u: "/cases/export.csv?stage=screening"),
]


# Measured in every run, whatever ``--only`` asks: what the figures are read against.
YARDSTICKS = (ADMIN, BARE)


def _last_year(days: int = 364) -> str:
    from datetime import timedelta

    from django.utils import timezone

    today = timezone.localdate()
    return f"start={today - timedelta(days=days)}&end={today}"


BARE_TEMPLATE = engines["django"].from_string(
    "<!doctype html><title>bare</title><table>{% for r in rows %}<tr><td>{{ r.0 }}</td><td>{{ r.1 }}</td>"
    "<td>{{ r.2 }}</td><td>{{ r.3 }}</td></tr>{% endfor %}</table>"
)
BARE_ROWS = [(f"2026-{n:04d}", "Screening", "Property", f"Party {n}") for n in range(50)]


def bare_view(request):
    """The stack's own ceiling: middleware, session and a template, no database work beyond the session."""
    return HttpResponse(BARE_TEMPLATE.render({"rows": BARE_ROWS}, request))


def other_cpu_use(seconds: float = 2.0) -> float:
    """Share of the machine's CPU in use before we start (other engineers' tests, a benchmark): 0 to 1."""

    def sample():
        fields = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return sum(fields), fields[3] + fields[4]  # total, idle + iowait

    try:
        total1, idle1 = sample()
        time.sleep(seconds)
        total2, idle2 = sample()
    except OSError:
        return 0.0
    return 1 - (idle2 - idle1) / max(1, total2 - total1)
