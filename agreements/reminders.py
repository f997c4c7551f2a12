"""Reminders while an agreement is followed: installments coming due, and anything overdue."""

from collections import defaultdict

from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone

from cases.models import Case, Party
from cases.reminders import coordinators_by_program
from cases.rules import is_juvenile
from vom.notifications.services import Outgoing, notifications_queue, register_template

from .compliance import DEFAULTED, OVERDUE, term_state
from .documents import money
from .models import Agreement, Disbursement, Payment, ServiceLog, Term, TermCheck

REMIND_DAYS_AHEAD = 3
register_template("installment_due", {"case_number", "amount", "due_on", "program"})
register_template("overdue_item", {"case_number", "item", "due_on", "url"})


def _followed_terms(case_ids=None):
    terms = Term.objects.filter(
        agreement__status=Agreement.Status.SIGNED, agreement__case__stage=Case.Stage.FOLLOW_UP
    ).select_related("agreement__case__program", "agreement__case__lead_mediator", "responsible__person")
    if case_ids is not None:
        terms = terms.filter(agreement__case_id__in=case_ids)
    return terms.prefetch_related(
        "installments",
        Prefetch("payments", queryset=Payment.objects.only("term_id", "amount")),
        Prefetch("disbursements", queryset=Disbursement.objects.only("term_id", "amount")),
        Prefetch("service_logs", queryset=ServiceLog.objects.only("term_id", "hours")),
        Prefetch("checks", queryset=TermCheck.objects.order_by("on", "pk")),
    )


def _email_recipients(offender: Party, guardians: list[Party], case: Case) -> list[dict]:
    """The offender, and the guardian of a juvenile, where each consented to email."""
    people = [offender]
    if is_juvenile(offender.person.date_of_birth, case.incident_date or case.referral_date):
        people += guardians
    return [
        {"email": p.email, "name": str(p.person), "who": f"p{p.pk}"}
        for p in people
        if p.consent_to_contact and p.contact_method == Party.ContactMethod.EMAIL and p.email
    ]


def plan_follow_up_reminders(*, now=None, batch: int = 2000) -> int:
    """Installment reminders a few days ahead, and overdue items to the lead mediator and coordinators.

    Reads in batches of ``batch`` terms (a fixed number of queries per batch), queues through the outbox.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    coordinators = coordinators_by_program()
    queued = 0
    ids = list(_followed_terms().values_list("pk", flat=True).order_by("pk"))
    for start in range(0, len(ids), batch):
        terms = list(_followed_terms().filter(pk__in=ids[start : start + batch]))
        guardians = defaultdict(list)
        for guardian in Party.objects.filter(
            role=Party.Role.GUARDIAN, related_party__in=[t.responsible_id for t in terms]
        ).select_related("person"):
            guardians[guardian.related_party_id].append(guardian)
        items = []
        for term in terms:
            case = term.agreement.case
            state = term_state(term, today)
            currency = case.program.currency
            for installment in state.installments:
                days = (installment.due_date - today).days
                if installment.open > 0 and 0 <= days <= REMIND_DAYS_AHEAD:
                    context = {"case_number": case.number, "amount": money(installment.open, currency),
                               "due_on": f"{installment.due_date:%A %B %-d}", "program": case.program.name}  # fmt: skip
                    for r in _email_recipients(term.responsible, guardians[term.responsible_id], case):
                        key = f"installment:{term.pk}:{installment.number}:{r['who']}"
                        items.append(Outgoing(key, "installment_due", now, context, email=r["email"], name=r["name"],
                                              case_id=case.pk))  # fmt: skip
            if state.status in {OVERDUE, DEFAULTED} and state.next_due:
                item = term.get_kind_display()
                if term.kind == Term.Kind.MONEY:
                    item += f" ({money(state.outstanding, currency)} outstanding)"
                context = {"case_number": case.number, "item": item, "due_on": f"{state.next_due:%B %-d, %Y}",
                           "url": f"{settings.SITE_URL}/cases/{case.pk}/"}  # fmt: skip
                for user in [case.lead_mediator, *coordinators.get(case.program_id, [])]:
                    if user is not None:
                        key = f"overdue:{term.pk}:{state.next_due:%Y%m%d}:u{user.pk}"
                        items.append(Outgoing(key, "overdue_item", now, context, user=user, case_id=case.pk))
        queued += notifications_queue(items)
    return queued
