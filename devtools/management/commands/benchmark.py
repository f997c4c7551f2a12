"""Server-side timings of the main pages over a seeded database, beside their comparisons.

    DATABASE_URL=postgres://… manage.py benchmark --cases 100000 --repeat 30

Seeds (or tops up) the demo program to --cases cases, then requests each page in-process through
Django's full stack (middleware, session, templates) and prints the median and 95th percentile time
and the number of queries. Comparisons measured in the same run: Django admin's change list of the
same cases (same page size) and a bare view that renders 50 rows from memory. Then the dashboard and
the outcome report (page, CSV, PDF) over several periods, the render time of a signed two-page
agreement PDF with drawn signatures (WeasyPrint) over --renders renders, and the time of a full
reminder-planning sweep (every planner beat runs) over --sweeps sweeps, after one that queues what is due.

It lives in the tooling (devtools) because it drives every app; the pages it requests are URLs.
"""

import os
import statistics
import time
from collections import Counter

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from agreements.documents import agreement_layout, agreement_pdf
from agreements.models import Agreement, Signature
from agreements.reminders import plan_follow_up_reminders
from cases.models import Case
from cases.reminders import plan_case_reminders
from devtools.bench import (
    BARE,
    MEDIAN_MEDIATOR,
    PAGES,
    YARDSTICKS,
    followed_next,
    median_mediator,
    other_cpu_use,
)
from mediation.reminders import plan_meeting_reminders
from vom.core.progress import progress_bar
from vom.users.selectors import two_factor_required
from vom.users.services import client_session_verify


class Command(BaseCommand):
    help = "Measure page times and query counts over a seeded database (see README, Benchmarks)."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=100_000, help="Seed the demo program up to this many cases.")
        parser.add_argument("--repeat", type=int, default=30, help="Requests per page (after two warm-ups).")
        parser.add_argument("--only", nargs="*", default=None, help="Measure only pages whose label contains these.")
        parser.add_argument("--renders", type=int, default=20, help="PDF renders to time (0 to skip).")
        parser.add_argument("--sweeps", type=int, default=3, help="Reminder-planning sweeps to time (0 to skip).")

    def handle(self, *args, cases: int, repeat: int, only, renders: int, sweeps: int, **options):
        started = time.monotonic()
        # The small demo first (rendered PDFs, drawn signatures), then the bulk up to --cases.
        call_command("seed_demo", "--cases", str(min(cases, 40)), stdout=self.stdout)
        # One process per core builds and inserts the bulk (seeding 100,000 cases in under 5 minutes).
        workers = str(max(1, min(4, os.cpu_count() or 1)))
        call_command("seed_demo", "--cases", str(cases), "--workers", workers, stdout=self.stdout)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # Fresh planner statistics, and the visibility map that autovacuum keeps for a database in use
                # (index-only scans: the caseload's count 37 -> 12 ms). Some test servers run without autovacuum.
                # VACUUM cannot run in a transaction (as under the test suite): statistics only, then.
                cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
        self.stdout.write(f"seeding/top-up: {time.monotonic() - started:.1f} s; database: {connection.vendor}")
        busy = other_cpu_use()
        self.stdout.write(f"{os.cpu_count()} cores, {busy:.0%} busy before measuring\n")
        if busy > 0.2:
            self.stderr.write("Warning: other processes are using the CPU; read the ratios to the bare view.")
        # Found before the pages are measured: the table prints only at the end, and a run that stopped at the
        # PDF would lose every page's figures.
        agreement = self.agreement_to_render() if renders else None
        User = get_user_model()
        users = {name: User.objects.get(username=name) for name in ("coordinator", "mediator", "admin")}
        caseloads = open_caseloads()
        users[MEDIAN_MEDIATOR] = User.objects.get(username=median_mediator(caseloads))
        median = users[MEDIAN_MEDIATOR].username
        self.stdout.write(
            f"open cases: the demo mediator {caseloads.get('mediator', 0)}, the median mediator ({median}) "
            f"{caseloads.get(median, 0)}, of {len(caseloads)} mediators with any"
        )
        rows = []
        with override_settings(ROOT_URLCONF="devtools.bench_urls", ALLOWED_HOSTS=["testserver"], DEBUG=False):
            clients = {}
            for name, user in users.items():
                clients[name] = Client()
                clients[name].force_login(user)
                # Measured as after entering the code: a verified session reads its device on every request.
                if not client_session_verify(client=clients[name], user=user) and two_factor_required(user):
                    raise CommandError(f"{name} has no authenticator app; benchmark a database seeded by seed_demo.")
            pages = measured_pages(only)
            bar = progress_bar(self, total=repeat + bool(renders) + bool(sweeps), desc="Measuring", unit="round")
            rows.extend(self.measure_pages(pages, clients, users, repeat, bar))
        if renders:
            bar.set_postfix_str("PDF renders")
            rows.append(("signed agreement PDF render", *self.measure_pdf(agreement, renders)))
            bar.update()
        if sweeps:
            bar.set_postfix_str("reminder sweeps")
            rows.append(("reminder-planning sweep (all planners)", *self.measure_sweeps(sweeps)))
            bar.update()
        bar.close()
        self.stdout.write(
            f"{len(rows)} measurement(s), {time.monotonic() - started:.1f} s in all; load average "
            f"{' '.join(f'{n:.1f}' for n in os.getloadavg())} at the end"
        )
        self.print_table(rows)

    @staticmethod
    def agreement_to_render() -> Agreement:
        """The demo's richest signed agreement (drawn signatures, a schedule)."""
        agreement = (
            Agreement.objects.filter(status=Agreement.Status.SIGNED, signatures__method=Signature.Method.DRAWN)
            .annotate(signers=Count("signatures"))
            .order_by("-signers", "-pk")
            .first()
        )
        if agreement is None:
            raise CommandError(
                "No signed agreement with drawn signatures to render (the bulk seed signs by typing): run "
                "seed_demo's 40-case demo on this database first, or pass --renders 0."
            )
        return agreement

    def measure_pdf(self, agreement: Agreement, renders: int):
        """Render ``agreement`` as the lock does."""
        agreement_pdf(agreement, draft=False)  # warm-up: fonts and templates
        timings = []
        with CaptureQueriesContext(connection) as queries:
            for _ in range(renders):
                begin = time.perf_counter()
                data = agreement_pdf(agreement, draft=False)
                timings.append((time.perf_counter() - begin) * 1000)
        pages = len(agreement_layout(agreement, draft=False).pages)
        self.stdout.write(f"PDF: case {agreement.case.number} v{agreement.number}, {len(data)} bytes, {pages} page(s)")
        return *median_and_p95(timings), len(queries.captured_queries) // renders

    def measure_pages(self, pages, clients, users, repeat: int, bar):
        """Each page warmed up twice, then ``repeat`` rounds that request every page once, so that each page
        and the bare view meet the same machine (a neighbour's burst slows a round, not one page's figures)."""
        paths = [followed_next(clients[p.user].get, p.path(users), p.next_links) for p in pages]
        for page, path in zip(pages, paths, strict=True):
            for _ in range(2):
                self.check_ok(self.fetch(clients[page.user], path), path)
        timings = [[] for _ in pages]
        for _ in range(repeat):
            for page, path, page_timings in zip(pages, paths, timings, strict=True):
                begin = time.perf_counter()
                response = self.fetch(clients[page.user], path)
                page_timings.append((time.perf_counter() - begin) * 1000)
                self.check_ok(response, path)
            bar.update()
        rows = []
        for page, path, page_timings in zip(pages, paths, timings, strict=True):
            with CaptureQueriesContext(connection) as queries:
                clients[page.user].get(path)
            rows.append((page.label, *median_and_p95(page_timings), len(queries.captured_queries)))
        return rows

    @staticmethod
    def fetch(client, path):
        response = client.get(path)
        if response.streaming:  # a CSV download is produced while it is read
            response.content_length = len(b"".join(response.streaming_content))
        return response

    def measure_sweeps(self, sweeps: int):
        """Every reminder planner once (what beat runs), after a first sweep that queues what is due."""
        planners = [plan_follow_up_reminders, plan_case_reminders, plan_meeting_reminders]
        queued = sum(planner() for planner in planners)
        self.stdout.write(f"reminder sweep: first run queued {queued} notifications")
        timings = []
        with CaptureQueriesContext(connection) as queries:
            for _ in range(sweeps):
                begin = time.perf_counter()
                for planner in planners:
                    planner()
                timings.append((time.perf_counter() - begin) * 1000)
        return *median_and_p95(timings), len(queries.captured_queries) // sweeps

    @staticmethod
    def check_ok(response, path):
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")

    def print_table(self, rows):
        width = max(len(r[0]) for r in rows) + 2
        bare = next(median for label, median, *_ in rows if label == BARE.label)
        self.stdout.write(f"{'page':<{width}}{'median ms':>10}{'p95 ms':>10}{'x bare':>8}{'queries':>9}")
        for label, median, p95, queries in rows:
            self.stdout.write(f"{label:<{width}}{median:>10.1f}{p95:>10.1f}{median / bare:>8.1f}{queries:>9}")


def open_caseloads() -> dict[str, int]:
    """Each mediator with open cases (``Case.objects.open()``, as lead or co-mediator) and how many, fewest first
    (ties by username)."""
    carried = Counter()
    for role in ("lead_mediator", "co_mediator"):
        per_mediator = Case.objects.open().exclude(**{role: None}).order_by().values_list(f"{role}__username")
        carried.update(dict(per_mediator.annotate(n=Count("pk"))))
    return dict(sorted(carried.items(), key=lambda item: (item[1], item[0])))


def measured_pages(only) -> list:
    """The pages whose label contains a word of ``only`` (all without it), and always the two yardsticks."""
    return [page for page in PAGES if page in YARDSTICKS or not only or any(word in page.label for word in only)]


def median_and_p95(timings: list[float]) -> tuple[float, float]:
    timings = sorted(timings)
    return statistics.median(timings), timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
