"""Synthetic, deterministic demo data: a program, its staff and realistic cases.

Every case is generated from its index alone (``random.Random(f"{seed}:{index}")``), so running the
seed twice, or growing the data set later, gives the same cases. Nothing here is real: names are
drawn from lists, emails use example.org, phone numbers the 555-01xx fiction range.
"""

import multiprocessing
import multiprocessing.connection
import os
import random
import time as time_module
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, connections, transaction
from django.db.models import IntegerField, Max
from django.db.models.functions import Cast, Substr
from django.utils import timezone

from vom.core.bulk import bulk_insert, new
from vom.users.selectors import authenticator_for, two_factor_required
from vom.users.services import DEMO_DEVICE_NAME, totp_demo_device

from .extensions import demo_seeders
from .models import (
    Assignment,
    Case,
    CaseNumberCounter,
    Membership,
    OutcomeCheck,
    Party,
    Person,
    Program,
    ReferralSource,
    TimelineEvent,
)
from .rules import is_juvenile
from .services import case_numbers_reserve, program_filters_changed

DEMO_PROGRAM_SLUG = "riverbend"

FIRST_NAMES = """
    Aaliyah Adrian Amara Andre Ana Ben Bianca Caleb Camila Carlos Chloe Darius Deja Diego Elena Eli Emma
    Farah Gabriel Grace Hana Hector Imani Isaac Jada Jamal Jasmine Jonah Kai Keisha Leo Lucia Malik Maya
    Mei Miguel Nadia Noah Omar Priya Rosa Ryan Samir Sofia Tariq Tessa Theo Valeria Wei Yusuf Zoe
""".split()
LAST_NAMES = """
    Abbott Alvarez Bennett Brooks Castillo Chen Cole Diaz Edwards Fischer Flores Garcia Greene Hassan
    Hughes Ibrahim Jackson Kim Kowalski Lee Lopez Martin Mendoza Moreno Murphy Nguyen Novak Okafor Ortiz
    Patel Petrov Price Ramirez Reyes Robinson Sanders Santos Schmidt Singh Sullivan Tanaka Thompson
    Turner Vasquez Walker Washington Williams Yilmaz Young Zhang
""".split()
ORGANISATIONS = [
    "Corner Fresh Market",
    "Eastside Hardware",
    "Lincoln High School",
    "Riverbend Transit Authority",
    "Maple Street Pharmacy",
    "Sunrise Laundromat",
    "Harbor View Apartments",
    "Golden Dragon Restaurant",
    "Westfield Community Center",
    "Pine Ridge Elementary",
    "QuickStop Gas & Go",
    "Bluebird Books",
]
LANGUAGES = ["en"] * 14 + ["es"] * 4 + ["vi", "ar", "so", "zh"]
STREETS = [
    "Oak Ave",
    "Maple St",
    "River Rd",
    "Cedar Ln",
    "Elm St",
    "Hillcrest Dr",
    "Lakeview Blvd",
    "Birch Ct",
]

OFFENSES = {
    Case.OffenseCategory.PROPERTY: [
        "Broke the rear window of the victim's car and took a backpack from the back seat.",
        "Spray-painted tags across the front wall and shutters of the business overnight.",
        "Took merchandise worth about $180 from the shelves and left without paying.",
        "Damaged the fence and mailbox while riding a bike through the yard after an argument.",
        "Entered the garden shed without permission and took two power tools.",
    ],
    Case.OffenseCategory.MINOR_ASSAULT: [
        "Pushed the victim to the ground during an argument at the bus stop; bruised wrist.",
        "Fight after a basketball game; the victim was punched once and needed ice and rest.",
        "Threw a drink at the victim and shoved them in the school hallway.",
    ],
    Case.OffenseCategory.VIOLENT: [
        "Robbed the victim of a phone by threatening them on the walk home from work.",
        "Assault causing a broken nose outside a late-night diner.",
    ],
    Case.OffenseCategory.OTHER: [
        "Repeated harassing messages to a former friend over several weeks.",
        "Set off fireworks in the apartment stairwell, frightening residents and damaging the ceiling.",
    ],
}
OFFENSE_WEIGHTS = [
    (Case.OffenseCategory.PROPERTY, 60),
    (Case.OffenseCategory.MINOR_ASSAULT, 25),
    (Case.OffenseCategory.VIOLENT, 5),
    (Case.OffenseCategory.OTHER, 10),
]
SOURCES = [
    ("Riverbend County Probation", ReferralSource.Kind.PROBATION, 29),
    ("Juvenile Court, Judge Halvorsen", ReferralSource.Kind.COURT, 23),
    ("District Attorney's Office", ReferralSource.Kind.PROSECUTOR, 15),
    ("Youth Diversion Program", ReferralSource.Kind.JUVENILE_DIVERSION, 13),
    ("Riverbend Police Department", ReferralSource.Kind.POLICE, 10),
    ("Public Defender's Office", ReferralSource.Kind.DEFENCE, 7),
    ("Victim Services Network", ReferralSource.Kind.VICTIM_ADVOCATE, 3),
]
CLOSED_OUTCOMES = [
    (Case.Outcome.COMPLETED, 45),
    (Case.Outcome.RETURNED, 6),
    (Case.Outcome.NO_AGREEMENT, 3),
    (Case.Outcome.DECLINED, 22),
    (Case.Outcome.UNSUITABLE, 7),
    (Case.Outcome.UNREACHABLE, 10),
    (Case.Outcome.CANCELLED, 2),
    (Case.Outcome.WITHDRAWN, 5),
]
# How many days after referral a case typically sits in each stage (drives the referral dates).
STAGE_AGE_DAYS = {
    Case.Stage.REFERRED: (0, 6),
    Case.Stage.SCREENING: (3, 20),
    Case.Stage.PREPARATION: (12, 30),
    Case.Stage.JOINT_SESSION: (20, 40),
    Case.Stage.AGREEMENT: (25, 45),
    Case.Stage.FOLLOW_UP: (40, 200),
    Case.Stage.CLOSED: (60, 5 * 365),
}
# A small demo shows every stage; a large data set is mostly history.
SMALL_STAGE_CYCLE = [
    Case.Stage.REFERRED,
    Case.Stage.SCREENING,
    Case.Stage.PREPARATION,
    Case.Stage.JOINT_SESSION,
    Case.Stage.FOLLOW_UP,
    Case.Stage.CLOSED,
    Case.Stage.AGREEMENT,
    Case.Stage.SCREENING,
    Case.Stage.CLOSED,
    Case.Stage.FOLLOW_UP,
]
# Years of history: cases close within months, so about 5% are open at any time (per mille).
LARGE_STAGE_WEIGHTS = [
    (Case.Stage.REFERRED, 5),
    (Case.Stage.SCREENING, 10),
    (Case.Stage.PREPARATION, 8),
    (Case.Stage.JOINT_SESSION, 5),
    (Case.Stage.AGREEMENT, 4),
    (Case.Stage.FOLLOW_UP, 20),
    (Case.Stage.CLOSED, 948),
]
SMALL_DATA_SET = 200
CASES_PER_MEDIATOR = 200  # a large data set gets a realistic pool of volunteer mediators

# The demo's authenticator key (base32), published in README and printed by seed_demo: anyone can compute
# the demo's codes. Only accounts that seed_demo creates get it.
DEMO_TOTP_SECRET = "VOMDEMOTOTPSECRETFORTRYINGITOUT2"  # noqa: S105 -- demo accounts only; printed on purpose

STAFF = [
    # username, first, last, role (None = admin)
    ("admin", "Alex", "Morgan", None),
    ("coordinator", "Dana", "Rivera", Membership.Role.COORDINATOR),
    ("mediator", "Grace", "Okafor", Membership.Role.MEDIATOR),
    ("mediator2", "Erik", "Lindqvist", Membership.Role.MEDIATOR),
    ("mediator3", "Linh", "Nguyen", Membership.Role.MEDIATOR),
]


@dataclass
class SeedResult:
    program: Program
    logins: list[tuple[str, str, str]]  # username, password, role label
    created_cases: int
    total_cases: int


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def _phone(rng: random.Random) -> str:
    """A number in the 555-0100 to 555-0199 range set aside for fiction, stored as E.164."""
    line, _unused = rng.randint(0, 99), rng.randint(1000, 9999)  # two draws keep later cases as they were
    return f"+1612555{100 + line:04d}"


def ensure_program_and_staff(*, password: str) -> tuple[Program, list[tuple[str, str, str, bool]]]:
    """Create (or find) the demo program, its referral sources and its staff. Safe to run twice.

    Returns the program and the logins: username, password, role, and whether the account signs in
    with the demo authenticator key (admins and coordinators must use two-factor sign-in).
    """
    User = get_user_model()
    program, _ = Program.objects.get_or_create(
        slug=DEMO_PROGRAM_SLUG,
        defaults={
            "name": "Riverbend County Victim-Offender Mediation Program",
            "address": "210 Court Street, Suite 4\nRiverbend, MN 55000",
            "phone": "(612) 555-0100",
            "email": "vom@riverbend.example.org",
            "usual_meeting_place": "Program office, 210 Court Street, Suite 4",
        },
    )
    for name, kind, _weight in SOURCES:
        ReferralSource.objects.get_or_create(
            program=program,
            name=name,
            defaults={"kind": kind, "contact_email": f"{kind}@riverbend.example.org"},
        )
    logins = []
    for username, first, last, role in STAFF:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@riverbend.example.org",
                "is_staff": role is None,
                "is_superuser": role is None,
            },
        )
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
        if role:
            Membership.objects.get_or_create(user=user, program=program, role=role)
        # Only accounts made here get the published demo key: an existing account keeps its own app.
        if created and two_factor_required(user):
            totp_demo_device(user=user, secret_base32=DEMO_TOTP_SECRET)
        device = authenticator_for(user)
        has_demo_key = device is not None and device.name == DEMO_DEVICE_NAME
        logins.append((username, password, role.label if role else "Admin", has_demo_key))
    return program, logins


def _stage_for(index: int, total: int, rng: random.Random) -> str:
    if total <= SMALL_DATA_SET:
        return SMALL_STAGE_CYCLE[index % len(SMALL_STAGE_CYCLE)]
    return _weighted(rng, LARGE_STAGE_WEIGHTS)


# In the small demo, a few cases tell the hard stories on purpose (the seeders of the apps above shape their
# records by ``Case.demo_story``): a plan renegotiated after missed payments, a victim who declined, and a
# case with two offenders.
DEMO_STORIES = {4: "amended", 5: "declined", 9: "two_offenders"}


def _build_case(index: int, total: int, seed: int, today: date, program, sources, mediators):
    """Everything about case ``index``: the Case (unsaved) and its parties as plain tuples."""
    rng = random.Random(f"{seed}:{index}")
    stage = _stage_for(index, total, rng)
    story = DEMO_STORIES.get(index, "") if total <= SMALL_DATA_SET else ""
    low, high = STAGE_AGE_DAYS[stage]
    referral_date = today - timedelta(days=rng.randint(low, high))
    if story == "amended":  # half a year of follow-up behind it
        referral_date, low = today - timedelta(days=215), 30
    incident_date = referral_date - timedelta(days=rng.randint(7, 90))
    category = _weighted(rng, OFFENSE_WEIGHTS)
    source = _weighted(rng, [(sources[name], weight) for name, _kind, weight in SOURCES])
    juvenile = rng.random() < 0.55
    court_ordered = source.kind in {ReferralSource.Kind.COURT, ReferralSource.Kind.PROBATION} and rng.random() < 0.6
    outcome = _weighted(rng, CLOSED_OUTCOMES) if stage == Case.Stage.CLOSED else ""
    if story == "declined":
        outcome = Case.Outcome.DECLINED
    lead = co = None
    if stage != Case.Stage.REFERRED:
        lead, co = rng.sample(mediators, 2)
        if rng.random() < 0.3:
            co = None
    stage_changed = datetime.combine(
        referral_date + timedelta(days=min(low, (today - referral_date).days)), time(hour=rng.randint(9, 17))
    )
    stage_changed = timezone.make_aware(stage_changed, timezone.get_default_timezone())
    case = new(
        Case,
        program=program,
        referral_source=source,
        referral_date=referral_date,
        referral_type=(
            Case.ReferralType.DIVERSION
            if source.kind in {ReferralSource.Kind.POLICE, ReferralSource.Kind.JUVENILE_DIVERSION}
            else rng.choice([Case.ReferralType.PRE_ADJUDICATION, Case.ReferralType.POST_ADJUDICATION])
        ),
        court_ordered=court_ordered,
        # A county court file number, as on the court's order (made up, and drawing nothing from ``rng``, so the
        # rest of the demo stays as it was).
        referral_reference=f"27-CR-{referral_date:%y}-{referral_date.toordinal() % 9000 + 1000}"
        if court_ordered
        else "",
        court_return_date=referral_date + timedelta(days=rng.randint(60, 120)) if court_ordered else None,
        offense_category=category,
        offense_description=rng.choice(OFFENSES[category]),
        incident_date=incident_date,
        stage=stage,
        mode=Case.Mode.INDIRECT if rng.random() < 0.12 else Case.Mode.DIRECT,
        outcome=outcome,
        outcome_reason="Recorded at closure." if outcome else "",
        lead_mediator=lead,
        co_mediator=co,
        stage_changed_at=stage_changed,
        closed_at=stage_changed if outcome else None,
    )
    case.demo_story = story

    def individual(age_low, age_high):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        dob = incident_date - timedelta(days=rng.randint(age_low * 365 + 1, age_high * 365 - 1))
        return new(Person, kind=Person.Kind.INDIVIDUAL, first_name=first, last_name=last, date_of_birth=dob)

    def contact(person, language):
        handle = f"{person.first_name}.{person.last_name}".lower()
        consent = rng.random() < 0.85
        street = f"{rng.randint(10, 9999)} {rng.choice(STREETS)}"
        return {
            "preferred_language": language,
            "interpreter_needed": language != "en" and rng.random() < 0.6,
            "consent_to_contact": consent,
            "contact_method": (method := rng.choice([Party.ContactMethod.EMAIL, Party.ContactMethod.PHONE]))
            if consent
            else "",
            "email": f"{handle}{rng.randint(1, 99)}@example.org",
            "phone": _phone(rng),
            "address": f"{street}\nRiverbend, MN {rng.randint(55001, 55099)}",
            # Those who prefer the phone agreed to reminders by text when they were referred.
            "texts_consented_at": stage_changed if consent and method == Party.ContactMethod.PHONE else None,
        }

    parties = []  # (person, role, related index or None, contact dict)
    offender = individual(14, 18) if juvenile else individual(19, 60)
    language = rng.choice(LANGUAGES)
    if story == "amended":  # a Spanish-speaking offender signs through an interpreter: a bilingual agreement
        language = "es"
    parties.append((offender, Party.Role.OFFENDER, None, contact(offender, language)))
    if story == "amended":
        parties[-1][3]["interpreter_needed"] = True
    case.juvenile = is_juvenile(offender.date_of_birth, incident_date)
    if juvenile:
        guardian = individual(34, 55)
        guardian.last_name = offender.last_name
        parties.append((guardian, Party.Role.GUARDIAN, 0, contact(guardian, language)))
    if story == "two_offenders":
        second = random.Random(f"{seed}:{index}:second")
        accomplice = new(
            Person,
            kind=Person.Kind.INDIVIDUAL,
            first_name=second.choice(FIRST_NAMES),
            last_name=second.choice(LAST_NAMES),
            date_of_birth=incident_date - timedelta(days=22 * 365),
        )
        parties.append((accomplice, Party.Role.OFFENDER, None, contact(accomplice, "en")))
    if rng.random() < 0.2 and story != "declined":  # the declining victim is a person
        org = new(Person, kind=Person.Kind.ORGANISATION, organisation_name=rng.choice(ORGANISATIONS))
        victim_index = len(parties)
        parties.append((org, Party.Role.VICTIM, None, {"consent_to_contact": True, "phone": _phone(rng)}))
        rep = individual(25, 65)
        parties.append((rep, Party.Role.VICTIM_REPRESENTATIVE, victim_index, contact(rep, "en")))
    else:
        victim = individual(16, 80)
        victim_language = "en" if story == "amended" else rng.choice(LANGUAGES)
        parties.append((victim, Party.Role.VICTIM, None, contact(victim, victim_language)))
    return case, parties


BATCH = 2000  # cases built and inserted together
ANALYZE_EVERY = 25  # batches


def seed_cases(
    *, program: Program, total: int, seed: int = 2026, today: date | None = None, workers: int = 1,
    progress: Callable[[int], object] | None = None,
) -> int:  # fmt: skip
    """Make sure the program has at least ``total`` demo cases; create the missing ones in bulk.

    With ``workers`` > 1 on PostgreSQL the batches are shared among that many processes (building the
    rows is Python's work, one core each); batches still take their case numbers in order, so the
    data set is the same as a single process makes. ``progress(n)`` is told of each batch of n cases
    written (by the calling process, whichever process wrote them)."""
    today = today or timezone.localdate()
    existing = Case.objects.filter(program=program).count()
    if existing >= total:
        return 0
    sources = {s.name: s for s in ReferralSource.objects.filter(program=program)}
    if total > SMALL_DATA_SET:
        _ensure_mediator_pool(program, total // CASES_PER_MEDIATOR)
    mediators = list(
        get_user_model()
        .objects.filter(memberships__program=program, memberships__role=Membership.Role.MEDIATOR)
        .order_by("username")
    )
    if len(mediators) < 2:
        raise ValueError("The demo program needs at least two mediators.")
    # Resuming a seed that was stopped: the batches written are a prefix (they commit in order), but the
    # numbers reserved for the batches that never committed are not; hand them out again.
    _realign_counters(program)
    batches = list(enumerate(range(existing, total, BATCH)))

    def run(share, turns):
        for position, start in share:
            built = [
                _build_case(i, total, seed, today, program, sources, mediators)
                for i in range(start, min(start + BATCH, total))
            ]
            with turns.turn("numbered", position):
                _number(program, built)
            # Built in parallel, written and committed in batch order: whenever the seed stops, the cases written
            # are the first ones, and the next run (which starts after the cases it counts) makes the same data set.
            # One batch writes at a time: the reports' triggers (reports.cohort) lock each referral day a batch
            # touches until it commits, so a batch that wrote first and then waited for an earlier one to commit
            # would hold days that one needs, and both would wait for ever.
            turns.wait("committed", position)
            with transaction.atomic():
                _insert_batch(built, seed)
            turns.passed("committed", position)
            turns.written(len(built))
            if connection.vendor == "postgresql" and (position < 2 or position % ANALYZE_EVERY == ANALYZE_EVERY - 1):
                # Planner statistics as the tables grow (autovacuum may be off, or behind a bulk load): without
                # them the seeders' own reads (a batch's meetings' attendees) turn into whole-table scans. The
                # first two batches too: a trigger's statements are planned on a connection's first batch and
                # kept until the statistics change, and planned for empty tables the party names' triggers
                # read every person of the program for each batch (a 30,000-case seed: 63 s, 52 s with this).
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")

    report = progress or (lambda n: None)
    if workers > 1 and len(batches) > 1 and connection.vendor == "postgresql":
        _in_processes(run, batches, workers, report)
    else:
        run(batches, _Turns(None, report))
    return total - existing


class _Turns:
    """Batches take their case numbers, and commit, in batch order, whichever process built them first."""

    def __init__(self, context, report=None):
        self.serial = context is None
        self.report = report
        if not self.serial:
            self.parent = os.getpid()
            self.condition = context.Condition()
            self.next = {"numbered": context.Value("i", 0, lock=False), "committed": context.Value("i", 0, lock=False)}
            self.failed = context.Value("b", 0, lock=False)
            self.done = context.Value("q", 0, lock=False)

    def written(self, count: int) -> None:
        if self.serial:
            self.report(count)
            return
        with self.condition:
            self.done.value += count

    @contextmanager
    def turn(self, step: str, position: int):
        """Wait until every batch before ``position`` has passed ``step``; pass it on leaving."""
        self.wait(step, position)
        yield
        self.passed(step, position)

    def wait(self, step: str, position: int) -> None:
        """Wait until every batch before ``position`` has passed ``step``."""
        if self.serial:
            return
        with self.condition:
            deadline = time_module.monotonic() + 900
            while True:
                # A child whose parent was stopped (kill, a closed terminal) stops too, rolling back its batch.
                if os.getppid() != self.parent or time_module.monotonic() > deadline:
                    self.failed.value = 1
                    self.condition.notify_all()
                if self.failed.value or self.next[step].value == position:
                    break
                self.condition.wait(timeout=1)
            if self.failed.value:
                raise RuntimeError("Another seeding process failed or stalled; this one stops too.")

    def passed(self, step: str, position: int) -> None:
        if self.serial:
            return
        with self.condition:
            self.next[step].value = position + 1
            self.condition.notify_all()

    def fail(self):
        with self.condition:
            self.failed.value = 1
            self.condition.notify_all()


def _in_processes(run, batches, workers: int, report) -> None:
    """``run`` a share of the batches in each of ``workers`` forked processes, each on its own connection;
    this process reports what they have written while it waits."""
    context = multiprocessing.get_context("fork")
    turns = _Turns(context)
    connections.close_all()  # a forked child must not share the parent's socket

    def child(share):
        try:
            run(share, turns)
        except BaseException:
            turns.fail()
            raise
        finally:
            connections.close_all()

    processes = [context.Process(target=child, args=(batches[w::workers],)) for w in range(workers)]
    for process in processes:
        process.start()
    reported = 0
    while any(process.is_alive() for process in processes):
        multiprocessing.connection.wait([process.sentinel for process in processes], timeout=0.5)
        if any(process.exitcode for process in processes):  # killed, or failed before it could say so
            turns.fail()
        with turns.condition:
            done = turns.done.value
        report(done - reported)
        reported = done
    for process in processes:
        process.join()
    if any(process.exitcode for process in processes):
        raise RuntimeError(
            "A seeding process failed (its error is printed above); the batches written stay, and the same "
            "command run again goes on from there."
        )


def _ensure_mediator_pool(program: Program, size: int) -> None:
    """Volunteer mediators mediator4 … mediatorN (one shared, unusable password: they never sign in)."""
    User = get_user_model()
    existing = Membership.objects.filter(program=program, role=Membership.Role.MEDIATOR).count()
    wanted = [f"mediator{n}" for n in range(existing + 1, size + 1)]
    taken = set(User.objects.filter(username__in=wanted).values_list("username", flat=True))
    rng = random.Random(f"pool:{size}")
    unusable = make_password(None)
    users = User.objects.bulk_create(
        [
            User(username=name, first_name=rng.choice(FIRST_NAMES), last_name=rng.choice(LAST_NAMES), password=unusable)
            for name in wanted
            if name not in taken
        ]
    )
    Membership.objects.bulk_create(
        [Membership(user=user, program=program, role=Membership.Role.MEDIATOR) for user in users]
    )
    program_filters_changed(program_ids=[program.pk])  # a bulk insert sends no signal (cases.receivers)


def _realign_counters(program: Program) -> None:
    """Set each of the program's case-number counters back to its highest case number (or 0).

    A seed stopped midway reserved numbers for batches it never committed; the counters then run ahead of
    the cases. Realigned, the resumed seed numbers its cases as an uninterrupted one would have."""
    highest = dict(
        Case.objects.filter(program=program)
        .annotate(year=Cast(Substr("number", 1, 4), IntegerField()))
        .values("year")
        .annotate(last=Max(Cast(Substr("number", 6), IntegerField())))
        .values_list("year", "last")
    )
    for counter in CaseNumberCounter.objects.filter(program=program):
        if counter.last_value != highest.get(counter.year, 0):
            counter.last_value = highest.get(counter.year, 0)
            counter.save(update_fields=["last_value"])


def _number(program, built) -> None:
    """Case numbers in referral order within each year, reserved outside the batch's transaction so
    the counter row is not held while the batch is written."""
    by_year: dict[int, list[Case]] = {}
    for case, _parties in built:
        by_year.setdefault(case.referral_date.year, []).append(case)
    for year, cases in by_year.items():
        cases.sort(key=lambda c: c.referral_date)
        for case, number in zip(cases, case_numbers_reserve(program=program, year=year, count=len(cases)), strict=True):
            case.number = number


def _insert_batch(built, seed: int) -> None:
    with transaction.atomic():
        cases = bulk_insert([case for case, _ in built])
        people = bulk_insert([person for _, parties in built for person, *_ in parties])
        people_iter = iter(people)
        parties_by_case: dict[int, list[Party]] = {}
        independent, dependent = [], []
        for case, (_, parties) in zip(cases, built, strict=True):
            case_parties = [
                new(Party, case=case, person=next(people_iter), role=role, **details)
                for _p, role, _i, details in parties
            ]
            for party, (_p, _role, related_index, _details) in zip(case_parties, parties, strict=True):
                if related_index is None:
                    independent.append(party)
                else:
                    dependent.append((party, case_parties[related_index]))
            parties_by_case[case.pk] = case_parties
        # Guardians and representatives point at parties of the first insert, so two inserts suffice.
        bulk_insert(independent, batch_size=5000)
        for party, related in dependent:
            party.related_party = related
        bulk_insert([party for party, _ in dependent], batch_size=5000)
        _history(cases, parties_by_case)
        for seeder in demo_seeders():
            seeder(cases=cases, parties_by_case=parties_by_case, seed=seed)


def _history(cases: list[Case], parties_by_case: dict[int, list[Party]]) -> None:
    """Timeline events and assignment rows consistent with each case's stage."""
    events, assignments = [], []
    for case in cases:
        received = timezone.make_aware(datetime.combine(case.referral_date, time(9)))
        events.append(
            new(
                TimelineEvent,
                case=case,
                at=received,
                kind=TimelineEvent.Kind.CREATED,
                summary=f"Referral from {case.referral_source}",
            )
        )
        if case.lead_mediator_id:
            assigned = received + timedelta(days=1)
            team = f"Lead mediator {case.lead_mediator}" + (
                f", co-mediator {case.co_mediator}" if case.co_mediator_id else ""
            )
            events.append(
                new(TimelineEvent, case=case, at=assigned, kind=TimelineEvent.Kind.STAGE, summary=f"Assigned. {team}.",
                              from_stage=Case.Stage.REFERRED, to_stage=Case.Stage.SCREENING)
            )  # fmt: skip
            for role, user in ((Assignment.Role.LEAD, case.lead_mediator), (Assignment.Role.CO, case.co_mediator)):
                if user is not None:
                    assignments.append(new(Assignment, case=case, mediator=user, role=role, started_at=assigned))
        if case.stage == Case.Stage.CLOSED:
            summary = f"Closed: {case.get_outcome_display()}."
            events.append(
                new(TimelineEvent, case=case, at=case.closed_at, kind=TimelineEvent.Kind.CLOSED, summary=summary,
                              to_stage=Case.Stage.CLOSED)
            )  # fmt: skip
        elif case.stage not in {Case.Stage.REFERRED, Case.Stage.SCREENING}:
            events.append(
                new(TimelineEvent, case=case, at=case.stage_changed_at, kind=TimelineEvent.Kind.STAGE,
                              summary=f"Moved to {case.get_stage_display().lower()}.", to_stage=case.stage)
            )  # fmt: skip
    bulk_insert(events, batch_size=5000)
    bulk_insert(assignments, batch_size=5000)
    bulk_insert(_outcome_checks(cases, parties_by_case), batch_size=5000)


MEDIATED_OUTCOMES = {Case.Outcome.COMPLETED, Case.Outcome.RETURNED, Case.Outcome.NO_AGREEMENT}


def _outcome_checks(cases: list[Case], parties_by_case: dict[int, list[Party]]) -> list:
    """Reoffending checks for each offender of closed cases; past-due ones answered, participants reoffending
    less often."""
    today = timezone.localdate()
    checks = []
    for case, offender in ((c, p) for c in cases for p in parties_by_case[c.pk] if p.role == Party.Role.OFFENDER):
        if case.stage != Case.Stage.CLOSED:
            continue
        first = next(p for p in parties_by_case[case.pk] if p.role == Party.Role.OFFENDER)
        rng = random.Random(f"outcome:{case.number}" + ("" if offender is first else f":{offender.person_id}"))
        closed_on = timezone.localtime(case.closed_at).date()
        rate = 0.04 if case.outcome in MEDIATED_OUTCOMES else 0.06  # per window, cumulative below
        reoffended_on = None
        for months in case.program.check_windows:
            due = closed_on + relativedelta(months=months)
            check = new(OutcomeCheck, case=case, party=offender, months=months, due_on=due)
            if due <= today and rng.random() < 0.85:  # some checks are never recorded
                if reoffended_on is None and rng.random() < rate * months / 6:
                    reoffended_on = closed_on + timedelta(days=rng.randint(10, months * 30 - 5))
                yes = reoffended_on is not None and reoffended_on <= due
                check.result = OutcomeCheck.Result.YES if yes else OutcomeCheck.Result.NO
                check.offense_date = reoffended_on if yes else None
                check.checked_on, check.source = due, "County court records"
            checks.append(check)
    return checks
