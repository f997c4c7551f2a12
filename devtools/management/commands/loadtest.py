"""Load test: gunicorn serving the app on loopback, locust driving a mix of mediator and coordinator requests.

    DATABASE_URL=postgres://…/vom_bench REDIS_URL=redis://… manage.py loadtest --users 8 --duration 60

Starts gunicorn with production settings (DEBUG off, its own SECRET_KEY, ALLOWED_HOSTS, collected static
files, the database and Redis of this command's environment) and ``--workers`` sync workers on a free
loopback port; signs each simulated user in through the real sign-in form; runs locust headless for
``--duration`` seconds at ``--users`` concurrent users with no think time, replaying requests drawn from
MIX; then runs the bare view (devtools.bench) under the same generator and concurrency. Prints per-endpoint
requests, requests per second, median, 95th percentile and errors, and exits non-zero when a target is
missed: no errors, the caseload list's 95th percentile under its target, and the mix's
throughput at least ``--ratio`` of the bare view's. Gunicorn is stopped on the way out, whatever happens.

It lives in the tooling (devtools) because the mix reaches into every app; the requests are URLs.
"""

import csv
import functools
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Q
from django.http import QueryDict

from cases.demo import DEMO_PROGRAM_SLUG, LAST_NAMES
from cases.forms import CaseloadFilterForm
from cases.models import Case, Membership, Program
from cases.selectors import caseload_filter_choices, caseload_page
from cases.views import CASELOAD_PAGE_SIZE
from devtools.bench import other_cpu_use
from devtools.serve import DEMO_PASSWORD, ROOT, Gunicorn, code_step, collectstatic, production_env, sign_in
from vom.users.selectors import authenticator_for, next_totp_code

LOCUSTFILE = ROOT / "devtools" / "locustfile.py"
BARE = "bare view, 50 rows from memory"
PLAN_LENGTH = 4000  # requests planned per simulated user; replayed in a loop if it runs out


@dataclass
class Person:
    """One signed-in simulated user and what its requests may point at."""

    username: str
    role: str
    own_open: list[int] = field(default_factory=list)
    own_all: list[int] = field(default_factory=list)
    program: "ProgramFacts | None" = None

    def own_case(self, rng: random.Random) -> int:
        # Mostly the cases they are working on; now and then an older, closed one.
        pool = self.own_open if self.own_open and rng.random() < 0.85 else self.own_all
        return rng.choice(pool)


@dataclass
class ProgramFacts:
    open_cases: list[int]
    mediator_ids: list[int]
    source_ids: list[int]
    pages: int


@dataclass(frozen=True)
class Request:
    """One kind of request in the mix: who sends it, how often (relative weight), and which URL."""

    name: str
    role: str
    weight: int
    path: Callable[[random.Random, Person], str]
    p95_target: bool = False  # the latency target (--p95) applies to it


def _filtered_caseload(rng: random.Random, person: Person) -> str:
    facts = person.program
    choice = rng.choice(["stage", "stage", "offense", "mediator", "source", "overdue"])
    value = {
        "stage": lambda: rng.choice([s for s in Case.Stage.values if s != Case.Stage.CLOSED]),
        "offense": lambda: rng.choice(Case.OffenseCategory.values),
        "mediator": lambda: rng.choice(facts.mediator_ids),
        "source": lambda: rng.choice(facts.source_ids),
        "overdue": lambda: "on",
    }[choice]()
    if rng.random() < 0.8:
        return f"/cases/?{choice}={value}"
    return caseload_reached_by_next(person.username, ((choice, str(value)),), rng.randint(2, 5))


def _deep_page(rng: random.Random, person: Person) -> str:
    # Paging on: mostly the next few pages, sometimes far back in the program's history.
    top = max(2, person.program.pages)
    page = rng.randint(2, min(6, top)) if rng.random() < 0.7 else rng.randint(min(7, top), top)
    return caseload_reached_by_next(person.username, (), page)


@functools.lru_cache(maxsize=4096)
def caseload_reached_by_next(username: str, filters: tuple, number: int) -> str:
    """The address of the caseload's page ``number`` as users reach it: the "Next" link of the page before it
    (which carries that page's last sort key), computed by the list's own selector. A page number in the address
    alone is what a bookmark or typing does: it counts the rows from the start."""
    user = get_user_model().objects.get(username=username)
    params = QueryDict(mutable=True)
    for name, value in filters:
        params[name] = value
    params["page"] = str(number - 1)
    form = CaseloadFilterForm(params, **caseload_filter_choices(user))
    page = caseload_page(user, form, params, path="/cases/", per_page=CASELOAD_PAGE_SIZE)
    return page.next_url or page.previous_url or f"/cases/?{params.urlencode()}"  # a list shorter than asked


# The mix. Each simulated user is a mediator or a coordinator (--coordinator-share of the users, at least
# one) and draws its requests from its role's rows by weight. Add a row to add a page to the load test.
MIX = [
    Request("mediator home", "mediator", 24, lambda r, p: "/my/"),
    Request("case page, own case", "mediator", 30, lambda r, p: f"/cases/{p.own_case(r)}/"),
    Request("caseload list, mediator", "mediator", 8, lambda r, p: "/cases/", p95_target=True),
    Request("follow-up list, mediator", "mediator", 4, lambda r, p: "/follow-up/"),
    Request("caseload list", "coordinator", 10, lambda r, p: "/cases/", p95_target=True),
    Request("caseload, filtered", "coordinator", 6, _filtered_caseload),
    Request("caseload, search by name", "coordinator", 3, lambda r, p: f"/cases/?q={r.choice(LAST_NAMES)}"),
    Request("caseload, later pages", "coordinator", 3, _deep_page),
    Request("case page, coordinator", "coordinator", 8, lambda r, p: f"/cases/{r.choice(p.program.open_cases)}/"),
    Request("follow-up list, coordinator", "coordinator", 4, lambda r, p: "/follow-up/"),
    Request("dashboard", "coordinator", 3, lambda r, p: "/dashboard/"),
    Request("outcome report", "coordinator", 1, lambda r, p: "/reports/outcomes/"),
]


def database_url() -> str:
    """This command's own database as a URL for the web processes (under pytest: the test database)."""
    s = connection.settings_dict
    if connection.vendor != "postgresql":
        return f"sqlite:///{s['NAME']}"
    auth = quote(s["USER"] or "", safe="")
    if s["PASSWORD"]:
        auth += ":" + quote(str(s["PASSWORD"]), safe="")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class Command(BaseCommand):
    help = "Serve the app with gunicorn and drive it with locust; compare with the bare view (README, Benchmarks)."

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._sessions: dict[tuple[str, int], str] = {}
        self.mix = MIX
        self.coordinator_share = 0.15

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=8, help="Concurrent simulated users (no think time).")
        parser.add_argument("--duration", type=int, default=60, help="Seconds of measured load per phase.")
        parser.add_argument("--warmup", type=int, default=10, help="Seconds of unmeasured load first.")
        parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn workers.")
        parser.add_argument(
            "--sweep", default="", help="First run the mix briefly at these concurrencies (e.g. 2,4,8,16) and print "
            "throughput and latency for each: where throughput stops growing is what the machine sustains."
        )  # fmt: skip
        parser.add_argument("--mediators", default="mediator,mediator2,mediator3", help="Mediator logins to use.")
        parser.add_argument("--coordinators", default="coordinator", help="Coordinator logins to use.")
        parser.add_argument("--password", default=DEMO_PASSWORD, help="Password of those logins.")
        parser.add_argument(
            "--coordinator-share", type=float, default=0.15, help="Share of the users who are coordinators (a "
            "program has a coordinator or two beside its many volunteer mediators)."
        )  # fmt: skip
        parser.add_argument("--p95", type=float, default=250, help="Most 95th percentile of the caseload lists, ms.")
        parser.add_argument("--ratio", type=float, default=0.5, help="Least mix throughput / bare throughput.")
        parser.add_argument("--skip", nargs="*", default=[], help="Leave out the rows of MIX with these names.")
        parser.add_argument("--seed", type=int, default=8, help="Seed of the request plan.")
        parser.add_argument("--log", default="", help="Write gunicorn's log here (default: a temporary file).")

    def handle(self, *args, users, duration, warmup, workers, sweep, mediators, coordinators, password,
               coordinator_share, p95, ratio, skip, seed, log, **options):  # fmt: skip
        self.coordinator_share = coordinator_share
        caseload_reached_by_next.cache_clear()  # addresses of another database (under pytest) or older rows
        unknown = set(skip) - {r.name for r in MIX}
        if unknown:
            raise CommandError(f"Not in the mix: {', '.join(sorted(unknown))}")
        self.mix = [r for r in MIX if r.name not in skip]
        if connection.vendor != "postgresql":
            self.stderr.write("Warning: not PostgreSQL; the figures say little about production.")
        people = self.people(mediators.split(","), coordinators.split(","))
        busy = other_cpu_use()
        with tempfile.TemporaryDirectory(prefix="vom-loadtest-") as tmp:
            tmp = Path(tmp)
            # The web processes use this command's database and Redis.
            env = production_env(
                STATIC_ROOT=str(tmp / "static"), DATABASE_URL=database_url(), REDIS_URL=settings.REDIS_URL
            )
            collectstatic(env, tmp / "static")
            server = Gunicorn(env=env, workers=workers, app="devtools.bench_wsgi:application",
                              log=Path(log) if log else tmp / "gunicorn.log")  # fmt: skip
            with server:
                self.stdout.write(
                    f"{date.today()}, {os.cpu_count()} cores ({busy:.0%} busy before start); gunicorn {workers} "
                    f"workers on {server.base_url}; {Case.objects.count():,} cases; {warmup} s warm-up, "
                    f"{duration} s per phase"
                )
                if busy > 0.2:
                    self.stderr.write("Warning: other processes are using the CPU; the figures will be low.")
                self.mix_plan(server, people, max([users, *self.concurrencies(sweep)]), password, seed)  # sign-ins
                if warmup:
                    plan, _ = self.mix_plan(server, people, users, password, seed)
                    self.locust(server, plan, users, warmup, tmp / "warmup")
                if sweep:
                    self.sweep(server, people, self.concurrencies(sweep), max(3, duration // 2), password, seed, tmp)
                plan, sessions = self.mix_plan(server, people, users, password, seed)
                self.stdout.write(f"\n{users} users ({self.role_counts(self.slots(people, users))}):")
                pids = server.worker_pids()
                mix = self.locust(server, plan, users, duration, tmp / "mix")
                bare_plan = {"users": [{"session": s, "requests": [[BARE, "/bench/bare/"]]} for s in sessions]}
                bare = self.locust(server, bare_plan, users, duration, tmp / "bare")
                # A worker that crashed or hit its timeout would have been replaced under a new pid.
                workers_kept = server.worker_pids() == pids
            self.report(mix, bare, p95, ratio, workers_kept=workers_kept)

    @staticmethod
    def concurrencies(sweep: str) -> list[int]:
        return [int(n) for n in sweep.split(",") if n.strip()]

    def mix_plan(self, server: Gunicorn, people, users: int, password: str, seed: int) -> tuple[dict, list[str]]:
        """Sign each simulated user in through the sign-in form (once per person and slot) and plan its requests."""
        slots = self.slots(people, users)
        sessions = []
        for index, person in enumerate(slots):
            key = (person.username, index)
            if key not in self._sessions:
                step = code_step(lambda name=person.username: self.totp_code(name))
                client = sign_in(server.base_url, person.username, password, second_step=step)
                self._sessions[key] = client.cookies["sessionid"]
            sessions.append(self._sessions[key])
        return self.plan(slots, sessions, seed), sessions

    @staticmethod
    def totp_code(username: str) -> str:
        """What the user's authenticator app shows now (the demo accounts share the published demo key)."""
        device = authenticator_for(get_user_model().objects.get(username=username))
        if device is None:
            raise CommandError(f"{username} must sign in with a code but has no authenticator app set up.")
        code, wait = next_totp_code(device)
        if wait:  # this time step's code was used by an earlier sign-in: an app shows the next one soon
            time.sleep(wait)
            device.refresh_from_db()
            code, _ = next_totp_code(device)
        return code

    def sweep(self, server, people, concurrencies: list[int], seconds: int, password: str, seed: int, tmp: Path):
        targets = [r.name for r in self.mix if r.p95_target]
        self.stdout.write(f"\n{'users':>5}{'req/s':>8}{'median ms':>11}{'p95 ms':>8}{'caseload p95':>14}{'errors':>8}")
        for users in concurrencies:
            plan, _ = self.mix_plan(server, people, users, password, seed)
            rows = self.locust(server, plan, users, seconds, tmp / f"sweep{users}")
            total = rows["Aggregated"]
            worst = max((rows[name]["p95"] for name in targets if name in rows), default=0)
            self.stdout.write(
                f"{users:>5}{total['rps']:>8.1f}{total['median']:>11.0f}{total['p95']:>8.0f}{worst:>14.0f}"
                f"{total['errors']:>8}"
            )

    # --- who signs in, and what they ask for ---------------------------------------------------------

    def people(self, mediators: list[str], coordinators: list[str]) -> dict[str, list[Person]]:
        program = Program.objects.filter(slug=DEMO_PROGRAM_SLUG).first() or Program.objects.first()
        if program is None:
            raise CommandError("No program: seed the database first (manage.py seed_demo --cases 100000).")
        cases = Case.objects.filter(program=program)
        open_cases = list(cases.exclude(stage=Case.Stage.CLOSED).values_list("pk", flat=True))
        facts = ProgramFacts(
            open_cases=open_cases,
            mediator_ids=list(
                Membership.objects.filter(program=program, role="mediator").values_list("user_id", flat=True)[:50]
            ),
            source_ids=list(program.referral_sources.values_list("pk", flat=True)),
            pages=max(1, cases.count() // 50),
        )
        User = get_user_model()
        result: dict[str, list[Person]] = {"mediator": [], "coordinator": []}
        for role, names in (("mediator", mediators), ("coordinator", coordinators)):
            for name in filter(None, (n.strip() for n in names)):
                user = User.objects.filter(username=name).first()
                if user is None:
                    raise CommandError(f"No user {name!r}: seed the database first.")
                own = cases.filter(Q(lead_mediator=user) | Q(co_mediator=user))
                result[role].append(
                    Person(
                        username=name,
                        role=role,
                        own_open=list(own.exclude(stage=Case.Stage.CLOSED).values_list("pk", flat=True)),
                        own_all=list(own.values_list("pk", flat=True)),
                        program=facts,
                    )
                )
            if role == "mediator" and result[role] and not any(p.own_all for p in result[role]):
                raise CommandError("The mediators given have no cases.")
        return result

    def slots(self, people: dict[str, list[Person]], users: int) -> list[Person]:
        """Which person each simulated user is: --coordinator-share of them coordinators (at least one)."""
        roles = {r.role for r in self.mix if people[r.role]}
        coordinators = round(users * self.coordinator_share) if "coordinator" in roles else 0
        if "coordinator" in roles and "mediator" in roles and users > 1:
            coordinators = min(max(coordinators, 1), users - 1)
        elif "mediator" not in roles:
            coordinators = users
        roles = ["coordinator"] * coordinators + ["mediator"] * (users - coordinators)
        counters: dict[str, int] = {}
        slots = []
        for role in roles:
            index = counters.get(role, 0)
            counters[role] = index + 1
            slots.append(people[role][index % len(people[role])])
        return slots

    @staticmethod
    def role_counts(slots: list[Person]) -> str:
        counts: dict[str, int] = {}
        for person in slots:
            counts[person.role] = counts.get(person.role, 0) + 1
        return ", ".join(f"{n} {role}s" for role, n in sorted(counts.items()))

    def plan(self, slots: list[Person], sessions: list[str], seed: int) -> dict:
        users = []
        for index, (person, session) in enumerate(zip(slots, sessions, strict=True)):
            rng = random.Random(f"{seed}:{index}")
            rows = [r for r in self.mix if r.role == person.role]
            drawn = rng.choices(rows, weights=[r.weight for r in rows], k=PLAN_LENGTH)
            users.append({"session": session, "requests": [[r.name, r.path(rng, person)] for r in drawn]})
        return {"users": users}

    # --- running locust and reading its figures ------------------------------------------------------

    def locust(self, server: Gunicorn, plan: dict, users: int, seconds: int, prefix: Path) -> dict[str, dict]:
        plan_file = prefix.with_suffix(".json")
        plan_file.write_text(json.dumps(plan))
        command = [
            sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--users", str(users),
            "--spawn-rate", str(users), "--run-time", f"{seconds}s", "--host", server.base_url,
            "--csv", str(prefix), "--only-summary", "--stop-timeout", "30", "--loglevel", "ERROR",
            "--exit-code-on-error", "0",
        ]  # fmt: skip
        env = {**os.environ, "VOM_LOADTEST_PLAN": str(plan_file)}
        started = time.monotonic()
        done = subprocess.run(
            command,
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=seconds + 120,
        )
        if done.returncode != 0:
            raise CommandError(f"locust failed ({done.returncode}):\n{done.stderr[-3000:]}")
        elapsed = time.monotonic() - started
        rows = {}
        with open(f"{prefix}_stats.csv") as stats:
            for row in csv.DictReader(stats):
                rows[row["Name"]] = {
                    "requests": int(row["Request Count"]),
                    "errors": int(row["Failure Count"]),
                    "rps": float(row["Requests/s"]),
                    "median": float(row["50%"]),
                    "p95": float(row["95%"]),
                }
        failures = Path(f"{prefix}_failures.csv")
        if failures.exists():
            for row in csv.DictReader(failures.open()):
                self.stderr.write(f"  {row['Name']}: {row['Occurrences']} times {row['Error']}")
        rows["Aggregated"]["elapsed"] = elapsed
        return rows

    def report(self, mix: dict[str, dict], bare: dict[str, dict], p95: float, ratio: float, *, workers_kept: bool):
        names = [r.name for r in self.mix if r.name in mix]
        width = max(len(n) for n in [*names, BARE, "all requests (mix)"]) + 2
        header = f"{'requests':>9}{'req/s':>8}{'median ms':>11}{'p95 ms':>8}{'errors':>8}"
        self.stdout.write(f"\n{'endpoint':<{width}}{header}")

        def line(label, row):
            self.stdout.write(
                f"{label:<{width}}{row['requests']:>9}{row['rps']:>8.1f}{row['median']:>11.0f}{row['p95']:>8.0f}"
                f"{row['errors']:>8}"
            )

        for name in names:
            line(name, mix[name])
        line("all requests (mix)", mix["Aggregated"])
        line(BARE, bare["Aggregated"])
        achieved = mix["Aggregated"]["rps"] / bare["Aggregated"]["rps"]
        self.stdout.write(f"mix throughput / bare view throughput: {achieved:.2f}")
        missed = []
        errors = mix["Aggregated"]["errors"] + bare["Aggregated"]["errors"]
        if errors:
            missed.append(f"{errors} errors")
        for request in self.mix:
            if request.p95_target and request.name in mix and mix[request.name]["p95"] > p95:
                missed.append(f"{request.name}: p95 {mix[request.name]['p95']:.0f} ms > {p95:.0f} ms")
        if achieved < ratio:
            missed.append(f"throughput ratio {achieved:.2f} < {ratio:.2f}")
        if not workers_kept:
            missed.append("a gunicorn worker was replaced during the run (crash or timeout; see its log)")
        if missed:
            raise CommandError("Targets missed: " + "; ".join(missed))
        self.stdout.write(self.style.SUCCESS("All targets met."))
