"""The planners' watermarks: a sweep reads what fell due since the last one, and misses nothing a sweep
reading everything would queue, after skipped beats, a clock moved back, or changed program settings."""

import datetime
import random
import threading
from decimal import Decimal

import pytest
import time_machine
from django.db import connection

from agreements import follow_up, services
from agreements.models import AgreementDefault
from agreements.reminders import due_or_touched_terms, plan_follow_up_reminders
from cases.models import Case, Program, TimelineEvent
from cases.reminders import coordinators_by_program, plan_case_reminders, planning_params
from cases.services import case_close
from tests.agreements.helpers import case_in_agreement, send, sign_all
from tests.conftest import require
from tests.factories import MembershipFactory, UserFactory
from tests.mediation.helpers import assign, new_case
from tests.notifications.helpers import START, at, emailable
from vom.notifications.models import Notification, PlanningSweep
from vom.notifications.planning import OVERLAP, sweep_since

D = Decimal


def sweep() -> int:
    return plan_follow_up_reminders() + plan_case_reminders()


def full_sweep_adds() -> int:
    """What a sweep reading everything (as before watermarks) would still queue; the watermarks are kept."""
    kept = list(PlanningSweep.objects.values("name", "started_at", "params"))
    PlanningSweep.objects.all().delete()
    added = sweep()
    PlanningSweep.objects.all().delete()
    PlanningSweep.objects.bulk_create([PlanningSweep(**row) for row in kept])
    return added


@pytest.fixture
def followed(program, coordinator, mediator, settings):
    """A signed agreement (six monthly installments from January, a letter due February 15, ten hours due
    March 31), the victim asking for updates; a second case assigned, then left alone; a third closed."""
    settings.TIME_ZONE = "America/Chicago"
    with time_machine.travel(at(datetime.date(2026, 12, 10), 10), tick=False):
        case = case_in_agreement(program, coordinator, mediator)
        emailable(case.parties.get(role="offender"), "kai@example.org")
        victim = case.parties.get(role="victim")
        emailable(victim, "ana@example.org")
        victim.victim_updates = True
        victim.save()
        agreement = services.agreement_create(case=case, actor=mediator)
        offender = case.parties.get(role="offender")
        for kind, values in [
            ("money", {"amount": D("600.00"), "schedule": "equal", "installment_count": 6, "frequency": "monthly",
                       "first_due_date": START}),
            ("apology", {"due_date": datetime.date(2027, 2, 15)}),
            ("community", {"hours": D("10"), "due_date": datetime.date(2027, 3, 31)}),
        ]:  # fmt: skip
            agreement.refresh_from_db()
            services.term_add(agreement=agreement, expected_version=agreement.version, actor=mediator, kind=kind,
                              responsible=offender, description=f"The {kind} term.", **values)  # fmt: skip
        agreement.refresh_from_db()
        agreement = sign_all(send(agreement, mediator), mediator)
        assign(new_case(program, coordinator), coordinator, mediator)  # nothing happens to it afterwards
        closed = new_case(program, coordinator)
        case_close(case=closed, expected_version=closed.version, actor=coordinator, outcome="withdrawn", reason="x")
        Notification.objects.all().delete()  # meeting reminders from the preparation are not under test here
    return agreement


@pytest.mark.django_db
def test_every_sweep_after_skipped_beats_queues_what_a_full_sweep_would(followed, mediator):
    money, apology, service = (followed.terms.get(kind=kind) for kind in ("money", "apology", "community"))
    events = {
        datetime.date(2027, 1, 3): lambda day: follow_up.payment_record(
            term=money, actor=mediator, amount=D("100"), received_on=day, method="cash"),
        datetime.date(2027, 2, 10): lambda day: follow_up.term_check_record(
            term=apology, actor=mediator, on=day, fulfilled=True),
        # The letter was not sent after all: overdue since February 15, long before this sweep's window.
        datetime.date(2027, 3, 25): lambda day: follow_up.term_check_record(
            term=apology, actor=mediator, on=day, fulfilled=False),
        datetime.date(2027, 4, 2): lambda day: follow_up.service_log_record(
            term=service, actor=mediator, on=day, hours=D("4"), place="Parks", verified_by="Supervisor"),
    }  # fmt: skip
    rng = random.Random(18)
    day, gaps = datetime.date(2026, 12, 20), []
    while day <= datetime.date(2027, 6, 30):
        with time_machine.travel(at(day, rng.choice([7, 13, 21])), tick=False):
            for event_day in [d for d in events if d <= day]:
                events.pop(event_day)(day)  # on its day, or at the first beat after it
            sweep()
            assert full_sweep_adds() == 0, f"the sweep of {day} missed something"
        gap = rng.choice([1, 1, 2, 3, 6, 11])  # beats skipped: the worker down for hours, days, a week and more
        gaps.append(gap)
        day += datetime.timedelta(days=gap)
    assert max(gaps) == 11 and not events
    queued = set(Notification.objects.values_list("template", flat=True))
    assert {"installment_due", "overdue_item", "agreement_default", "victim_update", "inactive_case",
            "outcome_check_due"} <= queued  # fmt: skip
    assert Notification.objects.filter(template="overdue_item", dedupe_key__startswith=f"overdue:t{apology.pk}:")


def since_the_day_before(day: datetime.date) -> datetime.datetime:
    return at(day - datetime.timedelta(days=1), 8) - OVERLAP


@pytest.mark.django_db
def test_a_sweep_reads_only_the_terms_that_fell_due_or_changed(followed, mediator):
    money, apology, service = (followed.terms.get(kind=kind) for kind in ("money", "apology", "community"))
    params = planning_params({}, "default_after_days")
    day = datetime.date(2027, 2, 12)
    assert due_or_touched_terms(since_the_day_before(day), at(day, 10), params) == {apology.pk}  # due in 3 days
    day = datetime.date(2027, 2, 20)
    assert due_or_touched_terms(since_the_day_before(day), at(day, 10), params) == set()  # nothing fell due
    with time_machine.travel(at(day, 9), tick=False):
        follow_up.payment_record(term=money, actor=mediator, amount=D("100"), received_on=day, method="cash")
    assert due_or_touched_terms(since_the_day_before(day), at(day, 10), params) == {money.pk, apology.pk, service.pk}
    # March 4: the default period (30 days) of February 1's installment ran out since the day before.
    day = datetime.date(2027, 3, 4)
    assert due_or_touched_terms(since_the_day_before(day), at(day, 10), params) == {money.pk}
    day = datetime.date(2027, 3, 2)  # March 1's installment overdue since the day before
    assert due_or_touched_terms(since_the_day_before(day), at(day, 10), params) == {money.pk}
    assert (
        due_or_touched_terms(at(day, 8) - OVERLAP, at(day, 10), params) == set()
    )  # ... and told of by today's first sweep


def case_params() -> dict:
    return planning_params(coordinators_by_program(), "inactivity_days", "court_warning_days")


@pytest.mark.django_db
def test_the_watermark_starts_a_day_before_the_last_sweep_and_only_when_nothing_changed(followed, program):
    now = at(datetime.date(2027, 1, 10), 9)
    assert sweep_since("cases", now=now, params=case_params()) is None  # never swept: everything
    with time_machine.travel(now, tick=False):
        plan_case_reminders()
    swept = PlanningSweep.objects.get(name="cases")
    assert (swept.started_at, swept.params) == (now, case_params())
    later = now + datetime.timedelta(hours=1)
    assert sweep_since("cases", now=later, params=case_params()) == now - OVERLAP
    assert sweep_since("cases", now=now - datetime.timedelta(minutes=1), params=case_params()) is None  # clock back
    Program.objects.filter(pk=program.pk).update(inactivity_days=7)  # a shorter inactivity period: everything again
    assert sweep_since("cases", now=later, params=case_params()) is None


@pytest.mark.django_db
def test_a_clock_moved_back_reads_everything_and_moves_the_watermark_back(followed):
    with time_machine.travel(at(datetime.date(2027, 3, 1), 9), tick=False):
        sweep()
    Notification.objects.all().delete()
    with time_machine.travel(at(datetime.date(2027, 2, 3), 9), tick=False):  # the clock was a month ahead
        assert sweep() > 0  # February 1's installment overdue, and the rest: read again from the start
        assert set(PlanningSweep.objects.values_list("started_at", flat=True)) == {at(datetime.date(2027, 2, 3), 9)}
        assert full_sweep_adds() == 0


@pytest.mark.django_db
def test_a_new_coordinator_is_told_of_every_item_still_missed(followed, program, coordinator):
    with time_machine.travel(at(datetime.date(2027, 3, 1), 9), tick=False):
        sweep()
    newcomer = UserFactory(username="newcoord")
    MembershipFactory(user=newcomer, program=program, role="coordinator")
    with time_machine.travel(at(datetime.date(2027, 3, 1), 10), tick=False):
        sweep()
    told = Notification.objects.filter(user=newcomer, template="overdue_item")
    assert told.count() == Notification.objects.filter(user=coordinator, template="overdue_item").count() == 3
    quiet = Case.objects.exclude(pk=followed.case_id).exclude(stage="closed").get()
    assert TimelineEvent.objects.filter(case=quiet).exists()
    assert Notification.objects.filter(user=newcomer, template="inactive_case", case_id=quiet.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_queue_and_record_each_thing_once(followed):
    require(connection.vendor == "postgresql", "needs PostgreSQL for true concurrency")
    start, errors = threading.Barrier(2), []

    def worker():
        try:
            start.wait()
            sweep()
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    with time_machine.travel(at(datetime.date(2027, 3, 5), 9), tick=False):
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert AgreementDefault.objects.count() == 1
        assert TimelineEvent.objects.filter(summary__startswith="Agreement in default").count() == 1
        assert Notification.objects.filter(template="agreement_default").count() == 1  # the one coordinator
        assert full_sweep_adds() == 0
        assert set(PlanningSweep.objects.values_list("started_at", flat=True)) == {at(datetime.date(2027, 3, 5), 9)}
