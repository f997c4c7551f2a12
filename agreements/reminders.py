"""Reminders while an agreement is followed: installments coming due, and anything overdue.

The open installments are found in SQL: a running total per term (a window function) compared with
what was paid tells which installments are still open once payments go to the oldest first, so only
the terms that need a reminder are loaded at all.
"""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import DecimalField, F, OuterRef, Q, Subquery, Sum, Value, Window
from django.db.models.functions import Coalesce
from django.utils import timezone

from cases.models import Case, Party
from cases.reminders import coordinators_by_program
from cases.rules import is_juvenile
from vom.notifications.services import Outgoing, notifications_queue, register_template

from .documents import money
from .models import Agreement, Installment, Payment, Term, TermCheck

REMIND_DAYS_AHEAD = 3
CHUNK = 5000
register_template("installment_due", {"case_number", "amount", "due_on", "program"})
register_template("overdue_item", {"case_number", "item", "due_on", "url"})
register_template("term_due", {"case_number", "item", "due_on", "program"})
FOLLOWED = {"agreement__status": Agreement.Status.SIGNED, "agreement__case__stage": Case.Stage.FOLLOW_UP}


def unpaid_installments(horizon, installments=None):
    """Installments of followed money terms due by ``horizon`` that payments (oldest first) have not
    covered, annotated with ``running`` (the term's total up to this one) and ``paid`` (the term's payments)."""
    money_value = DecimalField(max_digits=14, decimal_places=2)
    paid = (
        Payment.objects.filter(term=OuterRef("term_id")).values("term_id").annotate(total=Sum("amount")).values("total")
    )
    installments = Installment.objects.all() if installments is None else installments
    return (
        installments.filter(**{f"term__{k}": v for k, v in FOLLOWED.items()}, term__kind=Term.Kind.MONEY)
        .annotate(
            running=Window(
                Sum("amount"), partition_by=[F("term_id")], order_by=[F("due_date").asc(), F("number").asc()]
            ),
            paid=Coalesce(Subquery(paid, output_field=money_value), Value(Decimal("0")), output_field=money_value),
        )
        .filter(running__gt=F("paid"), due_date__lte=horizon)
    )


def open_installments(horizon):
    """(term id, number, due date, open amount) of every unpaid installment due by ``horizon``."""
    rows = unpaid_installments(horizon).values_list("term_id", "number", "due_date", "amount", "running", "paid")
    for term_id, number, due, amount, running, paid_total in rows.iterator(chunk_size=CHUNK):
        yield term_id, number, due, min(amount, running - paid_total)


def _email_recipients(offender: Party, guardians: list[Party], case: Case) -> list[dict]:
    """The offender, and the guardian of a juvenile, where each consented to email."""
    people = [offender]
    if is_juvenile(offender.person.date_of_birth, case.incident_date or case.referral_date):
        people += guardians
    return [{"email": p.email, "name": str(p.person), "who": f"p{p.pk}"} for p in people if p.may_email]


def _terms(ids):
    for start in range(0, len(ids), CHUNK):
        yield from Term.objects.filter(pk__in=ids[start : start + CHUNK]).select_related(
            "agreement__case__program", "agreement__case__lead_mediator", "responsible__person"
        )


def plan_follow_up_reminders(*, now=None) -> int:
    """Installment reminders a few days ahead, and overdue items to the lead mediator and coordinators."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    upcoming, first_overdue = defaultdict(list), {}
    for term_id, number, due, open_amount in open_installments(today + timedelta(days=REMIND_DAYS_AHEAD)):
        if due >= today:
            upcoming[term_id].append((number, due, open_amount))
        elif term_id not in first_overdue or due < first_overdue[term_id][1]:
            first_overdue[term_id] = (number, due, open_amount)
    # Terms without money are overdue when their date passed and neither their latest check nor enough
    # hours fulfil them (as compliance.term_state decides).
    latest_check = TermCheck.objects.filter(term=OuterRef("pk")).order_by("-on", "-pk").values("fulfilled")[:1]
    unfulfilled = (
        Term.objects.filter(**FOLLOWED, due_date__lte=today + timedelta(days=REMIND_DAYS_AHEAD))
        .exclude(kind=Term.Kind.MONEY)
        .alias(checked=Subquery(latest_check))
        .filter(Q(checked__isnull=True) | Q(checked=False))
        .annotate(done=Coalesce(Sum("service_logs__hours"), Value(Decimal("0")), output_field=DecimalField()))
        .exclude(hours__isnull=False, done__gte=F("hours"))
    )
    late_ids, soon_ids = [], set()
    for pk, due in unfulfilled.values_list("pk", "due_date"):
        if due < today:
            late_ids.append(pk)
        else:
            soon_ids.add(pk)

    ids = sorted(set(upcoming) | set(first_overdue) | set(late_ids) | soon_ids)
    coordinators = coordinators_by_program()
    guardians = defaultdict(list)
    items = []
    terms = list(_terms(ids))
    responsible = [t.responsible_id for t in terms]
    for start in range(0, len(responsible), CHUNK):
        chunk = responsible[start : start + CHUNK]
        for guardian in Party.objects.filter(role=Party.Role.GUARDIAN, related_party__in=chunk).select_related(
            "person"
        ):
            guardians[guardian.related_party_id].append(guardian)
    late_set = set(late_ids)
    for term in terms:
        case = term.agreement.case
        currency = case.program.currency
        for number, due, open_amount in upcoming.get(term.pk, []):
            context = {"case_number": case.number, "amount": money(open_amount, currency),
                       "due_on": f"{due:%A %B %-d}", "program": case.program.name}  # fmt: skip
            for r in _email_recipients(term.responsible, guardians[term.responsible_id], case):
                items.append(Outgoing(f"installment:{term.pk}:{number}:{r['who']}", "installment_due", now, context,
                                      email=r["email"], name=r["name"], case_id=case.pk))  # fmt: skip
        if term.pk in soon_ids:
            context = {"case_number": case.number, "item": term.get_kind_display(),
                       "due_on": f"{term.due_date:%A %B %-d}", "program": case.program.name}  # fmt: skip
            for r in _email_recipients(term.responsible, guardians[term.responsible_id], case):
                items.append(Outgoing(f"term-due:{term.pk}:{term.due_date:%Y%m%d}:{r['who']}", "term_due", now, context,
                                      email=r["email"], name=r["name"], case_id=case.pk))  # fmt: skip
            continue
        if term.pk in first_overdue:
            _number, due, _open = first_overdue[term.pk]
            item = f"{term.get_kind_display()} (installment of {money(_open, currency)})"
        elif term.pk in late_set:
            due, item = term.due_date, term.get_kind_display()
        else:
            continue
        context = {"case_number": case.number, "item": item, "due_on": f"{due:%B %-d, %Y}",
                   "url": f"{settings.SITE_URL}/cases/{case.pk}/"}  # fmt: skip
        for user in [case.lead_mediator, *coordinators.get(case.program_id, [])]:
            if user is not None:
                items.append(Outgoing(f"overdue:{term.pk}:{due:%Y%m%d}:u{user.pk}", "overdue_item", now, context,
                                      user=user, case_id=case.pk))  # fmt: skip
    return notifications_queue(items)
