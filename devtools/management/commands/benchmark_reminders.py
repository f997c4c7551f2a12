"""Time the reminder planners over a large follow-up caseload.

    DATABASE_URL=postgres://… manage.py benchmark_reminders --cases 100000

Builds (once) a separate program with --cases open cases in follow-up, each with a signed agreement
whose money term has three installments (so 300,000 installments for 100,000 cases), spread over
the coming weeks and the past; some already paid. Then runs each planner twice and prints the time
and query count of each run: the second run must add nothing.
"""

import random
import time
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agreements.models import Agreement, Installment, Payment, Term
from agreements.reminders import plan_follow_up_reminders
from cases.models import Case, Membership, Party, Person, Program, ReferralSource
from cases.reminders import plan_case_reminders
from mediation.reminders import plan_meeting_reminders
from vom.core.progress import progress_bar

SLUG = "benchmark-follow-up"


class Command(BaseCommand):
    help = "Time the reminder planners over --cases open follow-up cases (built once, in their own program)."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=100_000)

    def handle(self, *args, cases: int, **options):
        started = time.monotonic()
        program = self.build(cases)
        self.stdout.write(f"data: {Case.objects.filter(program=program, stage='follow_up').count()} follow-up cases, "
                          f"{Installment.objects.filter(term__agreement__case__program=program).count()} installments "
                          f"({time.monotonic() - started:.1f} s to build); database: {connection.vendor}")  # fmt: skip
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        planners = (
            ("follow-up (installments)", plan_follow_up_reminders),
            ("cases (quiet, court, checks)", plan_case_reminders),
            ("meetings", plan_meeting_reminders),
        )
        rows = []
        with progress_bar(self, total=2 * len(planners), desc="Planning", unit="run") as bar:
            for label, planner in planners:
                for run in (1, 2):
                    bar.set_postfix_str(label)
                    with CaptureQueriesContext(connection) as queries:
                        begin = time.perf_counter()
                        queued = planner()
                        seconds = time.perf_counter() - begin
                    rows.append(f"{label:<28}{run:>4}{seconds:>10.2f}{len(queries.captured_queries):>9}{queued:>9}")
                    bar.update()
        self.stdout.write(f"{'planner':<28}{'run':>4}{'seconds':>10}{'queries':>9}{'queued':>9}")
        for row in rows:
            self.stdout.write(row)
        self.stdout.write(f"{len(rows)} planner run(s) in {time.monotonic() - started:.1f} s")

    @transaction.atomic
    def build(self, total: int) -> Program:
        program, _ = Program.objects.get_or_create(slug=SLUG, defaults={"name": "Benchmark follow-up program"})
        existing = Case.objects.filter(program=program).count()
        if existing >= total:
            return program
        User = get_user_model()
        mediator, _ = User.objects.get_or_create(username="bench-mediator", defaults={"last_name": "Bench"})
        coordinator, _ = User.objects.get_or_create(username="bench-coordinator", defaults={"last_name": "Bench"})
        Membership.objects.get_or_create(user=mediator, program=program, role=Membership.Role.MEDIATOR)
        Membership.objects.get_or_create(user=coordinator, program=program, role=Membership.Role.COORDINATOR)
        source, _ = ReferralSource.objects.get_or_create(
            program=program, name="Probation", defaults={"kind": "probation"}
        )
        today = timezone.localdate()
        now = timezone.now()
        rng = random.Random(7)
        count = total - existing
        born = today - timedelta(days=9000)
        people = Person.objects.bulk_create(
            [Person(first_name="Pat", last_name=f"Bench{n}", date_of_birth=born) for n in range(count)], batch_size=5000
        )
        new_cases = Case.objects.bulk_create(
            [
                Case(program=program, number=f"B-{existing + n:06d}", referral_source=source,
                     referral_date=today - timedelta(days=90), referral_type="diversion", offense_category="property",
                     incident_date=today - timedelta(days=100), stage="follow_up", lead_mediator=mediator,
                     stage_changed_at=now - timedelta(days=rng.randint(1, 60)))
                for n in range(count)
            ],
            batch_size=5000,
        )  # fmt: skip
        parties = Party.objects.bulk_create(
            [Party(case=c, person=p, role="offender", consent_to_contact=True, contact_method="email",
                   email=f"{p.last_name.lower()}@example.org") for c, p in zip(new_cases, people, strict=True)],
            batch_size=5000,
        )  # fmt: skip
        agreements = Agreement.objects.bulk_create(
            [Agreement(case=c, number=1, status="signed", verification_code=f"B{c.number}", created_by=mediator,
                       signed_at=now) for c in new_cases],
            batch_size=5000,
        )  # fmt: skip
        terms = []
        for agreement, party in zip(agreements, parties, strict=True):
            first = today + timedelta(days=rng.randint(-40, 20))
            terms.append(Term(agreement=agreement, position=1, kind="money", responsible=party, description="Repay",
                              amount=Decimal("300.00"), installment_count=3, frequency="fortnightly",
                              first_due_date=first, due_date=first + timedelta(days=28)))  # fmt: skip
        terms = Term.objects.bulk_create(terms, batch_size=5000)
        installments, payments = [], []
        for term in terms:
            for n in range(3):
                installments.append(Installment(term=term, number=n + 1, amount=Decimal("100.00"),
                                                due_date=term.first_due_date + timedelta(days=14 * n)))  # fmt: skip
            paid = [i for i in installments[-3:] if i.due_date < today and rng.random() < 0.8]
            if paid:
                payments.append(Payment(term=term, amount=Decimal("100.00") * len(paid), received_on=today,
                                        method="cash", recorded_by=mediator))  # fmt: skip
        Installment.objects.bulk_create(installments, batch_size=5000)
        Payment.objects.bulk_create(payments, batch_size=5000)
        return program
