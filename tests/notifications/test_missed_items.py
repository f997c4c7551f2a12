"""A year of follow-up with time-machine: every missed item is noticed once, defaults once, nothing twice.

The planners run twice a day, as beat would, from December 2026 to the end of 2027, while the offender pays
some installments on time, some late, misses others and catches up; the apology letter and the service hours
come in late. Payments go to the oldest open installment first.
"""

import datetime
from decimal import Decimal

import pytest
import time_machine

from agreements import follow_up, services
from agreements.models import AgreementDefault, Installment
from agreements.reminders import plan_follow_up_reminders
from cases.models import Case, TimelineEvent
from cases.reminders import plan_case_reminders
from tests.agreements.helpers import case_in_agreement, send, sign_all
from tests.notifications.helpers import START, at, emailable
from vom.notifications.models import Notification

D = Decimal


@pytest.mark.django_db
def test_a_year_of_missed_and_late_items_is_noticed_once_each(program, coordinator, mediator, settings):
    settings.TIME_ZONE = "America/Chicago"
    with time_machine.travel(at(datetime.date(2026, 12, 10), 10), tick=False):
        case = case_in_agreement(program, coordinator, mediator)
        offender = case.parties.get(role="offender")
        emailable(offender, "kai@example.org")
        victim = case.parties.get(role="victim")
        emailable(victim, "ana@example.org")
        victim.victim_updates = True
        victim.save()
        agreement = services.agreement_create(case=case, actor=mediator)
        for kind, values in [
            ("money", {"amount": D("1200.00"), "schedule": "equal", "installment_count": 12, "frequency": "monthly",
                       "first_due_date": START}),
            ("apology", {"due_date": datetime.date(2027, 2, 15)}),
            ("community", {"hours": D("10"), "due_date": datetime.date(2027, 5, 31)}),
        ]:  # fmt: skip
            agreement.refresh_from_db()
            services.term_add(agreement=agreement, expected_version=agreement.version, actor=mediator, kind=kind,
                              responsible=offender, description=f"The {kind} term.", **values)  # fmt: skip
        agreement.refresh_from_db()
        agreement = sign_all(send(agreement, mediator), mediator)
        Notification.objects.all().delete()  # meeting reminders from the preparation are not under test here
    money = agreement.terms.get(kind="money")
    apology = agreement.terms.get(kind="apology")
    service = agreement.terms.get(kind="community")

    # What happens, by day: payments (oldest open installment first), the letter, the hours.
    events = {
        datetime.date(2027, 1, 1): [("pay", "100")],
        datetime.date(2027, 2, 1): [("pay", "100")],
        datetime.date(2027, 3, 1): [("pay", "100")],
        datetime.date(2027, 3, 10): [("apology",)],  # due Feb 15: late
        datetime.date(2027, 4, 10): [("hours", "4")],
        datetime.date(2027, 4, 20): [("pay", "100")],  # April's, late
        datetime.date(2027, 5, 1): [("pay", "100")],  # May's, on time
        datetime.date(2027, 6, 10): [("hours", "6")],  # due May 31: late
        datetime.date(2027, 8, 15): [("pay", "200")],  # June's and July's, long after (June is in default by then)
    }
    day = datetime.date(2026, 12, 20)
    while day <= datetime.date(2027, 12, 31):
        for hour in (8, 20):
            with time_machine.travel(at(day, hour), tick=False):
                if hour == 8:
                    for event in events.get(day, []):
                        if event[0] == "pay":
                            follow_up.payment_record(term=money, actor=mediator, amount=D(event[1]), received_on=day,
                                                     method="cash")  # fmt: skip
                        elif event[0] == "apology":
                            follow_up.term_check_record(term=apology, actor=mediator, on=day, fulfilled=True)
                        else:
                            follow_up.service_log_record(term=service, actor=mediator, on=day, hours=D(event[1]),
                                                         place="Parks", verified_by="Supervisor")  # fmt: skip
                plan_follow_up_reminders()
                plan_case_reminders()
        day += datetime.timedelta(days=1)

    assert Case.objects.get(pk=case.pk).stage == "follow_up"  # August to December are still owed
    installments = {i.pk: i.number for i in Installment.objects.filter(term=money)}
    overdue = Notification.objects.filter(template="overdue_item")
    items = {}
    for key in overdue.values_list("dedupe_key", flat=True):
        item = key.split(":")[1]
        items[item] = items.get(item, 0) + 1
    missed_installments = sorted(installments[int(item[1:])] for item in items if item.startswith("i"))
    # April (paid late), June, July (caught up in August), August to December (never paid).
    assert missed_installments == [4, 6, 7, 8, 9, 10, 11, 12]
    assert set(items) - {f"i{pk}" for pk in installments} == {f"t{apology.pk}", f"t{service.pk}"}
    assert set(items.values()) == {2}  # each item once to the lead mediator and once to the coordinator
    assert set(overdue.values_list("user__username", flat=True)) == {mediator.username, coordinator.username}

    # Default: June, still unpaid 30 days after its due date, on July 2. Recorded once, the coordinator told once.
    default = AgreementDefault.objects.get()
    assert (default.on, default.due_on, default.party_id) == (datetime.date(2027, 7, 2), datetime.date(2027, 6, 1),
                                                             money.responsible_id)  # fmt: skip
    defaults = Notification.objects.filter(template="agreement_default")
    assert list(defaults.values_list("user__username", flat=True)) == [coordinator.username]
    assert TimelineEvent.objects.filter(case=case, summary__startswith="Agreement in default").count() == 1

    # The victim chose updates: one for each missed item, never twice.
    updates = Notification.objects.filter(template="victim_update", dedupe_key__contains=":missed:")
    assert updates.count() == 10 and set(updates.values_list("email", flat=True)) == {"ana@example.org"}
    # The offender: each installment three days ahead, and the letter's and the hours' deadlines.
    assert Notification.objects.filter(template="installment_due").count() == 12
    assert Notification.objects.filter(template="term_due").count() == 2
    # Nothing else: no template is queued twice for the same thing (the dedupe keys are unique by design,
    # so a repeat would have shown above as an extra item).
    assert set(Notification.objects.values_list("template", flat=True)) == {
        "overdue_item", "agreement_default", "victim_update", "installment_due", "term_due",
    }  # fmt: skip
