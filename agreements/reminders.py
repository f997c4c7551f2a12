"""Reminders while an agreement is followed: what is coming due, every item missed, defaults, court dates.

- An installment, or another term's deadline, a few days ahead: a reminder to the offender (and the
  guardian of a juvenile) who consented to email.
- Every missed item on its own: each overdue installment, service-hours deadline, apology letter or
  commitment raises one notice to the lead mediator and the program's coordinators (the dedupe key names
  the item), month after month as installments keep falling due; and, when the victim chose updates, one
  update that it is being followed up.
- An item still not kept the program's ``default_after_days`` after its due date puts that offender's part
  of the agreement in default: recorded once (``AgreementDefault``), on the timeline, and the coordinators
  are told once.
- A court return date ahead of a followed case: the coordinators are told, with a link to issue a progress
  report for the court.

The open installments are found in SQL: a running total per term (a window function) compared with what
counts toward the term (its payments and what an amendment carried in) tells which installments are still
open once payments go to the oldest first, so only the terms that need a reminder are loaded at all.
Returned offenders' terms are no longer followed.
"""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import DecimalField, Exists, F, OuterRef, Q, Subquery, Sum, Value, Window
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation

from cases.models import Case, Party, TimelineEvent
from cases.reminders import coordinators_by_program, party_recipients, planning_params, scoped, touched_cases
from cases.rules import is_juvenile
from cases.services import timeline_add
from vom.core.i18n import format_day
from vom.notifications.planning import sweep_finished, sweep_since
from vom.notifications.services import Outgoing, existing_keys, notifications_queue

from .documents import money
from .models import Agreement, AgreementDefault, Installment, OffenderReturn, Payment, Term, TermCheck
from .victim_updates import missed_item, missed_update_keys, missed_updates, victim_side

REMIND_DAYS_AHEAD = 3
CHUNK = 5000
# Declared in the agreements extension (AgreementsConfig.ready): what each template's context must carry.
NOTIFICATION_TEMPLATES = {
    "installment_due": {"case_number", "amount", "due_on", "program"},
    "overdue_item": {"case_number", "item", "due_on", "url"},
    "term_due": {"case_number", "item", "due_on", "program"},
    "agreement_default": {"case_number", "offender", "item", "due_on", "days", "url"},
}
FOLLOWED = {"agreement__status": Agreement.Status.SIGNED, "agreement__case__stage": Case.Stage.FOLLOW_UP}


def _not_returned():
    return ~Exists(OffenderReturn.objects.filter(party=OuterRef("responsible_id")))


def followed_terms():
    return Term.objects.filter(**FOLLOWED).filter(_not_returned())


def unpaid_installments(horizon, installments=None):
    """Installments of followed money terms due by ``horizon`` that what counts toward the term (payments,
    oldest first, and what an amendment carried in) has not covered, annotated with ``running`` (the
    term's total up to this one) and ``paid``."""
    money_value = DecimalField(max_digits=14, decimal_places=2)
    paid = (
        Payment.objects.filter(term=OuterRef("term_id")).values("term_id").annotate(total=Sum("amount")).values("total")
    )
    installments = Installment.objects.all() if installments is None else installments
    return (
        installments.filter(term__in=followed_terms().filter(kind=Term.Kind.MONEY))
        .annotate(
            running=Window(
                Sum("amount"), partition_by=[F("term_id")], order_by=[F("due_date").asc(), F("number").asc()]
            ),
            paid=Coalesce(Subquery(paid, output_field=money_value), Value(Decimal("0")), output_field=money_value)
            + F("term__carried_in"),
        )
        .filter(running__gt=F("paid"), due_date__lte=horizon)
    )


def open_installments(horizon, term_ids=None):
    """(installment id, term id, number, due date, open amount) of every unpaid installment due by ``horizon``,
    of every followed term or of the terms ``term_ids``."""
    for installments in scoped(Installment.objects.all(), term_ids, "term_id__in"):
        rows = unpaid_installments(horizon, installments).values_list(
            "pk", "term_id", "number", "due_date", "amount", "running", "paid"
        )
        for pk, term_id, number, due, amount, running, paid_total in rows.iterator(chunk_size=CHUNK):
            yield pk, term_id, number, due, min(amount, running - paid_total)


def due_or_touched_terms(since, now, params: dict) -> set[int]:
    """The terms a sweep starting at ``since`` must look at: those with an installment or a deadline that came
    within the reminder's days ahead, fell overdue or passed a program's default period since then, and
    those of cases whose timeline moved since (a payment, a check, an amendment, a move, new contact
    details). Every other term's reminders and notices were planned by an earlier sweep."""
    start, today, ahead = timezone.localdate(since), timezone.localdate(now), timedelta(days=REMIND_DAYS_AHEAD)
    # An item due on day D is reminded of from D - ahead, overdue from D + 1 and in default from D + days + 1;
    # the last sweep, on ``start`` or later, saw every item whose day to be told was its own day or earlier
    # (one committed after it read is in a touched case). Later sweeps of the same day read no date at all.
    windows = Q(due_date__range=(start + ahead + timedelta(1), today + ahead))
    windows |= Q(due_date__range=(start, today - timedelta(1)))
    for days in sorted({days for days, _coordinators in params.values()}):
        windows |= Q(due_date__range=(start - timedelta(days), today - timedelta(days + 1)))
    ids = set(Installment.objects.filter(windows).order_by().values_list("term_id", flat=True).distinct())
    ids.update(Term.objects.filter(windows).order_by().values_list("pk", flat=True))
    touched = Term.objects.filter(agreement__case_id__in=touched_cases(since, now)).order_by()
    ids.update(touched.values_list("pk", flat=True))
    return ids


def _recipients(offender: Party, guardians: list[Party], case: Case) -> list[dict]:
    """The offender, and the guardian of a juvenile, by each channel they consented to."""
    people = [offender]
    if is_juvenile(offender.person.date_of_birth, case.age_reference_date):
        people += guardians
    return [r for p in people for r in party_recipients(p, case.program)]


def _terms(ids):
    for start in range(0, len(ids), CHUNK):
        yield from Term.objects.filter(pk__in=ids[start : start + CHUNK]).select_related(
            "agreement__case__program", "agreement__case__lead_mediator", "responsible__person"
        )


def _unkept_terms(today):
    """Followed terms without money that are due by the horizon and that neither their latest check nor
    enough hours (with what an amendment carried in) fulfil, as ``compliance.term_state`` decides."""
    latest_check = TermCheck.objects.filter(term=OuterRef("pk")).order_by("-on", "-pk").values("fulfilled")[:1]
    return (
        followed_terms()
        .filter(due_date__lte=today + timedelta(days=REMIND_DAYS_AHEAD))
        .exclude(kind=Term.Kind.MONEY)
        .alias(checked=Subquery(latest_check))
        .annotate(done=Coalesce(Sum("service_logs__hours"), Value(Decimal("0")), output_field=DecimalField()))
        .filter(
            Q(kind__in=[Term.Kind.COMMUNITY_SERVICE, Term.Kind.SERVICE_TO_VICTIM], hours__gt=0,
              done__lt=F("hours") - F("carried_in"))
            | (~Q(kind__in=[Term.Kind.COMMUNITY_SERVICE, Term.Kind.SERVICE_TO_VICTIM], hours__gt=0)
               & (Q(checked__isnull=True) | Q(checked=False)))
        )
    )  # fmt: skip


def _guardians(terms) -> dict[int, list[Party]]:
    guardians = defaultdict(list)
    responsible = [t.responsible_id for t in terms]
    for start in range(0, len(responsible), CHUNK):
        chunk = responsible[start : start + CHUNK]
        for guardian in Party.objects.filter(role=Party.Role.GUARDIAN, related_party__in=chunk).select_related(
            "person"
        ):
            guardians[guardian.related_party_id].append(guardian)
    return guardians


def _missed(term: Term, overdue: dict, late_ids: set) -> list[tuple]:
    """Each missed item of ``term`` on its own: (key, what, due date)."""
    missed = [(f"i{pk}", (number, open_amount), due) for pk, number, due, open_amount in overdue.get(term.pk, [])]
    if term.pk in late_ids:
        missed.append((f"t{term.pk}", term.kind, term.due_date))
    return missed


def _staff(case: Case, coordinators: dict) -> list:
    return [u for u in [case.lead_mediator, *coordinators.get(case.program_id, [])] if u is not None]


def _missed_keys(key: str, staff: list, victims: list[Party]) -> list[str]:
    """The dedupe keys of a missed item's notices: one per staff member, one per victim told."""
    return [f"overdue:{key}:u{user.pk}" for user in staff] + missed_update_keys(victims, key=key)


def _record_default(term: Term, item: str, due, today) -> bool:
    """Record once that this offender's part of the agreement is in default; True when it is new."""
    try:
        with transaction.atomic():
            _default, created = AgreementDefault.objects.get_or_create(
                agreement=term.agreement,
                party=term.responsible,
                defaults={"on": today, "item": item[:300], "due_on": due},
            )
            if created:
                timeline_add(case=term.agreement.case, kind=TimelineEvent.Kind.FOLLOW_UP,
                             summary=f"Agreement in default for {term.responsible.person}: {item}, due "
                             f"{due:%b %-d, %Y}, still not kept")  # fmt: skip
    except IntegrityError:  # another planner recorded it a moment ago
        return False
    return created


def plan_follow_up_reminders(*, now=None) -> int:
    """Every reminder and notice of followed agreements that came due since the last sweep (the terms of
    ``due_or_touched_terms``; all of them when there was none); the outbox's dedupe keys make a second run
    (another beat, a retry) queue nothing."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    coordinators = coordinators_by_program()
    params = planning_params(coordinators, "default_after_days")
    since = sweep_since("follow-up", now=now, params=params)
    scope = None if since is None else due_or_touched_terms(since, now, params)
    upcoming, overdue = defaultdict(list), defaultdict(list)
    for pk, term_id, number, due, open_amount in open_installments(today + timedelta(days=REMIND_DAYS_AHEAD), scope):
        (upcoming if due >= today else overdue)[term_id].append((pk, number, due, open_amount))
    late_ids, soon_ids = set(), set()
    for unkept in scoped(_unkept_terms(today), scope):
        for pk, due in unkept.values_list("pk", "due_date"):
            (late_ids if due < today else soon_ids).add(pk)

    terms = list(_terms(sorted(set(upcoming) | set(overdue) | late_ids | soon_ids)))
    guardians = _guardians(terms)
    defaulted = set(AgreementDefault.objects.filter(agreement__in={t.agreement_id for t in terms})
                    .values_list("agreement_id", "party_id"))  # fmt: skip
    victims = victim_side({t.agreement.case_id for t in terms if t.pk in overdue or t.pk in late_ids})
    missed_of = {term.pk: _missed(term, overdue, late_ids) for term in terms}
    offenders_of = {t.pk: _recipients(t.responsible, guardians[t.responsible_id], t.agreement.case) for t in terms}
    # Reminders and notices already in the outbox (every key of theirs) are skipped before they are written.
    told = existing_keys(
        [k for t in terms for key, _what, _due in missed_of[t.pk]
         for k in _missed_keys(key, _staff(t.agreement.case, coordinators), victims[t.agreement.case_id])]
        + [f"installment:{t.pk}:{number}:{r['who']}" for t in terms for _pk, number, _due, _amount
           in upcoming.get(t.pk, []) for r in offenders_of[t.pk]]
    )  # fmt: skip
    items = []
    for term in terms:
        case = term.agreement.case
        currency = case.program.currency
        offenders = offenders_of[term.pk]
        for _pk, number, due, open_amount in upcoming.get(term.pk, []):
            for r in offenders:
                if f"installment:{term.pk}:{number}:{r['who']}" in told:
                    continue
                with translation.override(r["language"]):  # each offender or guardian reads their own language
                    context = {"case_number": case.number, "amount": money(open_amount, currency),
                               "due_on": format_day(due, "full"), "program": case.program.name}  # fmt: skip
                r = dict(r)
                items.append(Outgoing(f"installment:{term.pk}:{number}:{r.pop('who')}", "installment_due", now,
                                      context, case_id=case.pk, **r))  # fmt: skip
        if term.pk in soon_ids:
            for r in offenders:
                with translation.override(r["language"]):
                    context = {"case_number": case.number, "item": str(term.get_kind_display()),
                               "due_on": format_day(term.due_date, "full"), "program": case.program.name}  # fmt: skip
                r = dict(r)
                items.append(Outgoing(f"term-due:{term.pk}:{term.due_date:%Y%m%d}:{r.pop('who')}", "term_due", now,
                                      context, case_id=case.pk, **r))  # fmt: skip
        missed = missed_of[term.pk]
        staff = _staff(case, coordinators)
        url = f"{settings.SITE_URL}/cases/{case.pk}/"
        for key, what, due in missed:
            if told.issuperset(_missed_keys(key, staff, victims[case.pk])):
                continue
            item = missed_item(what, currency)
            context = {"case_number": case.number, "item": f"{item} ({term.responsible.person})",
                       "due_on": f"{due:%B %-d, %Y}", "url": url}  # fmt: skip
            for user in staff:
                items.append(Outgoing(f"overdue:{key}:u{user.pk}", "overdue_item", now, context, user=user,
                                      case_id=case.pk))  # fmt: skip
            items += missed_updates(case, victims[case.pk], key=key, item=what, due_on=due, now=now)
        late = [
            (due, what) for _key, what, due in missed if due < today - timedelta(days=case.program.default_after_days)
        ]
        if late and (term.agreement_id, term.responsible_id) not in defaulted:
            due, what = min(late, key=lambda item: item[0])
            what = missed_item(what, currency)
            defaulted.add((term.agreement_id, term.responsible_id))
            _record_default(term, what, due, today)
            context = {"case_number": case.number, "offender": str(term.responsible.person), "item": what,
                       "due_on": f"{due:%B %-d, %Y}", "days": case.program.default_after_days, "url": url}  # fmt: skip
            for user in coordinators.get(case.program_id, []):
                items.append(Outgoing(f"default:{term.agreement_id}:{term.responsible_id}:u{user.pk}",
                                      "agreement_default", now, context, user=user, case_id=case.pk))  # fmt: skip
    items += _court_dates(today, coordinators, now)
    queued = notifications_queue(items)
    sweep_finished("follow-up", now=now, params=params)
    return queued


def _court_dates(today, coordinators, now) -> list[Outgoing]:
    """Court return dates ahead of followed cases: the coordinators are told, with the link that issues a
    progress report for the court (cases in other stages are told of by ``cases.reminders``)."""
    items = []
    courts = Case.objects.filter(
        stage=Case.Stage.FOLLOW_UP, court_return_date__gte=today, court_return_date__lte=today + timedelta(days=60)
    ).select_related("program")
    for case in courts.iterator(chunk_size=2000):
        if case.court_return_date > today + timedelta(days=case.program.court_warning_days):
            continue
        context = {
            "case_number": case.number, "court_date": f"{case.court_return_date:%B %-d, %Y}",
            "stage": case.get_stage_display(), "url": f"{settings.SITE_URL}/cases/{case.pk}/",
            "report_url": settings.SITE_URL + reverse("agreements:progress_report", args=[case.pk]),
        }  # fmt: skip
        for user in coordinators.get(case.program_id, []):
            items.append(Outgoing(f"court:{case.pk}:{case.court_return_date:%Y%m%d}:u{user.pk}", "court_date", now,
                                  context, user=user, case_id=case.pk))  # fmt: skip
    return items
