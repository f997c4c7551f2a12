"""Reads that more than one view needs."""

from datetime import timedelta

from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from vom.notifications.models import Notification, TextOptOut

from .extensions import NextAction, next_action_providers
from .models import Case, Party, Program, user_roles
from .stages import FALLBACK_ACTIONS


def membership_requires_two_factor(user) -> bool:
    """Named in ``settings.VOM_TWO_FACTOR_ROLE_CHECKS`` for vom/users: coordinators, and mediators of a
    program that asks for it, must sign in with a second factor."""
    return user_roles(user).membership_requires_two_factor


def get_case_for_user(user, pk: int, queryset=None) -> Case:
    """The case if the user may see it; 404 otherwise, so outsiders learn nothing of its existence."""
    qs = (queryset if queryset is not None else Case.objects.all()).visible_to(user)
    try:
        return qs.get(pk=pk)
    except Case.DoesNotExist:
        raise Http404("No such case.") from None


def earlier_parties(user, case: Case, parties: list[Party]) -> dict[int, list[Party]]:
    """The same people's parts in other cases the user may see, newest first, by person (re-referrals)."""
    earlier = (
        Party.objects.filter(person__in=[p.person_id for p in parties])
        .exclude(case=case)
        .filter(case__in=Case.objects.visible_to(user))
        .select_related("case")
        .order_by("-case__referral_date")
    )
    by_person: dict[int, list[Party]] = {}
    for other in earlier:
        by_person.setdefault(other.person_id, []).append(other)
    return by_person


# --- The caseload ------------------------------------------------------------------------------------


def caseload_programs(user):
    """Programs whose cases a user's caseload may be narrowed to."""
    if user.is_superuser:
        return Program.objects.order_by("name")
    roles = user_roles(user)
    return Program.objects.filter(pk__in=roles.coordinator_of | roles.mediator_of).order_by("name")


def filter_caseload(cases, filters: dict, now):
    """``cases`` narrowed by the caseload filter form's cleaned data (the list and its CSV export)."""
    if filters.get("q"):
        cases = cases.search(filters["q"])
    if filters.get("stage") == "open":
        cases = cases.open()
    elif filters.get("stage"):
        cases = cases.filter(stage=filters["stage"])
    for name, lookup in [("offense", "offense_category"), ("source", "referral_source"),
                         ("program", "program"), ("outcome", "outcome"), ("referred_from", "referral_date__gte"),
                         ("referred_to", "referral_date__lte")]:  # fmt: skip
        if filters.get(name):
            cases = cases.filter(**{lookup: filters[name]})
    if filters.get("mediator"):
        cases = cases.filter(Q(lead_mediator=filters["mediator"]) | Q(co_mediator=filters["mediator"]))
    if filters.get("overdue"):
        cases = cases.overdue(now)
    if filters.get("reached"):
        cases = cases.reached(filters["reached"])
    if filters.get("mediated"):
        cases = cases.mediated(filters["mediated"] == "yes")
    if filters.get("juvenile"):
        cases = cases.juvenile(filters["juvenile"] == "yes")
    return cases


CASELOAD_EXPORT_HEADER = [
    "Case", "Program", "Referred", "Referral source", "Referral type", "Court ordered", "Court return date",
    "Offense", "Incident date", "Stage", "Days in stage", "Mode", "Outcome", "Closed", "Lead mediator",
    "Co-mediator", "Offenders", "Juvenile offender", "Victims",
]  # fmt: skip


def caseload_export_rows(cases, now):
    """One row per case for the caseload CSV. Names and roles only: no address, phone or email of
    anyone ever enters the file."""
    rows = cases.for_caseload().order_by("-referral_date", "-pk")
    for case in rows.iterator(chunk_size=500):
        parties = list(case.parties.all())
        offenders = [p for p in parties if p.role == Party.Role.OFFENDER]
        victims = [p for p in parties if p.role == Party.Role.VICTIM]
        yield [
            case.number, case.program.name, case.referral_date, case.referral_source.name,
            case.get_referral_type_display(), "yes" if case.court_ordered else "no", case.court_return_date or "",
            case.get_offense_category_display(), case.incident_date or "", case.get_stage_display(),
            (now - case.stage_changed_at).days, case.get_mode_display(), case.get_outcome_display(),
            timezone.localtime(case.closed_at).date() if case.closed_at else "",
            case.lead_mediator.get_full_name() if case.lead_mediator else "",
            case.co_mediator.get_full_name() if case.co_mediator else "",
            "; ".join(p.person.display_name for p in offenders), "yes" if case.juvenile else "no",
            "; ".join(p.person.display_name for p in victims),
        ]  # fmt: skip


# --- Next actions ------------------------------------------------------------------------------------


def _fallback_actions(cases) -> dict:
    """Until the apps that own these stages offer something better (lower priority number wins)."""
    actions = {}
    for case in cases:
        if case.stage in FALLBACK_ACTIONS:
            label, days = FALLBACK_ACTIONS[case.stage]
            start = timezone.localtime(case.stage_changed_at).date()
            url = reverse("cases:detail", args=[case.pk])
            actions[case.pk] = [NextAction(label, start + timedelta(days=days), url, priority=90)]
    return actions


def next_actions_for(cases) -> dict:
    """The one next action per case, from every registered provider (each a fixed number of queries)."""
    cases = list(cases)
    collected: dict = {}
    for provider in [_fallback_actions, *next_action_providers()]:
        for case_id, actions in provider(cases).items():
            collected.setdefault(case_id, []).extend(actions)
    return {case_id: min(actions, key=lambda a: a.priority) for case_id, actions in collected.items()}


def overdue_first(rows, today):
    """Sort (case, action) rows: overdue first, then by due date; cases without an action last."""

    def key(row):
        action = row[1]
        due = action.due_date if action else None
        return (due is None, due or today, row[0].referral_date)

    return sorted(rows, key=key)


def parties_for_case_page(case: Case):
    """The case's parties in display order, each with ``texts_stopped``: their number replied STOP."""
    return (
        Party.objects.filter(case=case)
        .select_related("person", "related_party__person")
        .annotate(texts_stopped=Exists(TextOptOut.objects.filter(number=OuterRef("phone"))))
        .in_display_order()
    )


def case_text_figures(case: Case) -> dict:
    """Texts to this case's parties: how many went out, how many failed, how many wait (one query)."""
    return Notification.objects.filter(case_id=case.pk, channel=Notification.Channel.SMS).aggregate(
        sent=Count("pk", filter=Q(status=Notification.Status.SENT)),
        failed=Count("pk", filter=Q(status=Notification.Status.FAILED)),
        waiting=Count("pk", filter=Q(status=Notification.Status.PENDING)),
    )
